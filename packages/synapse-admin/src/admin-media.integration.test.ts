import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { SynapseApiError } from './synapse-api-error.ts';
import { createSynapseClient } from './synapse-client.ts';
import { registerUser, rejectionOf, uniqueLocalpart, type TestUser } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';

/** Sends an `m.image` message referring to `contentUri`, which the client library has no call for. */
async function sendImage(user: TestUser, roomId: string, contentUri: string): Promise<void> {
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${uniqueLocalpart('txn')}`;
  const response = await fetch(new URL(path, synapseTestEnv().url), {
    method: 'PUT',
    headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ msgtype: 'm.image', body: 'picture.png', url: contentUri }),
  });
  expect(response.status).toBe(200);
}

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

describe('admin media calls against a real Synapse', () => {
  let admin: TestUser;
  let user: TestUser;
  const serverName = synapseTestEnv().serverName;

  beforeAll(async () => {
    [admin, user] = await Promise.all([registerUser({ admin: true }), registerUser({ prefix: 'media' })]);
  });

  it('upload returns the mxc URI and getMedia describes the item', async () => {
    const uploaded = await user.client.media.upload(text('hello media'), { contentType: 'text/plain', filename: 'hello.txt' });
    expect(uploaded.contentUri).toBe(`mxc://${serverName}/${uploaded.mediaId}`);
    expect(uploaded.serverName).toBe(serverName);
    const info = await admin.client.admin.media.getMedia(uploaded.serverName, uploaded.mediaId);
    expect(info).toMatchObject({
      origin: undefined,
      userId: user.userId,
      mediaId: uploaded.mediaId,
      mediaType: 'text/plain',
      mediaLength: 11,
      uploadName: 'hello.txt',
      quarantinedBy: undefined,
      safeFromQuarantine: false,
    });
    expect(info.createdMs).toBeGreaterThan(Date.now() - 600_000);
    expect(info.other).toEqual({});
  });

  it('getMedia of an unknown item is not_found, and a non-admin caller is not_admin', async () => {
    const unknown = await rejectionOf(admin.client.admin.media.getMedia(serverName, 'nosuchmedia0000'));
    expect(unknown).toBeInstanceOf(SynapseApiError);
    expect(unknown).toMatchObject({ code: 'not_found', status: 404, errcode: 'M_NOT_FOUND' });
    const uploaded = await user.client.media.upload(text('mine'));
    expect(await rejectionOf(user.client.admin.media.getMedia(serverName, uploaded.mediaId))).toMatchObject({ code: 'not_admin', status: 403 });
  });

  it('quarantineMedia and unquarantineMedia mark the item and show in the quarantine changes', async () => {
    // Read to the head of the stream first: an empty page's nextToken is the current position.
    let from = 0;
    for (let page = await admin.client.admin.media.listQuarantineChangesPage(); ; page = await admin.client.admin.media.listQuarantineChangesPage({ from })) {
      from = page.nextToken;
      if (page.items.length === 0) break;
    }
    const { mediaId } = await user.client.media.upload(text('to quarantine'));
    await admin.client.admin.media.quarantineMedia(serverName, mediaId);
    expect((await admin.client.admin.media.getMedia(serverName, mediaId)).quarantinedBy).toBe(admin.userId);
    await admin.client.admin.media.unquarantineMedia(serverName, mediaId);
    expect((await admin.client.admin.media.getMedia(serverName, mediaId)).quarantinedBy).toBeUndefined();
    const changes = [];
    for await (const change of admin.client.admin.media.listQuarantineChanges({ from })) if (change.mediaId === mediaId) changes.push(change);
    expect(changes.map((change) => ({ origin: change.origin, quarantined: change.quarantined }))).toEqual([
      { origin: serverName, quarantined: true },
      { origin: serverName, quarantined: false },
    ]);
  });

  it('quarantineUserMedia skips protected media until it is unprotected', async () => {
    const uploader = await registerUser({ prefix: 'uploader' });
    const kept = await uploader.client.media.upload(text('protected'));
    const dropped = await uploader.client.media.upload(text('not protected'));
    await admin.client.admin.media.protectMedia(kept.mediaId);
    expect((await admin.client.admin.media.getMedia(serverName, kept.mediaId)).safeFromQuarantine).toBe(true);
    expect(await admin.client.admin.media.quarantineUserMedia(uploader.userId)).toEqual({ quarantined: 1 });
    expect((await admin.client.admin.media.getMedia(serverName, kept.mediaId)).quarantinedBy).toBeUndefined();
    expect((await admin.client.admin.media.getMedia(serverName, dropped.mediaId)).quarantinedBy).toBe(admin.userId);
    await admin.client.admin.media.unprotectMedia(kept.mediaId);
    expect((await admin.client.admin.media.getMedia(serverName, kept.mediaId)).safeFromQuarantine).toBe(false);
  });

  it('listRoomMedia names the media a room refers to and quarantineRoomMedia quarantines it', async () => {
    const { roomId } = await user.client.rooms.create({ name: uniqueLocalpart('media-room') });
    const uploaded = await user.client.media.upload(text('in a room'), { contentType: 'image/png' });
    await sendImage(user, roomId, uploaded.contentUri);
    expect(await admin.client.admin.media.listRoomMedia(roomId)).toEqual({ local: [uploaded.contentUri], remote: [], other: {} });
    expect(await admin.client.admin.media.quarantineRoomMedia(roomId)).toEqual({ quarantined: 1 });
    expect((await admin.client.admin.media.getMedia(serverName, uploaded.mediaId)).quarantinedBy).toBe(admin.userId);
    expect(await rejectionOf(user.client.admin.media.quarantineRoomMedia(roomId))).toMatchObject({ code: 'not_admin', status: 403 });
  });

  it('deleteMedia removes one local item; an unknown one is not_found, a remote one bad_request', async () => {
    const { mediaId } = await user.client.media.upload(text('to delete'));
    expect(await admin.client.admin.media.deleteMedia(serverName, mediaId)).toEqual({ deletedMedia: [mediaId], total: 1, other: {} });
    expect(await rejectionOf(admin.client.admin.media.getMedia(serverName, mediaId))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(admin.client.admin.media.deleteMedia(serverName, mediaId))).toMatchObject({ code: 'not_found', status: 404 });
    expect(await rejectionOf(admin.client.admin.media.deleteMedia('elsewhere.example', mediaId))).toMatchObject({ code: 'bad_request', status: 400 });
  });

  it('deleteMediaBefore deletes old, large, unprotected media and reports what it removed', async () => {
    // Larger than anything else the suite uploads, so the deletion touches only these two items.
    const size = 4 * 1024 * 1024 + 1;
    const doomed = await user.client.media.upload(randomBytes(size));
    const kept = await user.client.media.upload(randomBytes(size));
    await admin.client.admin.media.protectMedia(kept.mediaId);
    const result = await admin.client.admin.media.deleteMediaBefore({ beforeMs: Date.now() + 1000, sizeGt: size - 1 });
    expect(result.deletedMedia).toContain(doomed.mediaId);
    expect(result.deletedMedia).not.toContain(kept.mediaId);
    expect(result.total).toBe(result.deletedMedia.length);
    expect((await admin.client.admin.media.getMedia(serverName, kept.mediaId)).mediaLength).toBe(size);
    await admin.client.admin.media.deleteMedia(serverName, kept.mediaId);
  });

  it('deleteMediaBefore and purgeRemoteMediaCache refuse a timestamp in seconds as M_INVALID_PARAM', async () => {
    const seconds = Math.floor(Date.now() / 1000);
    expect(await rejectionOf(admin.client.admin.media.deleteMediaBefore({ beforeMs: seconds }))).toMatchObject({ code: 'bad_request', status: 400, errcode: 'M_INVALID_PARAM' });
    expect(await rejectionOf(admin.client.admin.media.purgeRemoteMediaCache({ beforeMs: seconds }))).toMatchObject({ code: 'bad_request', status: 400, errcode: 'M_INVALID_PARAM' });
  });

  it('purgeRemoteMediaCache reports how many cached remote items it dropped', async () => {
    // The sandbox does not federate, so its cache of remote media is empty.
    expect(await admin.client.admin.media.purgeRemoteMediaCache({ beforeMs: Date.now() })).toEqual({ deleted: 0, other: {} });
  });

  it('the delegated Synapse serves the media routes: a made-up token is unknown_token, not route_missing', async () => {
    const { delegatedUrl, delegatedServerName } = synapseTestEnv();
    const media = createSynapseClient({ baseUrl: delegatedUrl, accessToken: 'mct_not-a-real-token-000', retry: { maxRetries: 0 } }).admin.media;
    for (const call of [() => media.getMedia(delegatedServerName, 'abc'), () => media.listRoomMedia('!r:x'), () => media.quarantineMedia(delegatedServerName, 'abc'), () => media.deleteMediaBefore({ beforeMs: Date.now() }), () => media.purgeRemoteMediaCache({ beforeMs: Date.now() })]) {
      expect(await rejectionOf(call())).toMatchObject({ code: 'unknown_token', status: 401 });
    }
  });
});
