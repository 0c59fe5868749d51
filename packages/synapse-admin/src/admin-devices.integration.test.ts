import { beforeAll, describe, expect, it } from 'vitest';
import { SynapseApiError } from './synapse-api-error.ts';
import { registerUser, rejectionOf, uniqueLocalpart, type TestUser } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';

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

  it('getDevice returns one device with its owner; unknown device or user is not_found', async () => {
    const user = await registerUser();
    const device = await admin.client.admin.getDevice(user.userId, user.deviceId!);
    expect(device).toMatchObject({ deviceId: user.deviceId, userId: user.userId, dehydrated: false });
    expect(await rejectionOf(admin.client.admin.getDevice(user.userId, 'NOSUCHDEVICE'))).toMatchObject({ code: 'not_found', status: 404 });
    const ghost = `@${uniqueLocalpart('ghost')}:${synapseTestEnv().serverName}`;
    expect(await rejectionOf(admin.client.admin.getDevice(ghost, 'ANY'))).toMatchObject({ code: 'not_found' });
  });

  it('createDevice adds a device (twice is a no-op); updateDevice renames it; deleteDevice removes it', async () => {
    const user = await registerUser();
    await admin.client.admin.createDevice(user.userId, 'RESETTEST');
    await admin.client.admin.createDevice(user.userId, 'RESETTEST');
    expect((await admin.client.admin.listDevices(user.userId)).map((device) => device.deviceId).sort()).toEqual([user.deviceId, 'RESETTEST'].sort());
    await admin.client.admin.updateDevice(user.userId, 'RESETTEST', { displayName: 'reset runner' });
    expect((await admin.client.admin.getDevice(user.userId, 'RESETTEST')).displayName).toBe('reset runner');
    await admin.client.admin.deleteDevice(user.userId, 'RESETTEST');
    await admin.client.admin.deleteDevice(user.userId, 'RESETTEST');
    expect((await admin.client.admin.listDevices(user.userId)).map((device) => device.deviceId)).toEqual([user.deviceId]);
  });

  it('deleteDevice revokes the device token', async () => {
    const user = await registerUser();
    await admin.client.admin.deleteDevice(user.userId, user.deviceId!);
    expect(await rejectionOf(user.client.whoami())).toMatchObject({ code: 'unknown_token' });
  });

  it('device calls for an unknown user fail with not_found; updating an unknown device too', async () => {
    const user = await registerUser();
    const ghost = `@${uniqueLocalpart('ghost')}:${synapseTestEnv().serverName}`;
    expect(await rejectionOf(admin.client.admin.createDevice(ghost, 'ANY'))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(admin.client.admin.updateDevice(ghost, 'ANY', { displayName: 'x' }))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(admin.client.admin.deleteDevice(ghost, 'ANY'))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(admin.client.admin.updateDevice(user.userId, 'NOSUCHDEVICE', { displayName: 'x' }))).toMatchObject({ code: 'not_found' });
  });

  it('createDevice as a non-admin fails with not_admin', async () => {
    const user = await registerUser();
    expect(await rejectionOf(user.client.admin.createDevice(user.userId, 'SELFMADE'))).toMatchObject({ code: 'not_admin', status: 403 });
  });
});
