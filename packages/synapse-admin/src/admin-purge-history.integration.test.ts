import { beforeAll, describe, expect, it } from 'vitest';
import { SynapseApiError } from './synapse-api-error.ts';
import { registerUser, rejectionOf, uniqueLocalpart, type TestUser } from './test-support/fixtures.ts';

describe('purge history against a real Synapse', () => {
  let admin: TestUser;

  beforeAll(async () => {
    admin = await registerUser({ admin: true });
    await admin.client.admin.overrideRateLimit(admin.userId); // these tests create many rooms
  });

  async function roomWith(texts: readonly string[]): Promise<{ roomId: string; eventIds: string[] }> {
    const { roomId } = await admin.client.rooms.create({ name: uniqueLocalpart('purged') });
    const eventIds = [];
    for (const text of texts) eventIds.push((await admin.client.rooms.sendText(roomId, text)).eventId);
    return { roomId, eventIds };
  }

  async function messageBodies(roomId: string): Promise<unknown[]> {
    const bodies = [];
    for await (const event of admin.client.admin.listRoomMessages(roomId, { filter: { types: ['m.room.message'] } })) bodies.push(event.content['body']);
    return bodies;
  }

  it('purgeHistory up to an event returns a handle that completes, and the older events are gone', async () => {
    const { roomId, eventIds } = await roomWith(['old 1', 'old 2', 'kept']);
    const purge = await admin.client.admin.purgeHistory(roomId, { upToEventId: eventIds[2] ?? '', deleteLocalEvents: true });
    expect(purge.id).toEqual(expect.any(String));
    const done = await purge.wait({ timeoutMs: 30_000, pollIntervalMs: 100 });
    expect(done).toEqual({ status: 'complete', error: undefined, other: {} });
    expect(await admin.client.admin.purgeHistoryStatus(purge.id)).toMatchObject({ status: 'complete' });
    expect(await messageBodies(roomId)).toEqual(['kept']);
  });

  it('purgeHistoryTask resumes a purge from its id', async () => {
    const { roomId } = await roomWith(['a', 'b']);
    const { id } = await admin.client.admin.purgeHistory(roomId, { upToTsMs: Date.now() + 60_000, deleteLocalEvents: true });
    const status = await admin.client.admin.purgeHistoryTask(id).wait({ timeoutMs: 30_000, pollIntervalMs: 100 });
    expect(status.status).toBe('complete');
  });

  it('purgeHistory answers not_found when no event is older than the time given', async () => {
    const { roomId } = await roomWith(['recent']);
    const error = await rejectionOf(admin.client.admin.purgeHistory(roomId, { upToTsMs: 1 }));
    expect(error).toBeInstanceOf(SynapseApiError);
    expect(error).toMatchObject({ code: 'not_found', status: 404, errcode: 'M_NOT_FOUND' });
  });

  it('purgeHistory turns an event of another room down with 400', async () => {
    const first = await roomWith(['here']);
    const second = await roomWith(['there']);
    const error = await rejectionOf(admin.client.admin.purgeHistory(first.roomId, { upToEventId: second.eventIds[0] ?? '' }));
    expect(error).toMatchObject({ code: 'bad_request', status: 400 });
  });

  it('purgeHistoryStatus answers not_found for an unknown purge id', async () => {
    const error = await rejectionOf(admin.client.admin.purgeHistoryStatus(uniqueLocalpart('no-purge')));
    expect(error).toMatchObject({ code: 'not_found', status: 404, errcode: 'M_NOT_FOUND' });
  });
});
