import { z } from '@hono/zod-openapi';

// The bodies of GET /healthz, /readyz and /readyz/local (routes/health.ts), named in the OpenAPI document.

export const healthSchema = z.object({ status: z.literal('ok') });

const checkSchema = z.object({ name: z.enum(['postgres', 'synapse']), ok: z.boolean(), ms: z.number(), problem: z.string().optional() }).openapi('DependencyCheck');

export const readinessSchema = z.object({ status: z.enum(['ready', 'unavailable']), checks: z.array(checkSchema) }).openapi('Readiness');
