import { describe, expect, it } from 'vitest';
import { JSON_HEADERS, mockSynapse } from './test-support/mock-synapse.ts';

describe('databaseRoomSizes', () => {
  // The documented answer (docs/admin_api/statistics.md); the sandbox's Synapse cannot give one, see the integration test.
  it('reads the rooms and their estimated sizes, keeping unknown fields', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-admin-1' });
    pool
      .intercept({ path: '/_synapse/admin/v1/statistics/database/rooms', method: 'GET' })
      .reply(200, { rooms: [{ room_id: '!big:mock', estimated_size: 3_000_000, tables: 7 }, { room_id: '!small:mock', estimated_size: 1000 }] }, JSON_HEADERS);
    expect(await client.admin.statistics.databaseRoomSizes()).toEqual([
      { roomId: '!big:mock', estimatedSize: 3_000_000, other: { tables: 7 } },
      { roomId: '!small:mock', estimatedSize: 1000, other: {} },
    ]);
    await agent.close();
  });
});
