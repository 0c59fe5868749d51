import { randomBytes } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Principal } from '../auth.ts';
import { ApiError } from '../http-errors.ts';
import { bearerOrSessionSecurity, createRouter } from '../router.ts';
import type { RunControl } from '../runs/run-control.ts';
import { SESSION_COOKIE } from '../session-cookie.ts';
import type { AppEnv, ServiceContext } from '../service-context.ts';
import { renderLoginPage, renderStatusPage, type CurrentRunView, type DriftView, type StepView } from '../status-page/render-status-page.ts';
import { runControlFor } from './runs.ts';

/** How long the page waits for a doctor run before showing that it is still computing. */
const DRIFT_WAIT_MS = 10_000;

const statusRoute = createRoute({
  method: 'get',
  path: '/',
  tags: ['status page'],
  summary: 'The status page (HTML): drift summary, the current run live, last runs',
  description:
    'Server-rendered, no front-end build. Needs read (a browser signs in through the form, which posts to POST /session for a ' +
    'read-only session cookie); an unauthenticated visitor gets the sign-in form. The current run updates live over its event stream.',
  security: bearerOrSessionSecurity,
  responses: { 200: { description: 'The page, or the sign-in form', content: { 'text/html': { schema: z.string() } } } },
});

/**
 * Strict CSP: nothing but this response's nonce-bearing script and style, fetches and EventSource to this origin,
 * forms posting to this origin; no framing.
 */
function securityHeaders(c: Context<AppEnv>, nonce: string): void {
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  );
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Frame-Options', 'DENY');
  c.header('Cache-Control', 'no-store');
}

async function driftView(ctx: ServiceContext): Promise<DriftView> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const snapshot = await Promise.race([
      ctx.drift.get(),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), DRIFT_WAIT_MS);
      }),
    ]);
    if (snapshot === undefined) return { ok: false, message: 'the doctor is still checking the stored credentials; reload in a moment' };
    const { summary } = snapshot;
    return {
      ok: true,
      action: summary.recommendation.action,
      reason: summary.recommendation.reason,
      adminToken: summary.adminToken,
      population: summary.population,
      examined: summary.examined,
      totals: summary.totals,
      generatedAt: snapshot.generatedAt,
      ageSeconds: snapshot.ageSeconds,
    };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function failureText(detail: unknown): string | undefined {
  if (detail === null || typeof detail !== 'object') return undefined;
  const { code, message } = detail as { code?: unknown; message?: unknown };
  return typeof code === 'string' && typeof message === 'string' ? `${code}: ${message}` : undefined;
}

async function currentRun(control: RunControl, runId: string): Promise<CurrentRunView> {
  const status = await control.getRun(runId);
  const { run, steps, rollback } = status;
  const journaled = new Map(steps.map((s) => [s.stepId, s]));
  const plan = await control.runPlan(runId).catch(() => undefined);
  const planSteps = plan?.steps ?? steps.map((s) => ({ id: s.stepId, kind: s.kind as string, description: s.kind as string }));
  const descriptions = new Map(planSteps.map((s) => [s.id, s.description]));
  const stepViews: StepView[] = planSteps.map((s) => {
    const ran = journaled.get(s.id);
    return { stepId: s.id, kind: s.kind, description: s.description, state: ran?.state ?? 'pending', error: ran?.state === 'failed' ? failureText(ran.detail) : undefined };
  });
  const rollbackSteps: StepView[] =
    rollback === undefined
      ? []
      : (await control.rollbackSteps(runId)).map((s) => ({
          stepId: s.stepId,
          kind: s.kind,
          description: `undo: ${descriptions.get(s.stepId) ?? s.kind}`,
          state: s.state,
          error: s.state === 'failed' ? failureText(s.detail) : undefined,
        }));
  return {
    id: run.id,
    mode: run.mode,
    state: run.state,
    rollback: rollback?.state,
    createdAt: run.createdAt.toISOString(),
    holder: run.holder,
    steps: stepViews,
    rollbackSteps,
    error: run.error === undefined ? undefined : `${run.error.code}: ${run.error.message}`,
    live: run.state === 'running' || rollback?.state === 'running',
  };
}

/** `GET /`: the status page, or the sign-in form for a visitor without a session. */
export function statusPageRoutes(ctx: ServiceContext) {
  const control = runControlFor(ctx);
  const router = createRouter();
  // Browsers ask for it on every page: answer with nothing rather than a JSON 404.
  router.get('/favicon.ico', (c) => {
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(null, 204);
  });
  return router.openapi(statusRoute, async (c) => {
    const nonce = randomBytes(16).toString('base64');
    securityHeaders(c, nonce);
    const cookie = getCookie(c, SESSION_COOKIE);
    let principal: Principal;
    try {
      principal = ctx.auth.authenticate(c.req.header('authorization'), cookie);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        return c.html(renderLoginPage({ nonce, ...(cookie === undefined ? {} : { message: 'Your session expired or is not valid: sign in again.' }) }), 200);
      }
      throw error;
    }
    c.set('principal', principal);
    ctx.auth.spend(principal.tokenName);
    if (!principal.scopes.includes('read')) {
      return c.html(renderLoginPage({ nonce, message: `Token ${principal.tokenName} lacks the read scope the status page needs.` }), 403);
    }
    const [drift, runs] = await Promise.all([driftView(ctx), control.listRuns({ limit: 10 })]);
    const newest = runs[0];
    const html = renderStatusPage(
      {
        environment: ctx.environment.name,
        protected: ctx.environment.protected,
        tokenName: principal.tokenName,
        drift,
        runs: runs.map(({ run, rollback }) => ({ id: run.id, mode: run.mode, state: run.state, rollback: rollback?.state, createdAt: run.createdAt.toISOString(), holder: run.holder })),
        current: newest === undefined ? undefined : await currentRun(control, newest.run.id),
        now: new Date(ctx.now()).toISOString(),
      },
      { nonce },
    );
    return c.html(html, 200);
  });
}
