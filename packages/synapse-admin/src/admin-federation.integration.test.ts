import { beforeAll, describe, expect, it } from 'vitest';
import { SynapseApiError } from './synapse-api-error.ts';
import { registerUser, rejectionOf, uniqueLocalpart, type TestUser } from './test-support/fixtures.ts';

// The sandbox Synapse federates with no other server, so its destination list is empty and every destination is
// unknown: these tests cover the list shapes and the errors. (A destination's own shape is covered by the unit test.)
describe('federation admin calls against a real Synapse', () => {
  let admin: TestUser;
  let user: TestUser;
  const unknownDestination = () => `${uniqueLocalpart('nowhere')}.invalid`;

  beforeAll(async () => {
    [admin, user] = await Promise.all([registerUser({ admin: true }), registerUser()]);
  });

  it('lists destinations as a page with its total and no next token past the end', async () => {
    const page = await admin.client.admin.federation.listDestinationsPage({ limit: 10, orderBy: 'destination', dir: 'f' });
    expect(page.total).toBe(page.items.length);
    expect(page.nextToken).toBeUndefined();
  });

  it('iterates every destination the pages hold', async () => {
    const listed = [];
    for await (const destination of admin.client.admin.federation.listDestinations({ limit: 1 })) listed.push(destination.destination);
    const { total } = await admin.client.admin.federation.listDestinationsPage();
    expect(listed.length).toBe(total);
  });

  it('answers not_found for a destination the server never talked to', async () => {
    const error = await rejectionOf(admin.client.admin.federation.getDestination(unknownDestination()));
    expect(error).toBeInstanceOf(SynapseApiError);
    expect(error).toMatchObject({ code: 'not_found', status: 404, errcode: 'M_NOT_FOUND' });
  });

  it("answers not_found for an unknown destination's rooms, page and iterator alike", async () => {
    const destination = unknownDestination();
    expect(await rejectionOf(admin.client.admin.federation.listDestinationRoomsPage(destination, { limit: 5 }))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(admin.client.admin.federation.listDestinationRooms(destination).next())).toMatchObject({ code: 'not_found' });
  });

  it('answers not_found when resetting the connection of an unknown destination', async () => {
    const error = await rejectionOf(admin.client.admin.federation.resetConnection(unknownDestination()));
    expect(error).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('refuses a non-admin caller with not_admin', async () => {
    const error = await rejectionOf(user.client.admin.federation.listDestinationsPage());
    expect(error).toMatchObject({ code: 'not_admin', status: 403 });
  });
});
