import { beforeAll, describe, expect, it } from 'vitest';
import { registerUser, rejectionOf, type TestUser } from './test-support/fixtures.ts';

describe('experimental features admin calls against a real Synapse', () => {
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    [admin, user] = await Promise.all([registerUser({ admin: true }), registerUser()]);
  });

  it('lists every per-user feature, all off for a new user', async () => {
    const { features } = await admin.client.admin.experimentalFeatures.get(user.userId);
    expect(Object.keys(features)).toEqual(expect.arrayContaining(['msc3881', 'msc3575', 'msc4222']));
    expect(Object.values(features).every((enabled) => !enabled)).toBe(true);
  });

  it('enables one feature and leaves the others as they were', async () => {
    const target = await registerUser();
    await admin.client.admin.experimentalFeatures.set(target.userId, { msc3575: true });
    const { features } = await admin.client.admin.experimentalFeatures.get(target.userId);
    expect(features).toMatchObject({ msc3575: true, msc3881: false, msc4222: false });
    await admin.client.admin.experimentalFeatures.set(target.userId, { msc3575: false });
    expect((await admin.client.admin.experimentalFeatures.get(target.userId)).features.msc3575).toBe(false);
  });

  it('answers bad_request for a feature Synapse does not know', async () => {
    const error = await rejectionOf(admin.client.admin.experimentalFeatures.set(user.userId, { msc0000: true }));
    expect(error).toMatchObject({ code: 'bad_request', status: 400 });
  });

  it('answers bad_request for a remote user', async () => {
    const error = await rejectionOf(admin.client.admin.experimentalFeatures.get('@someone:remote.invalid'));
    expect(error).toMatchObject({ code: 'bad_request', status: 400 });
  });

  it('refuses a non-admin caller with not_admin', async () => {
    expect(await rejectionOf(user.client.admin.experimentalFeatures.get(user.userId))).toMatchObject({ code: 'not_admin', status: 403 });
  });
});
