import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createSynapseClient, type SynapseClient, type SynapseClientOptions } from '../synapse-client.ts';
import { synapseTestEnv } from './synapse-env.ts';

/** A localpart no other test uses: `<prefix>-<random hex>`. */
export function uniqueLocalpart(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** A password unique to the test, so a leak scan can find it. */
export function uniquePassword(): string {
  return `pw-${randomBytes(12).toString('hex')}`;
}

/** A client on the native sandbox Synapse. */
export function nativeClient(options: Partial<SynapseClientOptions> = {}): SynapseClient {
  const env = synapseTestEnv();
  return createSynapseClient({ baseUrl: env.url, serverName: env.serverName, ...options });
}

export interface TestUser {
  userId: string;
  localpart: string;
  password: string;
  accessToken: string;
  deviceId: string | undefined;
  client: SynapseClient;
}

/** Registers a fresh user through the shared secret and returns a client carrying its token. */
export async function registerUser(options: { admin?: boolean; prefix?: string; base?: SynapseClient } = {}): Promise<TestUser> {
  const base = options.base ?? nativeClient();
  const localpart = uniqueLocalpart(options.prefix ?? (options.admin === true ? 'admin' : 'user'));
  const password = uniquePassword();
  const result = await base.registerWithSharedSecret({
    sharedSecret: synapseTestEnv().sharedSecret,
    username: localpart,
    password,
    admin: options.admin ?? false,
  });
  if (!result.created) throw new Error(`expected ${localpart} to be new`);
  return {
    userId: result.userId,
    localpart,
    password,
    accessToken: result.accessToken,
    deviceId: result.deviceId,
    client: base.withAccessToken(result.accessToken),
  };
}

/** Awaits `promise` and returns what it rejected with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
