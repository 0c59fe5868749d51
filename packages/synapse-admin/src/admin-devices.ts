import type { z } from 'zod';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { deviceSchema, devicesSchema, emptySchema } from './schemas.ts';

export type Device = z.infer<typeof deviceSchema>;

/** The route template and concrete path of `/_synapse/admin/v2/users/<id>/devices[/<deviceId>]`. */
function devicesRoute(userId: string, deviceId?: string): { route: string; path: string } {
  const base = `/_synapse/admin/v2/users/${segment(userId)}/devices`;
  return deviceId === undefined
    ? { route: '/_synapse/admin/v2/users/{userId}/devices', path: base }
    : { route: '/_synapse/admin/v2/users/{userId}/devices/{deviceId}', path: `${base}/${segment(deviceId)}` };
}

/** `GET /_synapse/admin/v2/users/<id>/devices`. Login-as tokens have no device and do not appear. */
export function listDevices(context: ClientContext, userId: string): Promise<Device[]> {
  return context.transport.call({
    method: 'GET',
    ...devicesRoute(userId),
    accessToken: requireToken(context, 'listDevices'),
    idempotency: 'idempotent',
    schema: devicesSchema,
  });
}

/** `GET /_synapse/admin/v2/users/<id>/devices/<deviceId>`; `not_found` for an unknown user or device. */
export function getDevice(context: ClientContext, userId: string, deviceId: string): Promise<Device> {
  return context.transport.call({
    method: 'GET',
    ...devicesRoute(userId, deviceId),
    accessToken: requireToken(context, 'getDevice'),
    idempotency: 'idempotent',
    schema: deviceSchema,
  });
}

/**
 * `POST /_synapse/admin/v2/users/<id>/devices`: registers a device with that id for the user (no token comes with
 * it). Nothing happens if the user already has it.
 */
export async function createDevice(context: ClientContext, userId: string, deviceId: string): Promise<void> {
  await context.transport.call({
    method: 'POST',
    ...devicesRoute(userId),
    accessToken: requireToken(context, 'createDevice'),
    body: { device_id: deviceId },
    idempotency: 'idempotent',
    schema: emptySchema,
  });
}

/** `PUT /_synapse/admin/v2/users/<id>/devices/<deviceId>`: renames the device; `not_found` for an unknown one. */
export async function updateDevice(context: ClientContext, userId: string, deviceId: string, fields: { displayName: string }): Promise<void> {
  await context.transport.call({
    method: 'PUT',
    ...devicesRoute(userId, deviceId),
    accessToken: requireToken(context, 'updateDevice'),
    body: { display_name: fields.displayName },
    idempotency: 'idempotent',
    schema: emptySchema,
  });
}

/** `DELETE /_synapse/admin/v2/users/<id>/devices/<deviceId>`: deletes the device and revokes its token. An unknown device id is ignored. */
export async function deleteDevice(context: ClientContext, userId: string, deviceId: string): Promise<void> {
  await context.transport.call({
    method: 'DELETE',
    ...devicesRoute(userId, deviceId),
    accessToken: requireToken(context, 'deleteDevice'),
    idempotency: 'idempotent',
    schema: emptySchema,
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
