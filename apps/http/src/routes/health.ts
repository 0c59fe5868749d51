import { createRoute, z } from '@hono/zod-openapi';
import { checkDependencies } from '@matrix-reset/reset-core';
import { createRouter } from '../router.ts';
import type { ServiceContext } from '../service-context.ts';

/** How long each readiness check may take. */
export const READINESS_TIMEOUT_MS = 2000;

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'The process is up (no dependency is checked)',
  responses: { 200: { description: 'Up', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } },
});

const checkSchema = z.object({ name: z.enum(['postgres', 'synapse']), ok: z.boolean(), ms: z.number(), problem: z.string().optional() }).openapi('DependencyCheck');
const readinessSchema = z.object({ status: z.enum(['ready', 'unavailable']), checks: z.array(checkSchema) }).openapi('Readiness');

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  summary: 'Postgres answers select 1 and Synapse answers whoami with the admin token',
  description: `Each check gives up after ${READINESS_TIMEOUT_MS} ms. 503 names the dependency that failed (never a secret).`,
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: readinessSchema } } },
    503: { description: 'A dependency failed', content: { 'application/json': { schema: readinessSchema } } },
  },
});

/** `GET /healthz` and `GET /readyz` (no auth: probes for the orchestrator). */
export function healthRoutes(ctx: ServiceContext) {
  return createRouter()
    .openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(readyz, async (c) => {
      const checks = await checkDependencies(ctx.connection, { timeoutMs: READINESS_TIMEOUT_MS });
      const ready = checks.every((check) => check.ok);
      c.header('Cache-Control', 'no-store');
      return ready ? c.json({ status: 'ready' as const, checks }, 200) : c.json({ status: 'unavailable' as const, checks }, 503);
    });
}
