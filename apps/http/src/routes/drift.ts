import { createRoute, z } from '@hono/zod-openapi';
import { CREDENTIAL_CLASSES } from '@matrix-reset/reset-core';
import { requireScope } from '../auth.ts';
import { errorResponses } from '../http-errors.ts';
import { bearerOrSessionSecurity, createRouter } from '../router.ts';
import type { ServiceContext } from '../service-context.ts';

const counts = z.object(Object.fromEntries(CREDENTIAL_CLASSES.map((name) => [name, z.number().int()]))).openapi('ClassCounts');

const driftSchema = z
  .object({
    environment: z.string(),
    layout: z.string(),
    adminToken: z.enum(['valid', 'absent', 'invalid', 'not_admin', 'unchecked']),
    population: z.number().int(),
    examined: z.number().int(),
    totals: counts,
    schemas: z.array(z.object({ schema: z.string(), examined: z.number().int(), counts })),
    recommendation: z.object({
      action: z.enum(['nothing', 'repair', 'full-reset', 'inconclusive']),
      reason: z.string(),
      evidence: z.object({
        checked: z.number().int(),
        valid: z.number().int(),
        broken: z.number().int(),
        missingUser: z.number().int(),
        unchecked: z.number().int(),
        validPercent: z.number(),
        brokenPercent: z.number(),
        missingUserPercent: z.number(),
      }),
    }),
    findingsTotal: z.number().int(),
    durationMs: z.number(),
    generatedAt: z.string().openapi({ description: 'When doctor finished (ISO 8601)' }),
    ageSeconds: z.number().int().openapi({ description: 'Seconds since generatedAt' }),
  })
  .openapi('Drift');

const driftRoute = createRoute({
  method: 'get',
  path: '/v1/drift',
  tags: ['drift'],
  summary: "The doctor's summary of the stored credentials, cached",
  description: 'Served from a cache younger than service.drift.maxAgeSeconds; refresh=true runs doctor now (concurrent refreshes share one run).',
  security: bearerOrSessionSecurity,
  middleware: [requireScope('read')] as const,
  request: { query: z.object({ refresh: z.enum(['true', 'false']).optional().openapi({ description: 'true: recompute now' }) }) },
  responses: { 200: { description: 'The drift summary', content: { 'application/json': { schema: driftSchema } } }, ...errorResponses(400, 401, 403, 429, 502, 503) },
});

/** `GET /v1/drift`. */
export function driftRoutes(ctx: ServiceContext) {
  return createRouter().openapi(driftRoute, async (c) => {
    const { refresh } = c.req.valid('query');
    const snapshot = await ctx.drift.get({ refresh: refresh === 'true' });
    c.header('Cache-Control', 'no-store');
    return c.json({ ...snapshot.summary, schemas: [...snapshot.summary.schemas], generatedAt: snapshot.generatedAt, ageSeconds: snapshot.ageSeconds }, 200);
  });
}
