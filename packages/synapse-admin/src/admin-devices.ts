import type { z } from 'zod';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { devicesSchema, emptySchema } from './schemas.ts';

export type Device = z.infer<typeof devicesSchema>[number];

/** `GET /_synapse/admin/v2/users/<id>/devices`. Login-as tokens have no device and do not appear. */
export function listDevices(context: ClientContext, userId: string): Promise<Device[]> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v2/users/{userId}/devices',
    path: `/_synapse/admin/v2/users/${segment(userId)}/devices`,
    accessToken: requireToken(context, 'listDevices'),
    idempotency: 'idempotent',
    schema: devicesSchema,
  });
}

/** `POST /_synapse/admin/v2/users/<id>/delete_devices`: deletes the devices and revokes their tokens. Unknown ids are ignored. */
export async function deleteDevices(context: ClientContext, userId: string, deviceIds: readonly string[]): Promise<void> {
  await context.transport.call({
    method: 'POST',
    route: '/_synapse/admin/v2/users/{userId}/delete_devices',
    path: `/_synapse/admin/v2/users/${segment(userId)}/delete_devices`,
    accessToken: requireToken(context, 'deleteDevices'),
    body: { devices: deviceIds },
    idempotency: 'idempotent',
    schema: emptySchema,
  });
}
