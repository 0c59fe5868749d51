import { beforeAll, describe, expect, it } from 'vitest';
import { registerUser, uniqueLocalpart, type TestUser } from './test-support/fixtures.ts';

describe('admin room calls against a real Synapse', () => {
  let admin: TestUser;

  beforeAll(async () => {
    admin = await registerUser({ admin: true });
  });

  it('listRooms follows next_batch across pages', async () => {
    const marker = uniqueLocalpart('rooms');
    const created: string[] = [];
    for (let i = 0; i < 3; i++) created.push((await admin.client.rooms.create({ name: `${marker} ${i}` })).roomId);
    const seen: string[] = [];
    for await (const room of admin.client.admin.listRooms({ limit: 1, searchTerm: marker })) seen.push(room.roomId);
    expect(seen.sort()).toEqual(created.sort());
  });

  it('deleteRoom returns a delete id and waitForRoomDeletion sees it complete', async () => {
    const { roomId } = await admin.client.rooms.create({ name: uniqueLocalpart('doomed') });
    const { deleteId } = await admin.client.admin.deleteRoom(roomId, { purge: true });
    const status = await admin.client.admin.waitForRoomDeletion(deleteId, { timeoutMs: 30_000, pollIntervalMs: 100 });
    expect(status.status).toBe('complete');
    expect(status.kickedUsers).toContain(admin.userId);
    const remaining: string[] = [];
    for await (const room of admin.client.admin.listRooms({ searchTerm: roomId })) remaining.push(room.roomId);
    expect(remaining).toEqual([]);
  });

  it('joinUserToRoom puts a local user into a public room', async () => {
    const user = await registerUser();
    const { roomId } = await admin.client.rooms.create({ preset: 'public_chat', name: uniqueLocalpart('joinable') });
    expect(await admin.client.admin.joinUserToRoom(roomId, user.userId)).toEqual({ roomId });
    const sent = await user.client.rooms.sendText(roomId, 'joined');
    expect(sent.eventId).toMatch(/^\$/);
  });
});
