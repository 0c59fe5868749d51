import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSynapseClient, type SynapseClient } from './synapse-client.ts';

// What the sandbox cannot produce: a destination with a last successful stream ordering and rooms shared with it
// (the sandbox Synapse federates with no server), and fields a newer Synapse may add. Canned answers in the
// documented form; the integration test covers the rest against the real server.
describe('federation answers as the client reads them (canned Synapse answers)', () => {
  let agent: MockAgent;
  let client: SynapseClient;

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    client = createSynapseClient({ baseUrl: 'http://synapse.test', dispatcher: agent, accessToken: 'tok-federation-unit' });
  });
  afterEach(async () => {
    await agent.close();
  });

  const destination = (name: string, failing: boolean) => ({
    destination: name,
    retry_last_ts: failing ? 1_557_332_397_936 : 0,
    retry_interval: failing ? 3_000_000 : 0,
    failure_ts: failing ? 1_557_329_397_936 : null,
    last_successful_stream_ordering: failing ? null : 42,
    future_field: 'kept',
  });

  it('follows next_token across pages and camel-cases each destination, keeping unknown fields', async () => {
    const pool = agent.get('http://synapse.test');
    pool
      .intercept({ path: '/_synapse/admin/v1/federation/destinations?limit=1', method: 'GET' })
      .reply(200, { destinations: [destination('a.example', true)], total: 2, next_token: '1' });
    pool
      .intercept({ path: '/_synapse/admin/v1/federation/destinations?from=1&limit=1', method: 'GET' })
      .reply(200, { destinations: [destination('b.example', false)], total: 2 });
    const seen = [];
    for await (const item of client.admin.federation.listDestinations({ limit: 1 })) seen.push(item);
    expect(seen).toEqual([
      {
        destination: 'a.example',
        retryLastMs: 1_557_332_397_936,
        retryIntervalMs: 3_000_000,
        failureMs: 1_557_329_397_936,
        lastSuccessfulStreamOrdering: undefined,
        other: { future_field: 'kept' },
      },
      { destination: 'b.example', retryLastMs: 0, retryIntervalMs: 0, failureMs: undefined, lastSuccessfulStreamOrdering: 42, other: { future_field: 'kept' } },
    ]);
  });

  it("returns a destination's rooms page with its resume token", async () => {
    agent
      .get('http://synapse.test')
      .intercept({ path: '/_synapse/admin/v1/federation/destinations/a.example/rooms?limit=1', method: 'GET' })
      .reply(200, { rooms: [{ room_id: '!r:a.example', stream_ordering: 8326 }], total: 2, next_token: '1' });
    const page = await client.admin.federation.listDestinationRoomsPage('a.example', { limit: 1 });
    expect(page).toEqual({ items: [{ roomId: '!r:a.example', streamOrdering: 8326, other: {} }], nextToken: '1', total: 2 });
  });
});
