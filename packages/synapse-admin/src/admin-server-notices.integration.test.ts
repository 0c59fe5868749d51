import { beforeAll, describe, expect, it } from 'vitest';
import { createSynapseClient } from './synapse-client.ts';
import { registerUser, rejectionOf, uniqueLocalpart, type TestUser } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';

/** The senders of the user's pending invites, read from a real `/sync` (the client library has no sync call). */
async function inviters(user: TestUser): Promise<string[]> {
  const response = await fetch(new URL('/_matrix/client/v3/sync?timeout=0', synapseTestEnv().url), { headers: { authorization: `Bearer ${user.accessToken}` } });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { rooms?: { invite?: Record<string, { invite_state: { events: { type: string; sender: string; state_key?: string }[] } }> } };
  return Object.values(body.rooms?.invite ?? {}).flatMap((room) =>
    room.invite_state.events.filter((event) => event.type === 'm.room.member' && event.state_key === user.userId).map((event) => event.sender),
  );
}

describe('admin server notice calls against a real Synapse', () => {
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    [admin, user] = await Promise.all([registerUser({ admin: true }), registerUser({ prefix: 'noticed' })]);
  });

  it('send delivers a notice: the user is invited by the server notices user', async () => {
    const sent = await admin.client.admin.serverNotices.send(user.userId, { msgtype: 'm.text', body: 'maintenance tonight' });
    expect(sent).toEqual({ eventId: expect.stringMatching(/^\$/) as unknown, other: {} });
    expect(await inviters(user)).toContain(`@server-notices:${synapseTestEnv().serverName}`);
  });

  it('sendWithTxnId answers a repeated transaction with the first event, and a new one with a new event', async () => {
    const txnId = uniqueLocalpart('notice');
    const first = await admin.client.admin.serverNotices.sendWithTxnId(user.userId, { msgtype: 'm.text', body: 'once' }, { txnId });
    expect(first.txnId).toBe(txnId);
    const again = await admin.client.admin.serverNotices.sendWithTxnId(user.userId, { msgtype: 'm.text', body: 'once' }, { txnId });
    expect(again.eventId).toBe(first.eventId);
    const generated = await admin.client.admin.serverNotices.sendWithTxnId(user.userId, { msgtype: 'm.text', body: 'another' });
    expect(generated.txnId).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.eventId).not.toBe(first.eventId);
  });

  it('an unknown local user is not_found, a remote one bad_request, a non-admin caller not_admin', async () => {
    const { serverName } = synapseTestEnv();
    const content = { msgtype: 'm.text', body: 'nobody' };
    expect(await rejectionOf(admin.client.admin.serverNotices.send(`@${uniqueLocalpart('nobody')}:${serverName}`, content))).toMatchObject({ code: 'not_found', status: 404 });
    expect(await rejectionOf(admin.client.admin.serverNotices.send('@someone:elsewhere.example', content))).toMatchObject({ code: 'bad_request', status: 400 });
    expect(await rejectionOf(user.client.admin.serverNotices.send(admin.userId, content))).toMatchObject({ code: 'not_admin', status: 403 });
  });

  it('the delegated Synapse serves server notices: a made-up token is unknown_token, not route_missing', async () => {
    const { delegatedUrl, delegatedServerName } = synapseTestEnv();
    const notices = createSynapseClient({ baseUrl: delegatedUrl, accessToken: 'mct_not-a-real-token-000', retry: { maxRetries: 0 } }).admin.serverNotices;
    const content = { msgtype: 'm.text', body: 'hi' };
    for (const call of [() => notices.send(`@a:${delegatedServerName}`, content), () => notices.sendWithTxnId(`@a:${delegatedServerName}`, content)]) {
      expect(await rejectionOf(call())).toMatchObject({ code: 'unknown_token', status: 401 });
    }
  });
});
