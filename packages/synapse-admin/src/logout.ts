import { requireNativeAuth } from './auth-mode.ts';
import { requireToken, type ClientContext } from './client-context.ts';
import { emptySchema } from './schemas.ts';

/** `POST /_matrix/client/v3/logout`: invalidates the client's token (and deletes its device). */
export function logout(context: ClientContext): Promise<void> {
  const accessToken = requireToken(context, 'logout');
  return requireNativeAuth(context, 'logout', () =>
    context.transport.call({
      method: 'POST',
      route: '/_matrix/client/v3/logout',
      path: '/_matrix/client/v3/logout',
      accessToken,
      body: {},
      idempotency: 'rate-limit-only',
      schema: emptySchema,
    }),
  );
}
