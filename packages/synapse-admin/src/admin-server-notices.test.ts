import { describe, expect, it } from 'vitest';
import { SynapseApiError } from './synapse-api-error.ts';
import { rejectionOf } from './test-support/fixtures.ts';
import { JSON_HEADERS, mockSynapse } from './test-support/mock-synapse.ts';

describe('server notices on a Synapse without a server_notices section', () => {
  // The answer of Synapse 1.163.2 without `server_notices` in homeserver.yaml, as the shared sandbox gave it.
  it('is server_notices_disabled, saying what to configure', async () => {
    const { agent, pool, client } = mockSynapse({ accessToken: 'tok-admin-1' });
    pool
      .intercept({ path: '/_synapse/admin/v1/send_server_notice', method: 'POST' })
      .reply(400, { errcode: 'M_UNKNOWN', error: 'Server notices are not enabled on this server' }, JSON_HEADERS);
    const error = await rejectionOf(client.admin.serverNotices.send('@alice:mock', { msgtype: 'm.text', body: 'hi' }));
    expect(error).toBeInstanceOf(SynapseApiError);
    expect(error).toMatchObject({ code: 'server_notices_disabled', status: 400, errcode: 'M_UNKNOWN' });
    expect((error as SynapseApiError).nextSteps.join(' ')).toContain('server_notices');
    await agent.close();
  });
});
