import { isSynapseClientError, type SynapseClient } from '@matrix-reset/synapse-admin';
import { ResetError } from '../reset-error.ts';
import type { StepContext } from './step-definition.ts';

/*
 * The admin token is the one value a crash could lose: Synapse hands it out once, at registration, and a second
 * registration of the same name yields no token. So `bootstrap-admin` registers AND stores the token in the first
 * adminToken target (the primary) in the same step; `write-admin-token` copies the primary's token to every other
 * target. These helpers read and check those targets.
 */

/** A secret store's value, or undefined when it holds none (an empty value counts as none). */
export async function readValue(context: StepContext, reference: string): Promise<string | undefined> {
  const reading = await context.connection.openSecretStore(reference).read();
  const value = reading.value?.reveal();
  return reading.exists && value !== undefined && value.length > 0 ? value : undefined;
}

/** True when `token` is an access token of the configured admin that the admin API accepts. */
export async function isAdminToken(client: SynapseClient, token: string, adminUserId: string): Promise<boolean> {
  const asAdmin = client.withAccessToken(token);
  try {
    if ((await asAdmin.whoami()).userId !== adminUserId) return false;
    await asAdmin.admin.getUser(adminUserId);
    return true;
  } catch (error) {
    for (const code of ['unknown_token', 'token_soft_logout', 'user_deactivated', 'not_admin', 'forbidden'] as const) if (isSynapseClientError(error, code)) return false;
    throw error;
  }
}

/** Every store an admin token or admin user id is written to, in config order (user ids after their token). */
export function targetReferences(context: StepContext): { reference: string; role: 'admin-token' | 'admin-user' }[] {
  return context.connection.environment.adminToken.flatMap((t) => [
    { reference: t.token, role: 'admin-token' as const },
    ...(t.user === undefined ? [] : [{ reference: t.user, role: 'admin-user' as const }]),
  ]);
}

/** The first adminToken target: where bootstrap-admin stores the token it is handed. */
export function primaryTarget(context: StepContext): { token: string; user: string | undefined } {
  const primary = context.connection.environment.adminToken[0];
  if (primary === undefined) throw new Error('config invariant: at least one adminToken target');
  return primary;
}

/** Runs `fn` with a fresh Synapse session (the pod may be new), closed afterwards. */
export async function withSynapse<T>(context: StepContext, accessToken: string | undefined, fn: (client: SynapseClient) => Promise<T>): Promise<T> {
  const session = await context.connection.openSynapse(accessToken === undefined ? {} : { accessToken });
  try {
    return await fn(session.client);
  } finally {
    await session.close();
  }
}

/** The token in the primary target, checked to be the configured admin's on the (new) Synapse. */
export async function requireStoredAdminToken(context: StepContext): Promise<string> {
  const primary = primaryTarget(context);
  const token = await readValue(context, primary.token);
  const adminUserId = context.connection.environment.synapse.adminUserId;
  if (token === undefined || !(await withSynapse(context, undefined, (client) => isAdminToken(client, token, adminUserId)))) {
    throw new ResetError('step_failed', `${primary.token} holds no working admin token for ${adminUserId} on the new Synapse`, {
      nextSteps: ['The bootstrap-admin step stores it: check that it finished, or store a working admin token there, then resume the run.'],
    });
  }
  return token;
}
