import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { REALM, type Scope } from './auth.ts';
import { ApiError } from './http-errors.ts';
import type { AppEnv } from './service-context.ts';
import { SESSION_COOKIE } from './session-cookie.ts';

/**
 * Middleware: the request must carry a bearer token holding `scope` (or, for GET requests needing `read` only, a
 * browser session cookie). Sets `c.get('principal')` and takes one request from the token's rate-limit bucket.
 * Answers 401 (WWW-Authenticate: Bearer), 403 naming the missing scope, or 429 with Retry-After.
 *
 * @example
 * ```ts
 * const route = createRoute({ method: 'get', path: '/v1/drift', middleware: [requireScope('read')] as const, ... });
 * ```
 */
export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = c.get('service').auth;
    const authorization = c.req.header('authorization');
    const cookie = authorization === undefined ? getCookie(c, SESSION_COOKIE) : undefined;
    const principal = await auth.authenticate(authorization, cookie);
    c.set('principal', principal);
    if (principal.via === 'session' && (scope !== 'read' || (c.req.method !== 'GET' && c.req.method !== 'HEAD'))) {
      throw new ApiError(403, 'session_read_only', `A browser session may only read (GET); ${c.req.method} ${c.req.path} needs a bearer token with ${scope}`, {
        nextSteps: ['Send Authorization: Bearer <token> for anything that changes state.'],
      });
    }
    auth.spend(principal.tokenName);
    if (!principal.scopes.includes(scope)) {
      throw new ApiError(403, 'insufficient_scope', `This endpoint needs the scope ${scope}; token ${principal.tokenName} has ${principal.scopes.join(', ')}`, {
        headers: { 'WWW-Authenticate': `${REALM}, error="insufficient_scope", scope="${scope}"` },
        nextSteps: [`Use a token with ${scope}, or add ${scope} to ${principal.tokenName}'s scopes in service.tokens.`],
      });
    }
    await next();
  };
}

