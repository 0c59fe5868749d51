import { readFileSync } from 'node:fs';

/** The real Synapse servers the sandbox's Vitest global setup started, read from its environment variables. */
export interface SynapseTestEnv {
  /** A Synapse with native auth and shared-secret registration. */
  url: string;
  serverName: string;
  sharedSecret: string;
  /** A Synapse with `matrix_authentication_service` enabled. */
  delegatedUrl: string;
  delegatedServerName: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(
      `${name} is not set: integration tests need the sandbox's Synapse (tools/sandbox/src/vitest-global-setup.ts sets ` +
        'SYNAPSE_URL, SYNAPSE_SERVER_NAME, SYNAPSE_SHARED_SECRET_FILE, SYNAPSE_DELEGATED_URL, SYNAPSE_DELEGATED_SERVER_NAME)',
    );
  }
  return value.trim();
}

let cached: SynapseTestEnv | undefined;

/** Reads and validates the sandbox variables; throws (never skips) when any is missing. */
export function synapseTestEnv(): SynapseTestEnv {
  if (cached !== undefined) return cached;
  const secretFile = required('SYNAPSE_SHARED_SECRET_FILE');
  const sharedSecret = readFileSync(secretFile, 'utf8').trim();
  if (sharedSecret === '') throw new Error(`SYNAPSE_SHARED_SECRET_FILE (${secretFile}) is empty`);
  for (const name of ['SYNAPSE_URL', 'SYNAPSE_DELEGATED_URL']) {
    const url = required(name);
    if (!/^https?:\/\//.test(url)) throw new Error(`${name} must be an http(s) URL, got ${url}`);
  }
  cached = {
    url: required('SYNAPSE_URL'),
    serverName: required('SYNAPSE_SERVER_NAME'),
    sharedSecret,
    delegatedUrl: required('SYNAPSE_DELEGATED_URL'),
    delegatedServerName: required('SYNAPSE_DELEGATED_SERVER_NAME'),
  };
  return cached;
}
