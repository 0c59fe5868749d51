import { beforeAll, describe, expect, it } from 'vitest';
import type { ScheduledTaskStatus } from './admin-scheduled-tasks.ts';
import { registerUser, rejectionOf, type TestUser } from './test-support/fixtures.ts';

describe('scheduled tasks admin calls against a real Synapse', () => {
  let admin: TestUser;
  let user: TestUser;
  let roomId: string;

  beforeAll(async () => {
    [admin, user] = await Promise.all([registerUser({ admin: true }), registerUser()]);
    // A room delete (v2) is a scheduled task whose resource is the room.
    ({ roomId } = await user.client.rooms.create({ name: 'scheduled-task' }));
    const { deleteId } = await admin.client.admin.deleteRoom(roomId, { purge: true });
    await admin.client.admin.waitForRoomDeletion(deleteId, { timeoutMs: 30_000 });
  });

  it('finds the task of a room delete by action and resource', async () => {
    const tasks = await admin.client.admin.scheduledTasks.list({ actionName: 'shutdown_and_purge_room', resourceId: roomId });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ action: 'shutdown_and_purge_room', resourceId: roomId, status: 'complete', error: undefined });
    expect(tasks[0]?.timestampMs).toBeGreaterThan(Date.now() - 600_000);
  });

  it('narrows by status and by maximum timestamp', async () => {
    expect(await admin.client.admin.scheduledTasks.list({ resourceId: roomId, status: 'failed' })).toEqual([]);
    expect(await admin.client.admin.scheduledTasks.list({ resourceId: roomId, maxTimestampMs: 1 })).toEqual([]);
    expect(await admin.client.admin.scheduledTasks.list({ resourceId: roomId, status: 'complete' })).toHaveLength(1);
  });

  it('answers bad_request (M_INVALID_PARAM) for a status Synapse does not know', async () => {
    const error = await rejectionOf(admin.client.admin.scheduledTasks.list({ status: 'bogus' as ScheduledTaskStatus }));
    expect(error).toMatchObject({ code: 'bad_request', status: 400, errcode: 'M_INVALID_PARAM' });
  });

  it('refuses a non-admin caller with not_admin', async () => {
    expect(await rejectionOf(user.client.admin.scheduledTasks.list())).toMatchObject({ code: 'not_admin', status: 403 });
  });
});
