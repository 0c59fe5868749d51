import { z } from '@hono/zod-openapi';

// The bodies of POST /v1/users/{appUserId}/matrix-credentials (routes/credentials.ts), named in the OpenAPI document.

export const appUserParams = z.object({
  appUserId: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'an app user key: 1 to 200 of A-Z a-z 0-9 . _ : -')
    .openapi({ param: { name: 'appUserId', in: 'path' }, example: '42' }),
});

export const ensureRequest = z
  .strictObject({
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a Postgres schema name (a-z, 0-9 and _, at most 63), e.g. tenant_acme')
      .optional()
      .openapi({ description: 'The schema (tenant) holding the app user; optional when the layout names exactly one', example: 'tenant_acme' }),
  })
  .openapi('EnsureCredentialsRequest');

export const matrixCredentials = z
  .object({
    userId: z.string().openapi({ example: '@alice_acme:matrix.example.org' }),
    deviceId: z.string().nullable().openapi({ description: 'The stored device id of a kept token; null for minted (login-as) tokens' }),
    source: z.enum(['kept', 'login-as', 'created']).openapi({ description: 'kept: the stored token works; login-as: a new token for the existing user; created: a new user and token' }),
    accessToken: z.string().optional().openapi({ description: 'Only for callers whose token also has credentials:read' }),
  })
  .openapi('MatrixCredentials');
