import type { AdminUser, SynapseClient } from '@matrix-reset/synapse-admin';
import { DEFAULT_OWN_SCHEMA, streamCredentials, type StoredCredential, type UserCredsContext } from '@matrix-reset/user-creds';
import type { StepContext } from './step-definition.ts';

/** user-creds' context for the run's app database and layout. */
export function credsContext(context: StepContext): UserCredsContext {
  return { db: context.connection.db, layout: context.connection.environment.appDatabase.layout, ownSchema: DEFAULT_OWN_SCHEMA };
}

/** Rows naming a Matrix user of this server (the ones a repair can act on). */
export async function* rowsOnServer(context: StepContext): AsyncGenerator<StoredCredential & { userId: string }> {
  const suffix = `:${context.connection.environment.synapse.serverName}`;
  for await (const row of streamCredentials(credsContext(context), { pageSize: 1000 })) {
    if (row.userId !== null && row.userId.startsWith('@') && row.userId.endsWith(suffix)) yield { ...row, userId: row.userId };
  }
}

/** One admin lookup per distinct user id. */
export function userLookup(synapse: SynapseClient): (userId: string) => Promise<AdminUser | undefined> {
  const cache = new Map<string, Promise<AdminUser | undefined>>();
  return (userId) => {
    let pending = cache.get(userId);
    if (pending === undefined) cache.set(userId, (pending = synapse.admin.getUser(userId)));
    return pending;
  };
}
