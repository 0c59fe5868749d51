import { createRoute, z } from '@hono/zod-openapi';
import { runStatus } from '@matrix-reset/reset-core';
import { requireScope } from '../require-scope.ts';
import { bearerOrSessionSecurity, createRouter } from '../router.ts';
import { errorResponses } from '../schemas/error.ts';
import type { ServiceContext } from '../service-context.ts';

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['metrics'],
  summary: 'Prometheus text: drift counts, ensure latency, runs by state, HTTP requests',
  security: bearerOrSessionSecurity,
  middleware: [requireScope('read')] as const,
  responses: { 200: { description: 'Prometheus exposition format', content: { 'text/plain': { schema: z.string() } } }, ...errorResponses(401, 403, 429) },
});

/**
 * Sets the scrape-time gauges: drift from the cached summary as it is (a scrape never waits for doctor; a stale or
 * missing summary starts a refresh in the background, and no summary yet means no drift series at all, age included),
 * runs from the journal.
 */
async function refreshGauges(ctx: ServiceContext): Promise<void> {
  const { metrics } = ctx;
  const drift = ctx.drift.peek();
  if (drift === undefined || drift.ageSeconds > ctx.config.drift.maxAgeSeconds) {
    // Concurrent refreshes share one doctor run; a failure is logged here and tried again at the next scrape.
    ctx.drift.get().catch((error: unknown) => ctx.logger.warn({ code: (error as { code?: unknown }).code }, 'metrics: drift summary unavailable'));
  }
  metrics.driftCredentials.reset();
  if (drift === undefined) {
    // No summary, no age: the series is absent rather than a misleading 0 (alert on `absent(matrix_reset_drift_age_seconds)`).
    metrics.driftAgeSeconds.remove();
  } else {
    for (const schema of drift.summary.schemas) {
      for (const [name, count] of Object.entries(schema.counts)) metrics.driftCredentials.set({ class: name, schema: schema.schema }, count);
    }
    metrics.driftAgeSeconds.set(drift.ageSeconds);
  }
  try {
    const runs = await runStatus(ctx.connection.db, { environment: ctx.environment.name, limit: 500 });
    metrics.runs.reset();
    for (const state of ['running', 'finished', 'failed', 'rolled-back']) metrics.runs.set({ state }, 0);
    for (const { run, rollback } of runs) metrics.runs.inc({ state: rollback?.state === 'rolled-back' ? 'rolled-back' : run.state });
  } catch (error) {
    ctx.logger.warn({ code: (error as { code?: unknown }).code }, 'metrics: journal unavailable');
  }
}

/** `GET /metrics`. */
export function metricsRoutes(ctx: ServiceContext) {
  return createRouter().openapi(metricsRoute, async (c) => {
    await refreshGauges(ctx);
    const text = await ctx.metrics.registry.metrics();
    return c.text(text, 200, { 'Content-Type': ctx.metrics.registry.contentType });
  });
}
