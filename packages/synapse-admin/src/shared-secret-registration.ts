import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loginAsUser } from './admin-users.ts';
import { requireNativeAuth } from './auth-mode.ts';
import type { ClientContext } from './client-context.ts';
import { resolveServerName } from './server-name.ts';
import { nonceSchema, sessionSchema } from './schemas.ts';
import { SynapseApiError } from './synapse-api-error.ts';

const REGISTER_PATH = '/_synapse/admin/v1/register';

export interface RegistrationMacInput {
  sharedSecret: string;
  nonce: string;
  username: string;
  password: string;
  admin: boolean;
  userType?: string | undefined;
}

/**
 * The `mac` Synapse checks for shared-secret registration: lowercase hex HMAC-SHA1 keyed by the shared secret over
 * `nonce \0 username \0 password \0 ("admin" | "notadmin")`, plus `\0 user_type` when a user type is set.
 * The username is MACed as sent (Synapse lowercases it only when it registers).
 *
 * @example
 * ```ts
 * const { nonce } = (await (await fetch('http://127.0.0.1:8008/_synapse/admin/v1/register')).json()) as { nonce: string };
 * const sharedSecret = process.env.SYNAPSE_REGISTRATION_SHARED_SECRET ?? '';
 * const mac = computeRegistrationMac({ sharedSecret, nonce, username: 'alice', password: 'pw', admin: false });
 * ```
 */
export function computeRegistrationMac(input: RegistrationMacInput): string {
  const hmac = createHmac('sha1', Buffer.from(input.sharedSecret, 'utf8'));
  hmac.update(Buffer.from(input.nonce, 'utf8'));
  hmac.update('\0');
  hmac.update(Buffer.from(input.username, 'utf8'));
  hmac.update('\0');
  hmac.update(Buffer.from(input.password, 'utf8'));
  hmac.update('\0');
  hmac.update(input.admin ? 'admin' : 'notadmin');
  if (input.userType !== undefined && input.userType !== '') {
    hmac.update('\0');
    hmac.update(Buffer.from(input.userType, 'utf8'));
  }
  return hmac.digest('hex');
}

export interface RegisterWithSharedSecretOptions {
  /** `registration_shared_secret` of the homeserver (the file's contents, whitespace-stripped, for `_path`). */
  sharedSecret: string;
  /** Localpart; Synapse registers it lowercased. */
  username: string;
  password: string;
  admin?: boolean;
  userType?: string;
  displayName?: string;
  deviceId?: string;
  initialDeviceDisplayName?: string;
  /**
   * When the user already exists, return it instead of failing with `user_in_use`. With an access token on the
   * client (an admin's), the result carries a fresh login-as token for the user (no device); without one,
   * `accessToken` is `undefined`. The existing user's password is NOT checked or changed.
   */
  existsOk?: boolean;
}

export type RegisterWithSharedSecretResult =
  | { created: true; userId: string; accessToken: string; deviceId: string | undefined; tokenSource: 'registration' }
  | { created: false; userId: string; accessToken: string; deviceId: undefined; tokenSource: 'login-as' }
  | { created: false; userId: string; accessToken: undefined; deviceId: undefined; tokenSource: 'none' };

/**
 * Registers a user the way `register_new_matrix_user` does: a fresh nonce for every attempt, then the MACed POST.
 * The POST itself is never repeated (its nonce is spent); an attempt refused with `unrecognised nonce` (nonces
 * expire after 60 s and live in one process) or 429 is retried with a new nonce, within the client's retry bounds.
 */
export async function registerWithSharedSecret(
  context: ClientContext,
  options: RegisterWithSharedSecretOptions,
): Promise<RegisterWithSharedSecretResult> {
  return requireNativeAuth(context, 'shared_secret_registration', async () => {
    const { transport } = context;
    const admin = options.admin ?? false;
    const secrets = [options.sharedSecret, options.password];
    for (let attempt = 1; ; attempt++) {
      const { nonce } = await transport.call({
        method: 'GET',
        route: REGISTER_PATH,
        path: REGISTER_PATH,
        idempotency: 'idempotent',
        schema: nonceSchema,
      });
      const mac = computeRegistrationMac({
        sharedSecret: options.sharedSecret,
        nonce,
        username: options.username,
        password: options.password,
        admin,
        userType: options.userType,
      });
      try {
        const session = await transport.call({
          method: 'POST',
          route: REGISTER_PATH,
          path: REGISTER_PATH,
          idempotency: 'never',
          secrets,
          schema: sessionSchema,
          body: {
            nonce,
            username: options.username,
            password: options.password,
            mac,
            admin,
            ...(options.userType === undefined ? {} : { user_type: options.userType }),
            ...(options.displayName === undefined ? {} : { displayname: options.displayName }),
            ...(options.deviceId === undefined ? {} : { device_id: options.deviceId }),
            ...(options.initialDeviceDisplayName === undefined ? {} : { initial_device_display_name: options.initialDeviceDisplayName }),
          },
        });
        return { created: true, userId: session.userId, accessToken: session.accessToken, deviceId: session.deviceId, tokenSource: 'registration' };
      } catch (error) {
        if (error instanceof SynapseApiError && error.code === 'user_in_use' && options.existsOk === true) {
          return existingUser(context, options.username);
        }
        const retryable =
          error instanceof SynapseApiError &&
          (error.code === 'nonce_unrecognised' ||
            (error.code === 'rate_limited' && (error.retryAfterMs ?? 0) <= transport.retry.maxRetryWaitMs));
        if (!retryable || attempt > transport.retry.maxRetries) throw error;
        if (error.code === 'rate_limited') await sleep(error.retryAfterMs ?? transport.retry.backoffBaseMs);
      }
    }
  });
}

async function existingUser(context: ClientContext, username: string): Promise<RegisterWithSharedSecretResult> {
  const serverName = await resolveServerName(context);
  const userId = `@${username.toLowerCase()}:${serverName}`;
  if (context.accessToken === undefined) {
    return { created: false, userId, accessToken: undefined, deviceId: undefined, tokenSource: 'none' };
  }
  const { accessToken } = await loginAsUser(context, userId, {});
  return { created: false, userId, accessToken, deviceId: undefined, tokenSource: 'login-as' };
}
