import { z } from 'zod';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { unknownFields } from './unknown-fields.ts';

// The experimental features admin API (`/_synapse/admin/v1/experimental_features/<user_id>`): per-user switches
// for the MSCs Synapse lets an admin enable for one local user.

/**
 * Feature ids Synapse 1.163 accepts: `msc3881` (remotely toggling push notifications of another client),
 * `msc3575` (sliding sync) and `msc4222` (`state_after` in sync v2). Other names are typed as strings so a newer
 * Synapse's features can be used; Synapse rejects unknown ones with `bad_request`.
 */
export type ExperimentalFeatureId = 'msc3881' | 'msc3575' | 'msc4222' | (string & {});

const featuresSchema = z
  .looseObject({ features: z.record(z.string(), z.boolean()) })
  .transform((body) => ({
    /** Every feature Synapse knows, and whether it is enabled for the user. */
    features: Object.freeze(body.features) as Readonly<Record<ExperimentalFeatureId, boolean>>,
    other: unknownFields(body, ['features']),
  }));

const emptyObjectSchema = z.looseObject({}).transform(() => undefined);

export type ExperimentalFeatures = z.output<typeof featuresSchema>;

/** `GET /_synapse/admin/v1/experimental_features/<user_id>`; a remote user gives `bad_request`. */
export function getExperimentalFeatures(context: ClientContext, userId: string): Promise<ExperimentalFeatures> {
  return context.transport.call({
    method: 'GET',
    route: '/_synapse/admin/v1/experimental_features/{userId}',
    path: `/_synapse/admin/v1/experimental_features/${segment(userId)}`,
    accessToken: requireToken(context, 'experimentalFeatures.get'),
    idempotency: 'idempotent',
    schema: featuresSchema,
  });
}

/**
 * `PUT /_synapse/admin/v1/experimental_features/<user_id>`: enables (`true`) or disables (`false`) the listed
 * features; unlisted ones keep their state. An empty map, an unknown feature or a remote user give `bad_request`.
 */
export function setExperimentalFeatures(context: ClientContext, userId: string, features: Readonly<Partial<Record<ExperimentalFeatureId, boolean>>>): Promise<void> {
  return context.transport.call({
    method: 'PUT',
    route: '/_synapse/admin/v1/experimental_features/{userId}',
    path: `/_synapse/admin/v1/experimental_features/${segment(userId)}`,
    body: { features },
    accessToken: requireToken(context, 'experimentalFeatures.set'),
    idempotency: 'idempotent',
    schema: emptyObjectSchema,
  });
}
