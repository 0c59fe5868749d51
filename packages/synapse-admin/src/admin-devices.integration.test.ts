import { beforeAll, describe, expect, it } from 'vitest';
import { SynapseApiError } from './synapse-api-error.ts';
import { registerUser, rejectionOf, type TestUser } from './test-support/fixtures.ts';

describe('admin device calls against a real Synapse', () => {
  let admin: TestUser;

  beforeAll(async () => {
    admin = await registerUser({ admin: true });
  });

  it('lists the device registration created', async () => {
    const user = await registerUser();
    const devices = await admin.client.admin.listDevices(user.userId);
    expect(devices.map((device) => device.deviceId)).toEqual([user.deviceId]);
  });

  it('deleting the device revokes its token', async () => {
    const user = await registerUser();
    await admin.client.admin.deleteDevices(user.userId, [user.deviceId!]);
    expect(await admin.client.admin.listDevices(user.userId)).toEqual([]);
    const error = await rejectionOf(user.client.whoami());
    expect(error).toBeInstanceOf(SynapseApiError);
    expect((error as SynapseApiError).code).toBe('unknown_token');
  });
});
