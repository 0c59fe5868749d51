import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Destination } from './admin-federation.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import { registerUser, rejectionOf, uniqueLocalpart, type TestUser } from './test-support/fixtures.ts';
import { synapseTestEnv } from './test-support/synapse-env.ts';

/**
 * Makes the sandbox Synapse fail to reach `server` (a `.invalid` name, so the DNS lookup fails): a device-key query
 * for a user there goes through the federation client's backoff, which records the destination and its failure.
 * The record is written in the background, so this polls until the destination is known.
 */
async function failingDestination(as: TestUser, admin: TestUser, server: string): Promise<Destination> {
  const response = await fetch(`${synapseTestEnv().url}/_matrix/client/v3/keys/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${as.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ device_keys: { [`@someone:${server}`]: [] } }),
  });
  expect(response.status).toBe(200);
  await response.body?.cancel();
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = await admin.client.admin.federation.getDestination(server).catch((error: unknown) => {
      if (error instanceof SynapseApiError && error.code === 'not_found') return undefined;
      throw error;
    });
    if (found !== undefined && found.retryLastMs > 0) return found;
    if (Date.now() > deadline) throw new Error(`Synapse did not record its failure to reach ${server} within 10 s`);
    await sleep(100);
  }
}

describe('federation admin calls against a real Synapse', () => {
  let admin: TestUser;
  let user: TestUser;
  const marker = uniqueLocalpart('fed');
  const servers = [`${marker}-a.invalid`, `${marker}-b.invalid`] as const;
  const started = Date.now();
  let first: Destination;

  beforeAll(async () => {
    [admin, user] = await Promise.all([registerUser({ admin: true }), registerUser()]);
    [first] = await Promise.all([failingDestination(user, admin, servers[0]), failingDestination(user, admin, servers[1])]);
  });

  it('reads a failing destination with its retry timings', () => {
    expect(first).toMatchObject({ destination: servers[0], lastSuccessfulStreamOrdering: undefined, other: {} });
    expect(first.failureMs).toBeGreaterThanOrEqual(started - 1_000);
    expect(first.retryLastMs).toBeGreaterThanOrEqual(first.failureMs ?? Infinity);
    expect(first.retryIntervalMs).toBeGreaterThan(0);
  });

  it('lists destinations a page at a time, filtered by name, with a token to resume', async () => {
    const page = await admin.client.admin.federation.listDestinationsPage({ destination: marker, limit: 1 });
    expect(page.total).toBe(2);
    expect(page.items.map((d) => d.destination)).toEqual([servers[0]]);
    expect(page.nextToken).toBe('1');
    const last = await admin.client.admin.federation.listDestinationsPage({ destination: marker, limit: 1, from: page.nextToken });
    expect(last.items.map((d) => d.destination)).toEqual([servers[1]]);
    expect(last.nextToken).toBeUndefined();
  });

  it('iterates every matching destination across pages, in the order asked for', async () => {
    const seen: string[] = [];
    for await (const destination of admin.client.admin.federation.listDestinations({ destination: marker, limit: 1, dir: 'b' })) seen.push(destination.destination);
    expect(seen).toEqual([...servers].reverse());
  });

  it('lists the rooms shared with a destination (none: no room has a member there)', async () => {
    expect(await admin.client.admin.federation.listDestinationRoomsPage(servers[0], { limit: 10 })).toEqual({ items: [], nextToken: undefined, total: 0 });
    const rooms = [];
    for await (const room of admin.client.admin.federation.listDestinationRooms(servers[0])) rooms.push(room);
    expect(rooms).toEqual([]);
  });

  it('resets a backing-off destination, and answers bad_request when it is not backing off', async () => {
    const server = servers[1];
    await admin.client.admin.federation.resetConnection(server);
    expect(await admin.client.admin.federation.getDestination(server)).toMatchObject({ retryLastMs: 0, retryIntervalMs: 0, failureMs: undefined });
    const error = await rejectionOf(admin.client.admin.federation.resetConnection(server));
    expect(error).toMatchObject({ code: 'bad_request', status: 400 });
  });

  it('answers not_found for a destination the server never talked to, in every call', async () => {
    const unknown = `${uniqueLocalpart('nowhere')}.invalid`;
    const error = await rejectionOf(admin.client.admin.federation.getDestination(unknown));
    expect(error).toBeInstanceOf(SynapseApiError);
    expect(error).toMatchObject({ code: 'not_found', status: 404, errcode: 'M_NOT_FOUND' });
    expect(await rejectionOf(admin.client.admin.federation.listDestinationRoomsPage(unknown))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(admin.client.admin.federation.listDestinationRooms(unknown).next())).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(admin.client.admin.federation.resetConnection(unknown))).toMatchObject({ code: 'not_found' });
  });

  it('refuses a non-admin caller with not_admin', async () => {
    expect(await rejectionOf(user.client.admin.federation.listDestinationsPage())).toMatchObject({ code: 'not_admin', status: 403 });
  });
});
