import { beforeAll, describe, expect, it } from 'vitest';
import { registerUser, rejectionOf, type TestUser } from './test-support/fixtures.ts';

describe('fetch event admin call against a real Synapse', () => {
  let admin: TestUser;
  let user: TestUser;
  let roomId: string;
  let eventId: string;

  beforeAll(async () => {
    [admin, user] = await Promise.all([registerUser({ admin: true }), registerUser()]);
    ({ roomId } = await user.client.rooms.create({ name: 'fetch-event', preset: 'private_chat' }));
    ({ eventId } = await user.client.rooms.sendText(roomId, 'fetched by an admin outside the room'));
  });

  it('fetches an event of a room the admin is not in, in the federation form', async () => {
    const event = await admin.client.admin.events.fetch(eventId);
    expect(event).toMatchObject({
      eventId,
      roomId,
      sender: user.userId,
      type: 'm.room.message',
      stateKey: undefined,
      content: { msgtype: 'm.text', body: 'fetched by an admin outside the room' },
    });
    expect(event.originServerMs).toBeGreaterThan(Date.now() - 600_000);
    expect(event.other).toHaveProperty('prev_events');
  });

  it('answers not_found for an event the server does not know', async () => {
    const error = await rejectionOf(admin.client.admin.events.fetch('$no-such-event'));
    expect(error).toMatchObject({ code: 'not_found', status: 404, errcode: 'M_NOT_FOUND' });
  });

  it('refuses a non-admin caller with not_admin', async () => {
    expect(await rejectionOf(user.client.admin.events.fetch(eventId))).toMatchObject({ code: 'not_admin', status: 403 });
  });
});
