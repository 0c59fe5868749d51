import { z } from 'zod';
import { requireNativeAuth } from './auth-mode.ts';
import { requireToken, segment, type ClientContext } from './client-context.ts';
import { emptySchema } from './schemas.ts';
import { unknownFields } from './unknown-fields.ts';

// Registration tokens (docs/usage/administration/admin_api/registration_tokens.md): tokens that let someone register
// while open registration is off. Synapse does not register these routes when it delegates auth to the Matrix
// Authentication Service, so every call goes through requireNativeAuth. A token is a secret of sorts: it is passed
// to the transport as one, so errors (Synapse's "No such registration token: <token>" included) never show it.

const TOKEN_FIELDS = {
  token: z.string(),
  uses_allowed: z.number().nullable(),
  pending: z.number(),
  completed: z.number(),
  expiry_time: z.number().nullable(),
};

const tokenObject = z.looseObject(TOKEN_FIELDS).transform((body) => ({
  token: body.token,
  /** How many registrations it allows in all; `null`: no limit. */
  usesAllowed: body.uses_allowed,
  /** Registrations under way with it. */
  pending: body.pending,
  /** Registrations completed with it. */
  completed: body.completed,
  /** When it stops working, in ms since the epoch; `null`: never. */
  expiryMs: body.expiry_time,
  other: unknownFields(body, Object.keys(TOKEN_FIELDS)),
}));

export type RegistrationToken = z.infer<typeof tokenObject>;

const tokenListSchema = z.looseObject({ registration_tokens: z.array(tokenObject) }).transform((body) => body.registration_tokens);

export interface ListRegistrationTokensOptions {
  /** `true`: only tokens that can still be used; `false`: only expired or used-up ones; omitted: all. */
  valid?: boolean;
}

/** `GET /_synapse/admin/v1/registration_tokens`: every token (Synapse does not paginate them). */
export function listRegistrationTokens(context: ClientContext, options: ListRegistrationTokensOptions = {}): Promise<RegistrationToken[]> {
  return requireNativeAuth(context, 'registration_tokens', () =>
    context.transport.call({
      method: 'GET',
      route: '/_synapse/admin/v1/registration_tokens',
      path: '/_synapse/admin/v1/registration_tokens',
      query: { valid: options.valid },
      accessToken: requireToken(context, 'registrationTokens.list'),
      idempotency: 'idempotent',
      schema: tokenListSchema,
    }),
  );
}

/** `GET /_synapse/admin/v1/registration_tokens/<token>`; `not_found` when there is no such token. */
export function getRegistrationToken(context: ClientContext, token: string): Promise<RegistrationToken> {
  return requireNativeAuth(context, 'registration_tokens', () =>
    context.transport.call({
      method: 'GET',
      route: '/_synapse/admin/v1/registration_tokens/{token}',
      path: `/_synapse/admin/v1/registration_tokens/${segment(token)}`,
      accessToken: requireToken(context, 'registrationTokens.get'),
      idempotency: 'idempotent',
      schema: tokenObject,
      secrets: [token],
    }),
  );
}

export interface CreateRegistrationTokenOptions {
  /** The token itself (1-64 of `A-Za-z0-9._~-`); by default Synapse generates one of `length` characters. */
  token?: string;
  /** Length of a generated token (default 16, at most 64); ignored with `token`. */
  length?: number;
  /** How many registrations it allows; omitted or `null`: no limit. */
  usesAllowed?: number | null;
  /** When it stops working, in ms since the epoch (not in the past); omitted or `null`: never. */
  expiryMs?: number | null;
}

/** `POST /_synapse/admin/v1/registration_tokens/new`. A token that exists already is `bad_request` (`M_INVALID_PARAM`). */
export function createRegistrationToken(context: ClientContext, options: CreateRegistrationTokenOptions = {}): Promise<RegistrationToken> {
  return requireNativeAuth(context, 'registration_tokens', () =>
    context.transport.call({
      method: 'POST',
      route: '/_synapse/admin/v1/registration_tokens/new',
      path: '/_synapse/admin/v1/registration_tokens/new',
      body: {
        ...(options.token === undefined ? {} : { token: options.token }),
        ...(options.length === undefined ? {} : { length: options.length }),
        ...(options.usesAllowed === undefined ? {} : { uses_allowed: options.usesAllowed }),
        ...(options.expiryMs === undefined ? {} : { expiry_time: options.expiryMs }),
      },
      accessToken: requireToken(context, 'registrationTokens.create'),
      idempotency: 'rate-limit-only',
      schema: tokenObject,
      secrets: [options.token],
    }),
  );
}

export interface UpdateRegistrationTokenOptions {
  /** A new limit; `null` lifts it. Omitted: unchanged. */
  usesAllowed?: number | null;
  /** A new expiry in ms (not in the past); `null`: never. Omitted: unchanged. */
  expiryMs?: number | null;
}

/** `PUT /_synapse/admin/v1/registration_tokens/<token>`: changes what is given and returns the token as it now is. */
export function updateRegistrationToken(context: ClientContext, token: string, changes: UpdateRegistrationTokenOptions): Promise<RegistrationToken> {
  return requireNativeAuth(context, 'registration_tokens', () =>
    context.transport.call({
      method: 'PUT',
      route: '/_synapse/admin/v1/registration_tokens/{token}',
      path: `/_synapse/admin/v1/registration_tokens/${segment(token)}`,
      body: {
        ...(changes.usesAllowed === undefined ? {} : { uses_allowed: changes.usesAllowed }),
        ...(changes.expiryMs === undefined ? {} : { expiry_time: changes.expiryMs }),
      },
      accessToken: requireToken(context, 'registrationTokens.update'),
      idempotency: 'idempotent',
      schema: tokenObject,
      secrets: [token],
    }),
  );
}

/** `DELETE /_synapse/admin/v1/registration_tokens/<token>`; `not_found` when there is no such token. */
export async function deleteRegistrationToken(context: ClientContext, token: string): Promise<void> {
  await requireNativeAuth(context, 'registration_tokens', () =>
    context.transport.call({
      method: 'DELETE',
      route: '/_synapse/admin/v1/registration_tokens/{token}',
      path: `/_synapse/admin/v1/registration_tokens/${segment(token)}`,
      accessToken: requireToken(context, 'registrationTokens.delete'),
      idempotency: 'idempotent',
      schema: emptySchema,
      secrets: [token],
    }),
  );
}
