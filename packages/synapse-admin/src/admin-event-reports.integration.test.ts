import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { segment } from './client-context.ts';
import { SynapseTransport } from './synapse-transport.ts';
import { registerUser, rejectionOf, uniqueLocalpart, type TestUser } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';

/** Reports an event as `reporter`, through the client-server API the client does not wrap. */
async function reportEvent(reporter: TestUser, roomId: string, eventId: string, reason: string): Promise<void> {
  const transport = new SynapseTransport({ baseUrl: synapseTestEnv().url });
  await transport.call({
    method: 'POST',
    route: '/_matrix/client/v3/rooms/{roomId}/report/{eventId}',
    path: `/_matrix/client/v3/rooms/${segment(roomId)}/report/${segment(eventId)}`,
    accessToken: reporter.accessToken,
    body: { reason, score: -50 },
    idempotency: 'never',
    schema: z.unknown(),
  });
}

describe('event reports against a real Synapse', () => {
  let admin: TestUser;
  let reporter: TestUser;
  let roomId: string;
  let reported: string[];

  beforeAll(async () => {
    admin = await registerUser({ admin: true });
    await admin.client.admin.overrideRateLimit(admin.userId); // these tests create many rooms
    reporter = await registerUser();
    ({ roomId } = await admin.client.rooms.create({ preset: 'public_chat', name: uniqueLocalpart('reported') }));
    await reporter.client.rooms.join(roomId);
    reported = [];
    for (const text of ['rude', 'ruder']) {
      const { eventId } = await admin.client.rooms.sendText(roomId, text);
      await reportEvent(reporter, roomId, eventId, `about ${text}`);
      reported.push(eventId);
    }
  });

  it('listPage returns a page, the next token and the total, and resumes from the token', async () => {
    const first = await admin.client.admin.eventReports.listPage({ roomId, limit: 1, dir: 'f' });
    expect(first).toMatchObject({ total: 2, nextToken: '1' });
    expect(first.items).toMatchObject([
      { roomId, eventId: reported[0], reporterUserId: reporter.userId, senderUserId: admin.userId, reason: 'about rude', score: -50, other: {} },
    ]);
    const second = await admin.client.admin.eventReports.listPage({ roomId, limit: 1, dir: 'f', from: first.nextToken });
    expect(second.nextToken).toBeUndefined();
    expect(second.items.map((report) => report.eventId)).toEqual([reported[1]]);
  });

  it('list follows next_token, newest first by default, filtered by sender', async () => {
    const seen = [];
    for await (const report of admin.client.admin.eventReports.list({ roomId, limit: 1, eventSenderUserId: admin.userId })) seen.push(report.eventId);
    expect(seen).toEqual([reported[1], reported[0]]);
  });

  it('list refuses a non-admin caller with not_admin', async () => {
    const error = await rejectionOf(reporter.client.admin.eventReports.listPage({ roomId }));
    expect(error).toMatchObject({ code: 'not_admin', status: 403, errcode: 'M_FORBIDDEN' });
  });

  it('get returns a report with the event, not_found for an unknown id, bad_request for a malformed one', async () => {
    const [listed] = (await admin.client.admin.eventReports.listPage({ roomId, dir: 'f', limit: 1 })).items;
    const report = await admin.client.admin.eventReports.get(listed?.reportId ?? '');
    expect(report).toMatchObject({ reportId: listed?.reportId, eventId: reported[0], reason: 'about rude', other: {} });
    expect(report.eventJson).toMatchObject({ type: 'm.room.message', sender: admin.userId, content: { body: 'rude' } });
    expect(await rejectionOf(admin.client.admin.eventReports.get('999999999'))).toMatchObject({ code: 'not_found', status: 404, errcode: 'M_NOT_FOUND' });
    expect(await rejectionOf(admin.client.admin.eventReports.get('not-a-number'))).toMatchObject({ code: 'bad_request', status: 400, errcode: 'M_INVALID_PARAM' });
  });

  it('delete removes a report, and a second delete is not_found', async () => {
    const { eventId } = await admin.client.rooms.sendText(roomId, 'to be forgiven');
    await reportEvent(reporter, roomId, eventId, 'changed my mind');
    const [report] = (await admin.client.admin.eventReports.listPage({ roomId, limit: 1 })).items;
    expect(report?.eventId).toBe(eventId);
    await admin.client.admin.eventReports.delete(report?.reportId ?? '');
    expect(await rejectionOf(admin.client.admin.eventReports.get(report?.reportId ?? ''))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(admin.client.admin.eventReports.delete(report?.reportId ?? ''))).toMatchObject({ code: 'not_found', status: 404 });
  });
});
