import { describe, expect, it } from 'vitest';
import { registerUser } from './test-support/fixtures.ts';

describe('room calls against a real Synapse', () => {
  it('creates a room, sends a text message and reads it back', async () => {
    const user = await registerUser();
    const { roomId } = await user.client.rooms.create({ name: 'client-rooms test' });
    const sent = await user.client.rooms.sendText(roomId, 'hello from the test');
    const events = await user.client.rooms.recentMessages(roomId, { limit: 5 });
    const message = events.find((event) => event.event_id === sent.eventId);
    expect(message?.content).toEqual({ msgtype: 'm.text', body: 'hello from the test' });
    expect(message?.sender).toBe(user.userId);
  });

  it('sending twice with the same transaction id yields one event', async () => {
    const user = await registerUser();
    const { roomId } = await user.client.rooms.create();
    const first = await user.client.rooms.sendText(roomId, 'once', { txnId: 'same-txn' });
    const second = await user.client.rooms.sendText(roomId, 'once', { txnId: 'same-txn' });
    expect(second.eventId).toBe(first.eventId);
    const events = await user.client.rooms.recentMessages(roomId, { limit: 10 });
    expect(events.filter((event) => event.type === 'm.room.message')).toHaveLength(1);
  });
});
