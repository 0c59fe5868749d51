import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSynapseClient, type SynapseClient } from '@matrix-reset/synapse-admin';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run through packages/reset-core/vitest.config.ts (the sandbox global setup exports it)`);
  }
  return value;
}

/** The sandbox's native Synapse, as local bootstrap sees it. */
export function bootstrapEnv() {
  const sharedSecretFile = required('SYNAPSE_SHARED_SECRET_FILE');
  const url = required('SYNAPSE_URL');
  const serverName = required('SYNAPSE_SERVER_NAME');
  return {
    url,
    serverName,
    sharedSecretFile,
    sharedSecret: readFileSync(sharedSecretFile, 'utf8').trim(),
    /** An admin localpart no other test uses. */
    uniqueAdmin: () => `boot-admin-${randomBytes(5).toString('hex')}`,
    client: (): SynapseClient => createSynapseClient({ baseUrl: url, serverName }),
  };
}
