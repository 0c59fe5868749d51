import { z } from '@hono/zod-openapi';

// The bodies of POST /session (routes/session.ts), named in the OpenAPI document.

export const login = z.strictObject({ token: z.string().min(1, 'the service token (it needs the read scope)').max(200) }).openapi('SessionLogin');

export const sessionSchema = z.object({ tokenName: z.string(), expiresAt: z.string() });
