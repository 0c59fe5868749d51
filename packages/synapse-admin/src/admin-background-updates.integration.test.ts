import { beforeAll, describe, expect, it } from 'vitest';
import type { BackgroundJob } from './admin-background-updates.ts';
import { registerUser, rejectionOf, type TestUser } from './test-support/fixtures.ts';

describe('background updates admin calls against a real Synapse', () => {
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    [admin, user] = await Promise.all([registerUser({ admin: true }), registerUser()]);
  });

  it('pauses and resumes background updates, and status reports the flag', async () => {
    const updates = admin.client.admin.backgroundUpdates;
    try {
      expect(await updates.setEnabled(false)).toEqual({ enabled: false });
      expect(await updates.getEnabled()).toEqual({ enabled: false });
      expect((await updates.status()).enabled).toBe(false);
    } finally {
      // The sandbox is shared: never leave its updates paused.
      expect(await updates.setEnabled(true)).toEqual({ enabled: true });
    }
    const status = await updates.status();
    expect(status.enabled).toBe(true);
    expect(typeof status.currentUpdates).toBe('object');
  });

  it('queues a job Synapse offers', async () => {
    await expect(admin.client.admin.backgroundUpdates.startJob({ jobName: 'populate_stats_process_rooms' })).resolves.toBeUndefined();
  });

  it('answers bad_request for a job Synapse does not offer', async () => {
    const error = await rejectionOf(admin.client.admin.backgroundUpdates.startJob({ jobName: 'no_such_job' } as unknown as BackgroundJob));
    expect(error).toMatchObject({ code: 'bad_request', status: 400 });
  });

  it('refuses a non-admin caller with not_admin', async () => {
    expect(await rejectionOf(user.client.admin.backgroundUpdates.status())).toMatchObject({ code: 'not_admin', status: 403 });
  });
});
