import { randomBytes } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Principal } from '../auth.ts';
import { ApiError, logAnswer, toApiError } from '../http-errors.ts';
import { bearerOrSessionSecurity, createRouter } from '../router.ts';
import { errorResponses } from '../schemas/error.ts';
import { SESSION_COOKIE } from '../session-cookie.ts';
import type { AppEnv, ServiceContext } from '../service-context.ts';
import { renderLoginPage, renderStatusPage, renderUnavailablePage, type CurrentRunView, type DriftView } from '../status-page/render-status-page.ts';
import { currentRun, driftView } from '../status-page/status-page-model.ts';

const statusRoute = createRoute({
  method: 'get',
  path: '/',
  tags: ['status page'],
  summary: 'The status page (HTML): drift summary, the current run live, last runs',
  description:
    'Server-rendered, no front-end build. Needs read (a browser signs in through the form, which posts to POST /session for a ' +
    'read-only session cookie); an unauthenticated visitor gets the sign-in form. The current run updates live over its event stream.',
  // Anyone may ask: without a session or token the answer is the sign-in form (the empty requirement says so).
  security: [...bearerOrSessionSecurity, {}],
  responses: {
    200: { description: 'The page, or the sign-in form', content: { 'text/html': { schema: z.string() } } },
    403: { description: 'The token lacks the read scope: the sign-in form saying so', content: { 'text/html': { schema: z.string() } } },
    ...errorResponses(429),
    503: {
      description: 'The app database (which holds the runs) is unavailable: a page saying so that reloads itself; Retry-After says when to try again',
      headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait' } },
      content: { 'text/html': { schema: z.string() } },
    },
  },
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

/** `GET /`: the status page, or the sign-in form for a visitor without a session. */
export function statusPageRoutes(ctx: ServiceContext) {
  const control = ctx.runs;
  const router = createRouter();
  // Browsers ask for it on every page: answer with nothing rather than a JSON 404.
  router.get('/favicon.ico', (c) => {
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(null, 204);
  });
  /** The degraded page (503, reloading itself) for a dependency the page needs being down; anything else is thrown on. */
  const unavailablePage = (c: Context<AppEnv>, error: unknown, nonce: string) => {
    const answer = toApiError(error);
    if (answer.status !== 503) throw error;
    logAnswer(ctx.logger, c, error, answer);
    const retryAfterSeconds = Number(answer.headers['Retry-After'] ?? 5);
    c.header('Retry-After', String(retryAfterSeconds));
    return c.html(renderUnavailablePage({ nonce, environment: ctx.environment.name, message: answer.message, retryAfterSeconds }), 503);
  };
  return router.openapi(statusRoute, async (c) => {
    const nonce = randomBytes(16).toString('base64');
    securityHeaders(c, nonce);
    const cookie = getCookie(c, SESSION_COOKIE);
    let principal: Principal;
    try {
      principal = await ctx.auth.authenticate(c.req.header('authorization'), cookie);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        return c.html(renderLoginPage({ nonce, ...(cookie === undefined ? {} : { message: 'Your session expired, was logged out or is not valid: sign in again.' }) }), 200);
      }
      // A session is checked against the logouts in the app database: without it the page says so.
      return unavailablePage(c, error, nonce);
    }
    c.set('principal', principal);
    ctx.auth.spend(principal.tokenName);
    if (!principal.scopes.includes('read')) {
      return c.html(renderLoginPage({ nonce, message: `Token ${principal.tokenName} lacks the read scope the status page needs.` }), 403);
    }
    // The newest runs: the first page of the journal's. Without its database the page says so and reloads itself.
    let page: { drift: DriftView; runs: Awaited<ReturnType<typeof control.listRuns>>['runs']; current: CurrentRunView | undefined };
    try {
      const [drift, { runs }] = await Promise.all([driftView(ctx.drift), control.listRuns({ limit: 10 })]);
      const newest = runs[0];
      page = { drift, runs, current: newest === undefined ? undefined : await currentRun(control, newest.run.id) };
    } catch (error) {
      return unavailablePage(c, error, nonce);
    }
    const { drift, runs, current } = page;
    const html = renderStatusPage(
      {
        environment: ctx.environment.name,
        protected: ctx.environment.protected,
        tokenName: principal.tokenName,
        drift,
        runs: runs.map(({ run, rollback }) => ({ id: run.id, mode: run.mode, state: run.state, rollback: rollback?.state, createdAt: run.createdAt.toISOString(), holder: run.holder })),
        current,
        now: new Date(ctx.now()).toISOString(),
      },
      { nonce },
    );
    return c.html(html, 200);
  });
}
