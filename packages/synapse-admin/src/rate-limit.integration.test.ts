import { describe, expect, it } from 'vitest';
import { mapConcurrent } from './map-concurrent.ts';
import type { SynapseRequestEvent } from './request-log-event.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import { nativeClient, registerUser } from './test-support/fixtures.ts';

// Synapse's default rc_message is 0.2/s with a burst of 10 (the room creation counts too), and admins are not
// exempt; these users are non-admins with no override, so the 11th+ message of a quick burst answers 429.
describe('rate limiting against a real Synapse', () => {
  it('waits out 429s on idempotent sends and every message lands', { timeout: 90_000 }, async () => {
    const events: SynapseRequestEvent[] = [];
    const base = nativeClient({ logger: (event) => events.push(event), retry: { maxRetries: 6 } });
    const user = await registerUser({ base });
    const { roomId } = await user.client.rooms.create();
    const started = Date.now();
    for (let i = 0; i < 12; i++) await user.client.rooms.sendText(roomId, `burst ${i}`);
    const retried = events.filter((event) => event.status === 429);
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.every((event) => event.retryInMs !== undefined && event.retryInMs > 0)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(retried[0]!.retryInMs!);
    const bodies = (await user.client.rooms.recentMessages(roomId, { limit: 30 }))
      .filter((event) => event.type === 'm.room.message')
      .map((event) => event.content['body']);
    expect(bodies.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `burst ${i}`).sort());
  });

  it('with maxRetries 0 the 429 surfaces as rate_limited with retryAfterMs', { timeout: 30_000 }, async () => {
    const user = await registerUser({ base: nativeClient({ retry: { maxRetries: 0 } }) });
    const { roomId } = await user.client.rooms.create();
    const failures: unknown[] = [];
    for await (const result of mapConcurrent(Array.from({ length: 14 }, (_, i) => i), 4, (i) => user.client.rooms.sendText(roomId, `fast ${i}`))) {
      if (result.status === 'rejected') failures.push(result.reason);
    }
    expect(failures.length).toBeGreaterThan(0);
    const error = failures[0] as SynapseApiError;
    expect(error).toBeInstanceOf(SynapseApiError);
    expect(error.code).toBe('rate_limited');
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBeGreaterThan(0);
  });
});
