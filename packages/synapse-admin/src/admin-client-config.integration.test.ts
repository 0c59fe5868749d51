import { beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from './test-support/fixtures.ts';

describe('admin client config against a real Synapse', () => {
  let admin: TestUser;

  beforeAll(async () => {
    admin = await registerUser({ admin: true });
  });

  it('is undefined before it is set', async () => {
    const fresh = await registerUser({ admin: true });
    expect(await fresh.client.admin.clientConfig.get()).toBeUndefined();
  });

  it('stores the config on the admin account and reads it back, replacing the previous one', async () => {
    await admin.client.admin.clientConfig.set({ returnSoftFailedEvents: true, returnPolicyServerSpammyEvents: true });
    expect(await admin.client.admin.clientConfig.get()).toEqual({ returnSoftFailedEvents: true, returnPolicyServerSpammyEvents: true, other: {} });
    await admin.client.admin.clientConfig.set({ returnPolicyServerSpammyEvents: true });
    expect(await admin.client.admin.clientConfig.get()).toEqual({ returnSoftFailedEvents: undefined, returnPolicyServerSpammyEvents: true, other: {} });
  });
});
