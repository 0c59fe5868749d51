import { describe, expect, it } from 'vitest';
import type { SynapseRequestEvent } from './request-log-event.ts';
import { createSynapseClient } from './synapse-client.ts';
import { closedPort, nativeClient, registerUser, uniqueLocalpart, uniquePassword } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';


/** Everything a caller could print or serialise about an error, down the cause chain. */
function renderings(error: unknown): string[] {
  const out: string[] = [String(error), JSON.stringify(error)];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 6; depth++) {
    out.push(current.message, current.stack ?? '', JSON.stringify(current), JSON.stringify(Object.entries(current)));
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested)) out.push(...nested.flatMap((inner) => renderings(inner)));
    current = current.cause;
  }
  return out;
}

describe('secrets never leave the client in errors or log events', () => {
  it('a run through success and failure paths leaks no token, password or shared secret', { timeout: 60_000 }, async () => {
    const events: SynapseRequestEvent[] = [];
    const errors: unknown[] = [];
    const catchInto = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (error) {
        errors.push(error);
      }
    };
    const { sharedSecret } = synapseTestEnv();
    const base = nativeClient({ logger: (event) => events.push(event), retry: { maxRetries: 1, backoffBaseMs: 10 } });
    const admin = await registerUser({ admin: true, base });
    const user = await registerUser({ base });
    const secrets = [sharedSecret, admin.accessToken, admin.password, user.accessToken, user.password];

    const { accessToken: loginAsToken } = await admin.client.admin.loginAsUser(user.userId);
    secrets.push(loginAsToken);
    const newPassword = uniquePassword();
    secrets.push(newPassword);

    // Registration with the real secret that fails (user in use), and with a wrong one.
    await catchInto(base.registerWithSharedSecret({ sharedSecret, username: user.localpart, password: user.password }));
    const wrongSecret = `wrong-secret-${uniquePassword()}`;
    secrets.push(wrongSecret);
    await catchInto(base.registerWithSharedSecret({ sharedSecret: wrongSecret, username: uniqueLocalpart('leak'), password: newPassword }));
    // Admin calls with a non-admin token; a missing user; an unknown token; a reset password for a missing user.
    await catchInto(user.client.admin.getUser(admin.userId));
    await catchInto(admin.client.admin.resetPassword(`@${uniqueLocalpart('missing')}:${synapseTestEnv().serverName}`, { newPassword }));
    const madeUpToken = `made-up-token-${uniquePassword()}`;
    secrets.push(madeUpToken);
    await catchInto(base.withAccessToken(madeUpToken).whoami());
    await catchInto(base.withAccessToken(loginAsToken).admin.listDevices(user.userId));
    // No server at all, with a token and a password in flight.
    const port = await closedPort();
    const offline = createSynapseClient({ baseUrl: `http://127.0.0.1:${port}`, accessToken: admin.accessToken, logger: (event) => events.push(event) });
    await catchInto(offline.whoami());
    await catchInto(offline.loginWithPassword({ user: user.userId, password: user.password }));
    await catchInto(offline.registerWithSharedSecret({ sharedSecret, username: 'x-offline', password: newPassword }));

    expect(errors.length).toBe(9);
    expect(events.length).toBeGreaterThan(10);
    const texts = [...errors.flatMap((error) => renderings(error)), ...events.map((event) => JSON.stringify(event))];
    for (const text of texts) {
      for (const secret of secrets) expect(text.includes(secret), `leaked into: ${text.slice(0, 200)}`).toBe(false);
    }
  });
});
