import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { dotenvFileStore, openSecretStore, SecretValue, writeDotenvKeys } from '@matrix-reset/secrets';
import { createSynapseClient, isSynapseClientError, type SynapseClient } from '@matrix-reset/synapse-admin';
import { ResetError } from '../reset-error.ts';

/** The `.env` keys local bootstrap maintains. */
export const LOCAL_ENV_KEYS = Object.freeze({
  accessToken: 'MATRIX_ADMIN_ACCESS_TOKEN',
  user: 'MATRIX_ADMIN_USER',
  password: 'MATRIX_ADMIN_PASSWORD',
});

export interface LocalBootstrapOptions {
  /** The local Synapse's client listener, e.g. `http://localhost:8448`. */
  synapseUrl: string;
  /**
   * The registration shared secret: a secret reference as text (`file:./matrix-data/registration_shared_secret`,
   * `env:SYNAPSE_REGISTRATION_SHARED_SECRET`, `dotenv:.env#SYNAPSE_REGISTRATION_SHARED_SECRET`), or the value
   * itself wrapped in a `SecretValue`. Plain text that is not a reference is refused (and never echoed).
   */
  sharedSecret: string | SecretValue;
  /** Localpart (or full user id) of the admin; default `admin`. */
  adminUser?: string;
  /** The `.env` file to update; default `.env` (relative to the working directory). */
  envFile?: string;
  /** The homeserver's `server_name`; otherwise learnt from Synapse's answers. */
  serverName?: string;
  /**
   * Opt-in: keep the generated admin password in the `.env` as `MATRIX_ADMIN_PASSWORD` and, when the token there
   * stops working and the admin already exists, log in once with the password found there (password login is rate
   * limited per IP, so it is the last resort). Default false: the password is thrown away after registration.
   */
  keepPassword?: boolean;
  /**
   * Look only: says whether the `.env` token works and what a real run would do (`action` is then the intended one,
   * `written` the keys it would write), registering nothing and writing nothing.
   */
  dryRun?: boolean;
  /** Connection pool for Synapse (tests inject one). */
  dispatcher?: Dispatcher;
}

/** What {@link localBootstrap} did. Holds no secret. */
export interface LocalBootstrapResult {
  readonly userId: string;
  /** `kept`: the `.env` token works; `registered`: a new admin; `password-login`: an existing admin, password from `.env`. */
  readonly action: 'kept' | 'registered' | 'password-login';
  /** True when nothing was done (see {@link LocalBootstrapOptions.dryRun}). */
  readonly dryRun?: boolean;
  /** The `.env` keys written (empty when nothing changed). */
  readonly written: readonly string[];
  /** Absolute path of the `.env` file. */
  readonly envFile: string;
}

const REFERENCE = /^(ssm|dotenv|k8s-secret|env|file):/;

/**
 * The runbook's local-development steps without reading logs: makes sure a local Synapse has an admin and the
 * `.env` holds a working `MATRIX_ADMIN_ACCESS_TOKEN` and `MATRIX_ADMIN_USER` for it.
 *
 * - If the `.env` token works for that admin (whoami, and the admin API answers it), nothing is written.
 * - Otherwise the admin is registered with the shared secret (as `register_new_matrix_user -a` does) with a random
 *   password; the registration's token goes into `.env`. The password is kept only with `keepPassword`.
 * - If the admin already exists and the `.env` has no working token, a token can only come from its password
 *   (shared-secret registration does not issue tokens for existing users, and login-as needs an admin token we do
 *   not have): with `keepPassword` and `MATRIX_ADMIN_PASSWORD` in `.env`, one password login; otherwise a
 *   {@link ResetError} `step_failed` whose next steps say how to proceed.
 *
 * `.env` writes go through the secrets package (one write for all the keys): other lines and comments stay, the file
 * is replaced atomically, a new file is 0600, and the previous content of an existing file is kept as
 * `.env.bak.<timestamp>` (a file that did not exist gets no backup).
 *
 * @example
 * ```ts
 * const result = await localBootstrap({
 *   synapseUrl: 'http://localhost:8448',
 *   sharedSecret: 'file:./matrix-data/registration_shared_secret',
 *   envFile: '.env',
 * });
 * console.error(`${result.action}: ${result.userId} (${result.written.join(', ') || 'no change'})`);
 * ```
 */
export async function localBootstrap(options: LocalBootstrapOptions): Promise<LocalBootstrapResult> {
  const envFile = options.envFile ?? '.env';
  const stores = {
    token: dotenvFileStore({ path: envFile, key: LOCAL_ENV_KEYS.accessToken }),
    user: dotenvFileStore({ path: envFile, key: LOCAL_ENV_KEYS.user }),
    password: dotenvFileStore({ path: envFile, key: LOCAL_ENV_KEYS.password }),
  };
  const client = createSynapseClient({
    baseUrl: options.synapseUrl,
    ...(options.serverName === undefined ? {} : { serverName: options.serverName }),
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  });
  const admin = parseAdminUser(options.adminUser ?? 'admin', options.serverName);

  const stored = (await stores.token.read()).value;
  if (stored !== undefined) {
    const userId = await workingAdminToken(client, stored.reveal(), admin);
    if (userId !== undefined) {
      const written = (await stores.user.write(userId)).changed ? [LOCAL_ENV_KEYS.user] : [];
      return Object.freeze({ userId, action: 'kept' as const, written: Object.freeze(written), envFile: stores.token.path });
    }
  }

  const sharedSecret = await resolveSharedSecret(options.sharedSecret);
  if (options.dryRun === true) {
    const keys = [LOCAL_ENV_KEYS.accessToken, LOCAL_ENV_KEYS.user, ...(options.keepPassword === true ? [LOCAL_ENV_KEYS.password] : [])];
    const userId = `@${admin.localpart}:${admin.serverName ?? '<server name>'}`;
    return Object.freeze({ userId, action: 'registered' as const, written: Object.freeze(keys), envFile: stores.token.path, dryRun: true });
  }
  const password = randomBytes(24).toString('base64url');
  const registered = await client.registerWithSharedSecret({ sharedSecret: sharedSecret.reveal(), username: admin.localpart, password, admin: true, existsOk: true });
  if (registered.created) {
    const written = await writeAll(envFile, { token: registered.accessToken, user: registered.userId, password: options.keepPassword === true ? password : undefined });
    return Object.freeze({ userId: registered.userId, action: 'registered' as const, written, envFile: stores.token.path });
  }

  const userId = registered.userId;
  const kept = options.keepPassword === true ? (await stores.password.read()).value : undefined;
  if (kept === undefined) {
    throw new ResetError('step_failed', `${userId} already exists on ${client.baseUrl} and ${stores.token.path} holds no working admin token for it`, {
      nextSteps: [
        `If you know its password: put it in ${envFile} as ${LOCAL_ENV_KEYS.password}=... and run again with keepPassword (--keep-password); one password login fetches a token.`,
        'Or bootstrap another admin name (adminUser, e.g. admin2): a new admin is registered with the shared secret.',
        'Or start the local Synapse from an empty database (docker-compose -f docker-compose-dev.yml down -v, then up -d) and run again.',
      ],
    });
  }
  let session;
  try {
    session = await client.loginWithPassword({ user: admin.localpart, password: kept.reveal() });
  } catch (error) {
    if (isSynapseClientError(error, 'invalid_credentials') || isSynapseClientError(error, 'forbidden')) {
      throw new ResetError('step_failed', `${LOCAL_ENV_KEYS.password} in ${envFile} is not the password of ${userId}`, {
        nextSteps: [`Correct ${LOCAL_ENV_KEYS.password} in ${envFile}, or remove it and bootstrap another admin name.`],
        cause: error,
      });
    }
    throw error;
  }
  if ((await workingAdminToken(client, session.accessToken, admin)) === undefined) {
    throw new ResetError('step_failed', `${userId} logged in but is not a server admin`, {
      nextSteps: [`Make it an admin (PUT /_synapse/admin/v2/users/${userId} {"admin": true} with another admin's token), or bootstrap another admin name.`],
    });
  }
  const written = await writeAll(envFile, { token: session.accessToken, user: session.userId, password: undefined });
  return Object.freeze({ userId: session.userId, action: 'password-login' as const, written, envFile: stores.token.path });
}

function parseAdminUser(adminUser: string, serverName: string | undefined): { localpart: string; serverName: string | undefined } {
  const match = /^@([^:]+):(.+)$/.exec(adminUser);
  if (match === null) return { localpart: adminUser.toLowerCase(), serverName };
  return { localpart: (match[1] ?? '').toLowerCase(), serverName: match[2] };
}

/** The admin's user id when `token` works, belongs to that admin and the admin API accepts it; else undefined. */
async function workingAdminToken(client: SynapseClient, token: string, admin: { localpart: string; serverName: string | undefined }): Promise<string | undefined> {
  const asAdmin = client.withAccessToken(token);
  let userId: string;
  try {
    userId = (await asAdmin.whoami()).userId;
  } catch (error) {
    if (isSynapseClientError(error, 'unknown_token') || isSynapseClientError(error, 'token_soft_logout') || isSynapseClientError(error, 'user_deactivated')) return undefined;
    throw error;
  }
  const expected = admin.serverName === undefined ? undefined : `@${admin.localpart}:${admin.serverName}`;
  if (expected === undefined ? !userId.startsWith(`@${admin.localpart}:`) : userId !== expected) return undefined;
  try {
    await asAdmin.admin.getUser(userId);
  } catch (error) {
    if (isSynapseClientError(error, 'not_admin') || isSynapseClientError(error, 'forbidden')) return undefined;
    throw error;
  }
  return userId;
}

async function resolveSharedSecret(sharedSecret: string | SecretValue): Promise<SecretValue> {
  if (sharedSecret instanceof SecretValue) return sharedSecret;
  if (!REFERENCE.test(sharedSecret)) {
    throw new ResetError('config_invalid', 'sharedSecret must be a secret reference (file:, env:, dotenv:, ssm:, k8s-secret:) or a SecretValue; the text given is neither (not shown)', {
      nextSteps: ['Point at where Synapse keeps it, e.g. file:./matrix-data/registration_shared_secret or env:SYNAPSE_REGISTRATION_SHARED_SECRET.'],
    });
  }
  const reading = await openSecretStore(sharedSecret).read();
  if (reading.value === undefined || reading.value.length === 0) {
    throw new ResetError('config_invalid', `${sharedSecret} holds no registration shared secret`, {
      nextSteps: ['Set registration_shared_secret (or registration_shared_secret_path) in homeserver.yaml and point sharedSecret at the same value.'],
    });
  }
  return reading.value;
}

/** The token, the user id and (when kept) the password, in one write of the `.env` file: never one without the others. */
async function writeAll(envFile: string, values: { token: string; user: string; password: string | undefined }): Promise<readonly string[]> {
  const { changedKeys } = await writeDotenvKeys({
    path: envFile,
    values: {
      [LOCAL_ENV_KEYS.accessToken]: values.token,
      [LOCAL_ENV_KEYS.user]: values.user,
      ...(values.password === undefined ? {} : { [LOCAL_ENV_KEYS.password]: values.password }),
    },
  });
  return changedKeys;
}
