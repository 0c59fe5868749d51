import { requireNativeAuth } from './auth-mode.ts';
import type { ClientContext } from './client-context.ts';
import { sessionSchema } from './schemas.ts';

const LOGIN = '/_matrix/client/v3/login';

export interface PasswordLoginOptions {
  /** Localpart or full user id. */
  user: string;
  password: string;
  deviceId?: string;
  initialDeviceDisplayName?: string;
  /**
   * Wait out a 429 and retry (within the client's retry bounds). Off by default: Synapse's login limit is per IP,
   * about one login per 333 s after a burst of 5, so waiting is rarely what a caller wants.
   */
  retryOnRateLimit?: boolean;
}

export interface Session {
  userId: string;
  accessToken: string;
  deviceId: string | undefined;
}

/** `POST /_matrix/client/v3/login` with `m.login.password` and an `m.id.user` identifier. */
export function loginWithPassword(context: ClientContext, options: PasswordLoginOptions): Promise<Session> {
  return requireNativeAuth(context, 'password_login', async () => {
    const session = await context.transport.call({
      method: 'POST',
      route: LOGIN,
      path: LOGIN,
      idempotency: options.retryOnRateLimit === true ? 'rate-limit-only' : 'never',
      secrets: [options.password],
      schema: sessionSchema,
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: options.user },
        password: options.password,
        ...(options.deviceId === undefined ? {} : { device_id: options.deviceId }),
        ...(options.initialDeviceDisplayName === undefined ? {} : { initial_device_display_name: options.initialDeviceDisplayName }),
      },
    });
    return { userId: session.userId, accessToken: session.accessToken, deviceId: session.deviceId };
  });
}
