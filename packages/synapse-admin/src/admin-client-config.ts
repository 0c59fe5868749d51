import { z } from 'zod';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import { unknownFields } from './unknown-fields.ts';
import { whoami } from './whoami.ts';

// The admin client config (docs/admin_api/client_server_api_extensions.md): global account data of type
// `io.element.synapse.admin_client_config` on a server admin's own account, which changes what the client-server
// API shows that admin (soft-failed events, events a policy server flagged as spam). Set by a non-admin it has no
// effect.

const TYPE = 'io.element.synapse.admin_client_config';
const ROUTE = `/_matrix/client/v3/user/{userId}/account_data/${TYPE}`;
const pathFor = (userId: string) => `/_matrix/client/v3/user/${segment(userId)}/account_data/${TYPE}`;

const CONFIG_KEYS = ['return_soft_failed_events', 'return_policy_server_spammy_events'] as const;

const configSchema = z
  .looseObject({ return_soft_failed_events: z.boolean().optional(), return_policy_server_spammy_events: z.boolean().optional() })
  .transform((body) => ({
    returnSoftFailedEvents: body.return_soft_failed_events,
    returnPolicyServerSpammyEvents: body.return_policy_server_spammy_events,
    other: unknownFields(body, CONFIG_KEYS),
  }));

const emptyObjectSchema = z.looseObject({}).transform(() => undefined);

/**
 * What the admin sees. `returnSoftFailedEvents`: include soft-failed events in `/sync`, `/messages`, ... (Synapse's
 * default false). `returnPolicyServerSpammyEvents`: include events a policy server flagged as spam (default: the
 * value of `returnSoftFailedEvents`; always true when that is true). `undefined` means unset.
 */
export interface AdminClientConfig {
  readonly returnSoftFailedEvents?: boolean | undefined;
  readonly returnPolicyServerSpammyEvents?: boolean | undefined;
}

export type StoredAdminClientConfig = z.output<typeof configSchema>;

/**
 * `GET /_matrix/client/v3/user/<own id>/account_data/io.element.synapse.admin_client_config` (the id from whoami);
 * `undefined` when never set.
 */
export async function getAdminClientConfig(context: ClientContext): Promise<StoredAdminClientConfig | undefined> {
  const accessToken = requireToken(context, 'clientConfig.get');
  const { userId } = await whoami(context);
  try {
    return await context.transport.call({ method: 'GET', route: ROUTE, path: pathFor(userId), accessToken, idempotency: 'idempotent', schema: configSchema });
  } catch (error) {
    if (error instanceof SynapseApiError && error.code === 'not_found') return undefined;
    throw error;
  }
}

/**
 * `PUT /_matrix/client/v3/user/<own id>/account_data/io.element.synapse.admin_client_config`: replaces the whole
 * config (an option left out is unset, so it takes Synapse's default).
 */
export async function setAdminClientConfig(context: ClientContext, config: AdminClientConfig): Promise<void> {
  const accessToken = requireToken(context, 'clientConfig.set');
  const { userId } = await whoami(context);
  await context.transport.call({
    method: 'PUT',
    route: ROUTE,
    path: pathFor(userId),
    body: {
      ...(config.returnSoftFailedEvents === undefined ? {} : { return_soft_failed_events: config.returnSoftFailedEvents }),
      ...(config.returnPolicyServerSpammyEvents === undefined ? {} : { return_policy_server_spammy_events: config.returnPolicyServerSpammyEvents }),
    },
    accessToken,
    idempotency: 'idempotent',
    schema: emptyObjectSchema,
  });
}
