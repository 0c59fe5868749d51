import { z } from '@hono/zod-openapi';

/** The one error body every endpoint answers with. */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'insufficient_scope' }),
      message: z.string().openapi({ example: 'This endpoint needs the scope credentials:ensure' }),
      nextSteps: z.array(z.string()),
    }),
  })
  .openapi('Error');

export type ErrorBody = z.infer<typeof errorSchema>;

const DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid request (the message names the field)',
  401: 'No valid credentials (WWW-Authenticate: Bearer)',
  403: 'The token lacks the scope this endpoint needs',
  404: 'Not found',
  405: 'The path does not take this method (Allow lists the ones it takes)',
  409: 'Conflicts with the current state',
  413: 'Body larger than service.bodyLimitBytes',
  415: 'Unsupported Content-Type, or a Content-Encoding other than identity',
  422: 'The request is valid but cannot be served as the data stands',
  428: 'The environment is protected: send its name as confirm',
  429: 'Rate limit for this token reached (Retry-After)',
  501: 'Not supported on this homeserver',
  502: 'A dependency answered with an error',
  503: 'A dependency is unavailable or busy (Retry-After)',
};

/**
 * OpenAPI response entries in the common error shape.
 *
 * @example
 * ```ts
 * createRoute({ method: 'get', path: '/v1/thing', responses: { 200: ok, ...errorResponses(401, 403) } });
 * ```
 */
export function errorResponses(...statuses: number[]): Record<number, { description: string; content: { 'application/json': { schema: typeof errorSchema } } }> {
  return Object.fromEntries(statuses.map((status) => [status, { description: DESCRIPTIONS[status] ?? 'Error', content: { 'application/json': { schema: errorSchema } } }]));
}
