import { beforeAll, describe, expect, it } from 'vitest';
import { SynapseApiError } from './synapse-api-error.ts';
import { createSynapseClient } from './synapse-client.ts';
import { SynapseClientError } from './synapse-client-error.ts';
import { registerUser, rejectionOf, uniqueLocalpart, type TestUser } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';

describe('admin room calls against a real Synapse', () => {
  let admin: TestUser;

  beforeAll(async () => {
    admin = await registerUser({ admin: true });
    await admin.client.admin.overrideRateLimit(admin.userId); // these tests create many rooms
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

/** The client error a call rejected with, reduced to what the tests compare. */
async function errorOf(promise: Promise<unknown>): Promise<{ code: string; status: number | undefined; errcode: string | undefined }> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(SynapseClientError);
  const apiError = error instanceof SynapseApiError ? error : undefined;
  return { code: (error as SynapseClientError).code, status: apiError?.status, errcode: apiError?.errcode };
}

describe('admin room reads against a real Synapse', () => {
  let admin: TestUser;
  let member: TestUser;
  let roomId: string;
  let sent: string[];
  const unknownRoom = () => `!${uniqueLocalpart('nowhere')}:${synapseTestEnv().serverName}`;

  beforeAll(async () => {
    admin = await registerUser({ admin: true });
    await admin.client.admin.overrideRateLimit(admin.userId); // these tests create many rooms
    member = await registerUser();
    ({ roomId } = await admin.client.rooms.create({ name: uniqueLocalpart('read'), topic: 'what the room is for', preset: 'public_chat' }));
    await member.client.rooms.join(roomId);
    sent = [];
    for (const text of ['one', 'two', 'three']) sent.push((await admin.client.rooms.sendText(roomId, text)).eventId);
  });

  it('listRoomsPage returns a page, the next token and the total, and resumes from the token', async () => {
    const marker = uniqueLocalpart('paged');
    const created = [];
    for (let i = 0; i < 2; i++) created.push((await admin.client.rooms.create({ name: `${marker} ${i}` })).roomId);
    const first = await admin.client.admin.listRoomsPage({ searchTerm: marker, limit: 1 });
    expect(first).toMatchObject({ total: 2, nextToken: '1' });
    const second = await admin.client.admin.listRoomsPage({ searchTerm: marker, limit: 1, from: first.nextToken });
    expect(second.nextToken).toBeUndefined();
    expect([...first.items, ...second.items].map((room) => room.roomId).sort()).toEqual(created.sort());
    expect(first.items[0]?.other).toEqual({});
  });

  it('listRoomsPage turns an empty search term down with 400 M_INVALID_PARAM', async () => {
    expect(await errorOf(admin.client.admin.listRoomsPage({ searchTerm: '' }))).toEqual({ code: 'bad_request', status: 400, errcode: 'M_INVALID_PARAM' });
  });

  it('getRoom returns the details of a room, and not_found for an unknown one', async () => {
    const room = await admin.client.admin.getRoom(roomId);
    expect(room).toMatchObject({
      roomId,
      creator: admin.userId,
      topic: 'what the room is for',
      joinedMembers: 2,
      joinedLocalMembers: 2,
      public: false,
      joinRules: 'public',
      forgotten: false,
      tombstoned: false,
      replacementRoom: undefined,
    });
    expect(room.joinedLocalDevices).toBeGreaterThanOrEqual(2);
    expect(room.other).toEqual({});
    expect(await errorOf(admin.client.admin.getRoom(unknownRoom()))).toEqual({ code: 'not_found', status: 404, errcode: 'M_NOT_FOUND' });
  });

  it('getRoomMembers lists the joined users, and not_found for an unknown room', async () => {
    const { members, total } = await admin.client.admin.getRoomMembers(roomId);
    expect(members.sort()).toEqual([admin.userId, member.userId].sort());
    expect(total).toBe(2);
    expect((await errorOf(admin.client.admin.getRoomMembers(unknownRoom()))).code).toBe('not_found');
  });

  it('getRoomState returns the state events, filtered by type', async () => {
    const all = await admin.client.admin.getRoomState(roomId);
    expect(all.map((event) => event.type)).toEqual(expect.arrayContaining(['m.room.create', 'm.room.member', 'm.room.topic']));
    const [topic, ...rest] = await admin.client.admin.getRoomState(roomId, { type: 'm.room.topic' });
    expect(rest).toEqual([]);
    expect(topic).toMatchObject({ type: 'm.room.topic', stateKey: '', sender: admin.userId, roomId, content: { topic: 'what the room is for' } });
    expect((await errorOf(admin.client.admin.getRoomState(unknownRoom()))).code).toBe('not_found');
  });

  it('listRoomMessages follows the pagination tokens, oldest first, with a filter', async () => {
    const bodies: unknown[] = [];
    for await (const event of admin.client.admin.listRoomMessages(roomId, { limit: 2, filter: { types: ['m.room.message'] } })) bodies.push(event.content['body']);
    expect(bodies).toEqual(['one', 'two', 'three']);
  });

  it('listRoomMessagesPage returns the newest events first with dir b, and resumes from nextToken', async () => {
    const filter = { types: ['m.room.message'] };
    const first = await admin.client.admin.listRoomMessagesPage(roomId, { dir: 'b', limit: 1, filter });
    expect(first.items.map((event) => event.eventId)).toEqual([sent[2]]);
    expect(first.nextToken).toEqual(expect.any(String));
    const second = await admin.client.admin.listRoomMessagesPage(roomId, { dir: 'b', limit: 1, filter, from: first.nextToken });
    expect(second.items.map((event) => event.eventId)).toEqual([sent[1]]);
  });

  it('listRoomMessagesPage refuses a non-admin caller with not_admin', async () => {
    expect(await errorOf(member.client.admin.listRoomMessagesPage(roomId))).toEqual({ code: 'not_admin', status: 403, errcode: 'M_FORBIDDEN' });
  });

  it('timestampToEvent finds the event closest to a time, and not_found past the last one', async () => {
    const found = await admin.client.admin.timestampToEvent(roomId, Date.now() + 60_000, { dir: 'b' });
    expect(found.eventId).toBe(sent[2]);
    expect(found.originServerTsMs).toBeLessThanOrEqual(Date.now());
    expect(await errorOf(admin.client.admin.timestampToEvent(roomId, Date.now() + 60_000, { dir: 'f' }))).toEqual({ code: 'not_found', status: 404, errcode: 'M_NOT_FOUND' });
  });

  it('getEventContext returns the event with its neighbours, and not_found for an unknown event', async () => {
    const context = await admin.client.admin.getEventContext(roomId, sent[1] ?? '', { limit: 2 });
    expect(context.event.eventId).toBe(sent[1]);
    expect(context.eventsBefore.map((event) => event.eventId)).toEqual([sent[0]]);
    expect(context.eventsAfter.map((event) => event.eventId)).toEqual([sent[2]]);
    expect(context.state.some((event) => event.type === 'm.room.create')).toBe(true);
    expect(context.start).toEqual(expect.any(String));
    expect((await errorOf(admin.client.admin.getEventContext(roomId, '$no-such-event'))).code).toBe('not_found');
  });

  it('getForwardExtremities lists the latest event, and deleteForwardExtremities keeps it', async () => {
    const extremities = await admin.client.admin.getForwardExtremities(roomId);
    expect(extremities.map((ex) => ex.eventId)).toEqual([sent[2]]);
    expect(extremities[0]).toMatchObject({ depth: expect.any(Number), receivedAtMs: expect.any(Number) });
    expect(await admin.client.admin.deleteForwardExtremities(roomId)).toEqual({ deleted: 0 });
    expect(await errorOf(member.client.admin.getForwardExtremities(roomId))).toMatchObject({ code: 'not_admin', status: 403 });
  });

  it('listRoomHierarchy returns a plain room alone, with one page, and refuses a non-admin caller', async () => {
    const rooms = [];
    for await (const room of admin.client.admin.listRoomHierarchy(roomId)) rooms.push(room);
    expect(rooms).toMatchObject([{ roomId, joinedMembers: 2, joinRule: 'public', topic: 'what the room is for', childrenState: [] }]);
    const page = await admin.client.admin.listRoomHierarchyPage(roomId, { limit: 10 });
    expect(page.nextToken).toBeUndefined();
    // (An unknown room makes Synapse 1.163 fail with a 500, so the error tested is the non-admin one.)
    expect(await errorOf(member.client.admin.listRoomHierarchyPage(roomId))).toMatchObject({ code: 'not_admin', status: 403 });
  });
});

describe('admin room changes against a real Synapse', () => {
  let admin: TestUser;

  beforeAll(async () => {
    admin = await registerUser({ admin: true });
    await admin.client.admin.overrideRateLimit(admin.userId); // these tests create many rooms
  });

  it('setRoomBlocked blocks and unblocks a room, and getRoomBlockStatus says by whom', async () => {
    const { roomId } = await admin.client.rooms.create({ name: uniqueLocalpart('blocked') });
    expect(await admin.client.admin.getRoomBlockStatus(roomId)).toEqual({ blocked: false, blockedBy: undefined });
    expect(await admin.client.admin.setRoomBlocked(roomId, true)).toEqual({ blocked: true });
    expect(await admin.client.admin.getRoomBlockStatus(roomId)).toEqual({ blocked: true, blockedBy: admin.userId });
    expect(await admin.client.admin.setRoomBlocked(roomId, false)).toEqual({ blocked: false });
    expect((await admin.client.admin.getRoomBlockStatus(roomId)).blocked).toBe(false);
  });

  it('getRoomBlockStatus turns a malformed room id down with 400', async () => {
    expect(await errorOf(admin.client.admin.getRoomBlockStatus('not-a-room-id'))).toMatchObject({ code: 'bad_request', status: 400 });
    expect(await errorOf(admin.client.admin.setRoomBlocked('not-a-room-id', true))).toMatchObject({ code: 'bad_request', status: 400 });
  });

  it('makeRoomAdmin gives a user the top power level and invites them to a private room', async () => {
    const owner = await registerUser();
    const promoted = await registerUser();
    const { roomId } = await owner.client.rooms.create({ preset: 'private_chat', name: uniqueLocalpart('promote') });
    await admin.client.admin.makeRoomAdmin(roomId, { userId: promoted.userId });
    const [powerLevels] = await admin.client.admin.getRoomState(roomId, { type: 'm.room.power_levels' });
    expect((powerLevels?.content['users'] as Record<string, number>)[promoted.userId]).toBe(100);
    const membership = (await admin.client.admin.getRoomState(roomId, { type: 'm.room.member' })).find((event) => event.stateKey === promoted.userId);
    expect(membership?.content['membership']).toBe('invite');
  });

  it('makeRoomAdmin answers 400 for a room the server is not in', async () => {
    expect(await errorOf(admin.client.admin.makeRoomAdmin(`!${uniqueLocalpart('absent')}:${synapseTestEnv().serverName}`))).toMatchObject({ code: 'bad_request', status: 400 });
  });

  it('deleteRoomV1 deletes a room before answering and says whom it kicked', async () => {
    const { roomId } = await admin.client.rooms.create({ name: uniqueLocalpart('v1-doomed') });
    const result = await admin.client.admin.deleteRoomV1(roomId, { purge: true });
    expect(result).toMatchObject({ kickedUsers: [admin.userId], failedToKickUsers: [], localAliases: [], newRoomId: undefined });
    expect((await errorOf(admin.client.admin.getRoom(roomId))).code).toBe('not_found');
  });

  it('deleteRoomV1 turns a non-boolean flag down with 400 M_BAD_JSON', async () => {
    const { roomId } = await admin.client.rooms.create({ name: uniqueLocalpart('v1-kept') });
    expect(await errorOf(admin.client.admin.deleteRoomV1(roomId, { block: 'yes' as unknown as boolean }))).toEqual({ code: 'bad_request', status: 400, errcode: 'M_BAD_JSON' });
  });

  it('roomDeleteStatuses lists the delete tasks of a room, and none for a room never deleted', async () => {
    const { roomId } = await admin.client.rooms.create({ name: uniqueLocalpart('v2-doomed') });
    const { deleteId } = await admin.client.admin.deleteRoom(roomId, { purge: true });
    await admin.client.admin.waitForRoomDeletion(deleteId, { timeoutMs: 30_000, pollIntervalMs: 100 });
    const statuses = await admin.client.admin.roomDeleteStatuses(roomId);
    expect(statuses).toMatchObject([{ deleteId, roomId, status: 'complete', kickedUsers: [admin.userId] }]);
    expect(await admin.client.admin.roomDeleteStatuses(`!${uniqueLocalpart('never')}:${synapseTestEnv().serverName}`)).toEqual([]);
    expect(await errorOf(admin.client.admin.roomDeleteStatuses('not-a-room-id'))).toMatchObject({ code: 'bad_request', status: 400 });
  });
});

describe('room, purge and report routes under delegated auth', () => {
  it('are served by the Synapse that delegates auth: a bad token is refused by auth, not as a missing route', async () => {
    const { delegatedUrl, delegatedServerName } = synapseTestEnv();
    const client = createSynapseClient({ baseUrl: delegatedUrl, accessToken: 'mct_not-a-real-token-000', retry: { maxRetries: 0 } });
    const roomId = `!${uniqueLocalpart('delegated')}:${delegatedServerName}`;
    const calls: Record<string, () => Promise<unknown>> = {
      getRoom: () => client.admin.getRoom(roomId),
      getRoomMembers: () => client.admin.getRoomMembers(roomId),
      getRoomState: () => client.admin.getRoomState(roomId),
      listRoomMessagesPage: () => client.admin.listRoomMessagesPage(roomId),
      timestampToEvent: () => client.admin.timestampToEvent(roomId, 0),
      getRoomBlockStatus: () => client.admin.getRoomBlockStatus(roomId),
      setRoomBlocked: () => client.admin.setRoomBlocked(roomId, false),
      makeRoomAdmin: () => client.admin.makeRoomAdmin(roomId),
      getForwardExtremities: () => client.admin.getForwardExtremities(roomId),
      getEventContext: () => client.admin.getEventContext(roomId, '$event'),
      listRoomHierarchyPage: () => client.admin.listRoomHierarchyPage(roomId),
      roomDeleteStatuses: () => client.admin.roomDeleteStatuses(roomId),
      purgeHistoryStatus: () => client.admin.purgeHistoryStatus('no-such-purge'),
      eventReportsListPage: () => client.admin.eventReports.listPage(),
      eventReportsGet: () => client.admin.eventReports.get('1'),
    };
    const codes: Record<string, string> = {};
    for (const [name, call] of Object.entries(calls)) codes[name] = ((await rejectionOf(call())) as SynapseClientError).code;
    expect(Object.entries(codes).filter(([, code]) => code === 'route_missing' || code === 'proxy_blocked')).toEqual([]);
    expect(new Set(Object.values(codes))).toEqual(new Set(['unknown_token']));
  });
});
