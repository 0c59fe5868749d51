import { createRoute } from '@hono/zod-openapi';
import { checkDependencies, type DependencyCheck } from '@matrix-reset/reset-core';
import { createRouter } from '../router.ts';
import { healthSchema, readinessSchema } from '../schemas/health.ts';
import type { ServiceContext } from '../service-context.ts';

/** How long each readiness check may take. */
export const READINESS_TIMEOUT_MS = 2000;
/**
 * How long one readiness answer is served again (and concurrent probes share one check): the probes need no auth,
 * so without it any caller could turn `/readyz` into a stream of Synapse whoami calls and Postgres queries.
 */
export const READINESS_CACHE_MS = 1000;

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'The process is up (no dependency is checked)',
  responses: { 200: { description: 'Up', content: { 'application/json': { schema: healthSchema } } } },
});

const cached = `Each check gives up after ${READINESS_TIMEOUT_MS} ms; an answer is reused for ${READINESS_CACHE_MS} ms (concurrent probes share one check). 503 names the dependency that failed (never a secret).`;

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  summary: 'Postgres answers select 1 and Synapse answers whoami with the admin token',
  description: `${cached} Synapse is down during a full reset: probe /readyz/local to decide whether an instance takes traffic.`,
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: readinessSchema } } },
    503: { description: 'A dependency failed', content: { 'application/json': { schema: readinessSchema } } },
  },
});

const readyzLocal = createRoute({
  method: 'get',
  path: '/readyz/local',
  tags: ['health'],
  summary: 'This instance can serve: the process is up and Postgres answers select 1 (Synapse is not checked)',
  description:
    `${cached} The Deployment's readinessProbe: a full reset scales Synapse to 0, and the status page, run events and ` +
    'rollback (which need only Postgres and the cluster) must stay reachable then.',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: readinessSchema } } },
    503: { description: 'Postgres failed', content: { 'application/json': { schema: readinessSchema } } },
  },
});

/**
 * `check` behind a short cache: a call while one is in flight shares it, and a settled answer is reused for
 * `ttlMs` (monotonic clock).
 */
export function cachedCheck(check: () => Promise<DependencyCheck[]>, ttlMs: number): () => Promise<DependencyCheck[]> {
  let current: { answer: Promise<DependencyCheck[]>; settledAt: number | undefined } | undefined;
  return () => {
    if (current !== undefined && (current.settledAt === undefined || performance.now() - current.settledAt < ttlMs)) return current.answer;
    const entry: { answer: Promise<DependencyCheck[]>; settledAt: number | undefined } = { answer: check(), settledAt: undefined };
    // checkDependencies reports failures instead of throwing; a rejection (a bug) is not cached.
    entry.answer.then(
      () => (entry.settledAt = performance.now()),
      () => {
        if (current === entry) current = undefined;
      },
    );
    current = entry;
    return entry.answer;
  };
}

/** `GET /healthz`, `GET /readyz` and `GET /readyz/local` (no auth: probes for the orchestrator). */
export function healthRoutes(ctx: ServiceContext) {
  const full = cachedCheck(() => checkDependencies(ctx.connection, { timeoutMs: READINESS_TIMEOUT_MS }), READINESS_CACHE_MS);
  const local = cachedCheck(() => checkDependencies(ctx.connection, { timeoutMs: READINESS_TIMEOUT_MS, only: ['postgres'] }), READINESS_CACHE_MS);
  return createRouter()
    .openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(readyz, async (c) => {
      const checks = await full();
      c.header('Cache-Control', 'no-store');
      return checks.every((check) => check.ok) ? c.json({ status: 'ready' as const, checks }, 200) : c.json({ status: 'unavailable' as const, checks }, 503);
    })
    .openapi(readyzLocal, async (c) => {
      const checks = await local();
      c.header('Cache-Control', 'no-store');
      return checks.every((check) => check.ok) ? c.json({ status: 'ready' as const, checks }, 200) : c.json({ status: 'unavailable' as const, checks }, 503);
    });
}
