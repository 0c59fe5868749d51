import { createRoute } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { ApiError } from '../http-errors.ts';
import { createRouter } from '../router.ts';
import { errorResponses } from '../schemas/error.ts';
import { login, sessionSchema } from '../schemas/session.ts';
import { SESSION_COOKIE, SESSION_TTL_SECONDS } from '../session-cookie.ts';
import type { AppEnv, ServiceContext } from '../service-context.ts';

/**
 * Refuses a cross-site request (login CSRF: another site's form posting its own token to log the browser in as
 * someone else, or logging it out): `Sec-Fetch-Site` cross-site or same-site (a sibling host), an `Origin` other than
 * this service's own (scheme and host, as the client or a proxy in front saw them: Host, X-Forwarded-Host and
 * -Proto), or `Origin: null` (an opaque origin: sandboxed frames, or the status page's own form under its
 * `Referrer-Policy: no-referrer`) unless the browser says `Sec-Fetch-Site: same-origin`. Clients that send neither
 * header (curl, scripts) pass: they are no CSRF vector.
 */
const sameOriginOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const site = c.req.header('sec-fetch-site')?.toLowerCase();
  const origin = c.req.header('origin')?.toLowerCase();
  const crossSite = site === 'cross-site' || site === 'same-site';
  const foreignOrigin = origin !== undefined && (origin === 'null' ? site !== 'same-origin' : !ownOrigins(c).includes(origin));
  if (crossSite || foreignOrigin) {
    throw new ApiError(403, 'cross_site_request', `${c.req.method} ${c.req.path} refuses requests from another site (Origin ${origin ?? 'absent'}, Sec-Fetch-Site ${site ?? 'absent'})`, {
      nextSteps: [
        "Sign in from the service's own status page (GET /), or send the request without an Origin header from a script.",
        'Behind a proxy that rewrites Host, have it send X-Forwarded-Host (and X-Forwarded-Proto).',
      ],
    });
  }
  await next();
};

/** `scheme://host` of this service as the request names it (its Host, and X-Forwarded-Host/-Proto behind a proxy). */
function ownOrigins(c: Context<AppEnv>): string[] {
  const url = new URL(c.req.url);
  const scheme = isHttps(c) ? 'https:' : url.protocol;
  const hosts = [c.req.header('host') ?? url.host, c.req.header('x-forwarded-host')?.split(',')[0]?.trim()].filter((h): h is string => h !== undefined && h !== '');
  return hosts.flatMap((host) => [`${scheme}//${host}`, `${url.protocol}//${host}`]).map((o) => o.toLowerCase());
}

const sessionRoute = createRoute({
  method: 'post',
  path: '/session',
  tags: ['session'],
  middleware: [sameOriginOnly] as const,
  summary: 'Log a browser in: a token with read buys an HttpOnly session cookie that authorizes GET requests needing read',
  description:
    'For the status page and EventSource, which cannot send Authorization headers. The cookie is a signed {session id, tokenName, expires}, ' +
    `valid ${SESSION_TTL_SECONDS / 3600} h, and ends early when the token is rotated or the session logged out (POST /session/logout, on any instance); it never authorizes a write. A form post is answered ` +
    'with a redirect to /. Cross-site requests (Sec-Fetch-Site: cross-site, or an Origin other than the service\'s own) are refused with 403.',
  request: {
    body: {
      // Not `required`: with both media types listed, each validator then runs only for its own content type.
      required: false,
      content: { 'application/json': { schema: login }, 'application/x-www-form-urlencoded': { schema: login } },
    },
  },
  responses: {
    200: { description: 'Logged in (JSON request)', content: { 'application/json': { schema: sessionSchema } } },
    303: { description: 'Logged in (form request): back to the status page' },
    ...errorResponses(400, 401, 403, 413, 415, 429),
  },
});

const logoutRoute = createRoute({
  method: 'post',
  path: '/session/logout',
  tags: ['session'],
  summary: 'Log the browser out: ends its session on every instance (a saved copy of the cookie reads nothing after) and clears the cookie; cross-site requests are refused',
  middleware: [sameOriginOnly] as const,
  responses: { 204: { description: 'Session ended, cookie cleared' }, ...errorResponses(403, 503) },
});

function isHttps(c: Context<AppEnv>): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

/** `POST /session` and `POST /session/logout`. */
export function sessionRoutes(ctx: ServiceContext) {
  return createRouter()
    .openapi(sessionRoute, async (c) => {
      const type = c.req.header('content-type') ?? '';
      const isForm = type.startsWith('application/x-www-form-urlencoded');
      if (!isForm && !type.startsWith('application/json')) {
        throw new ApiError(415, 'unsupported_media_type', 'POST /session takes application/json or application/x-www-form-urlencoded', {
          nextSteps: ['Send {"token": "<token>"} as JSON, or a form field token.'],
        });
      }
      const { token } = isForm ? c.req.valid('form') : c.req.valid('json');
      const principal = ctx.auth.principalOfToken(token);
      ctx.auth.spend(principal.tokenName);
      c.set('principal', principal);
      if (!principal.scopes.includes('read')) {
        throw new ApiError(403, 'insufficient_scope', `A browser session needs a token with the read scope; ${principal.tokenName} has ${principal.scopes.join(', ')}`, {
          nextSteps: ['Log in with a token that has read (make one with `matrix-reset service token --scope read`).'],
        });
      }
      const expires = ctx.now() + SESSION_TTL_SECONDS * 1000;
      setCookie(c, SESSION_COOKIE, ctx.auth.issueSession(principal.tokenName, expires), {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        secure: isHttps(c),
        maxAge: SESSION_TTL_SECONDS,
      });
      c.header('Cache-Control', 'no-store');
      if (isForm) return c.redirect('/', 303);
      return c.json({ tokenName: principal.tokenName, expiresAt: new Date(expires).toISOString() }, 200);
    })
    .openapi(logoutRoute, async (c) => {
      // Ended on every instance, not only in this browser: a copy of the cookie reads nothing afterwards.
      const cookie = getCookie(c, SESSION_COOKIE);
      if (cookie !== undefined) await ctx.auth.endSession(cookie);
      deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
      return c.body(null, 204);
    });
}
