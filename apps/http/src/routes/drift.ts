import { createRoute } from '@hono/zod-openapi';
import { requireScope } from '../require-scope.ts';
import { bearerOrSessionSecurity, createRouter } from '../router.ts';
import { driftQuery, driftSchema } from '../schemas/drift.ts';
import { errorResponses } from '../schemas/error.ts';
import type { ServiceContext } from '../service-context.ts';

const driftRoute = createRoute({
  method: 'get',
  path: '/v1/drift',
  tags: ['drift'],
  summary: "The doctor's summary of the stored credentials, cached",
  description: 'Served from a cache younger than service.drift.maxAgeSeconds, one per evidence kind; refresh=true runs doctor now (concurrent refreshes share one run).',
  security: bearerOrSessionSecurity,
  middleware: [requireScope('read')] as const,
  request: { query: driftQuery },
  responses: { 200: { description: 'The drift summary', content: { 'application/json': { schema: driftSchema } } }, ...errorResponses(400, 401, 403, 422, 429, 502, 503) },
});

/** `GET /v1/drift`. */
export function driftRoutes(ctx: ServiceContext) {
  return createRouter().openapi(driftRoute, async (c) => {
    const { refresh, evidence } = c.req.valid('query');
    const snapshot = await ctx.drift.get({ refresh: refresh === 'true', ...(evidence === undefined ? {} : { evidence }) });
    c.header('Cache-Control', 'no-store');
    return c.json({ ...snapshot.summary, schemas: [...snapshot.summary.schemas], generatedAt: snapshot.generatedAt, ageSeconds: snapshot.ageSeconds }, 200);
  });
}
