import type { z } from 'zod';
import type { AuthMode, AuthModeEvidence, AuthModeReport } from './auth-mode-report.ts';
import type { ClientContext } from './client-context.ts';
import { authMetadataSchema, loginFlowsSchema, nonceSchema } from './schemas.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import { SynapseClientError } from './synapse-client-error.ts';
import { SynapseNetworkError } from './synapse-network-error.ts';
import type { SynapseTransport } from './synapse-transport.ts';

/** What a native-only capability is, and what to do instead under delegated auth. */
export type NativeCapability =
  | 'shared_secret_registration'
  | 'login_as'
  | 'password_login'
  | 'logout'
  | 'reset_password'
  | 'user_admin_status'
  | 'account_validity'
  | 'registration_tokens';

const INSTEAD: Record<NativeCapability, { what: string; nextSteps: string[] }> = {
  shared_secret_registration: {
    what: 'shared-secret registration (POST /_synapse/admin/v1/register)',
    nextSteps: [
      'Create the user in the Matrix Authentication Service: `mas-cli manage register-user <username>`.',
      'Then issue a token: `mas-cli manage issue-compatibility-token <username>`.',
    ],
  },
  login_as: {
    what: 'login-as-user (POST /_synapse/admin/v1/users/<id>/login)',
    nextSteps: [
      'Issue a compatibility token with `mas-cli manage issue-compatibility-token <username>` (or a personal session through the auth service admin API).',
    ],
  },
  password_login: {
    what: 'password login served by Synapse (POST /_matrix/client/v3/login)',
    nextSteps: [
      'Log in through the Matrix Authentication Service, or issue a token with `mas-cli manage issue-compatibility-token <username>`.',
    ],
  },
  logout: {
    what: 'logout served by Synapse (POST /_matrix/client/v3/logout)',
    nextSteps: ['Revoke the session in the Matrix Authentication Service (`mas-cli manage kill-sessions <username>` or its admin API).'],
  },
  reset_password: {
    what: 'password reset (POST /_synapse/admin/v1/reset_password/<id>)',
    nextSteps: ['Set the password in the Matrix Authentication Service: `mas-cli manage set-password <username> <password>`.'],
  },
  user_admin_status: {
    what: 'reading or changing the server-admin flag (GET/PUT /_synapse/admin/v1/users/<id>/admin)',
    nextSteps: [
      'Grant or revoke admin in the Matrix Authentication Service: `mas-cli manage promote-admin <username>` / `mas-cli manage demote-admin <username>`, or its admin API.',
      'To read the flag, getUser(userId).admin still works under delegated auth.',
    ],
  },
  account_validity: {
    what: 'account validity renewal (POST /_synapse/admin/v1/account_validity/validity)',
    nextSteps: [
      'Synapse does not expire accounts when the Matrix Authentication Service owns them: lock or deactivate the account there instead (`mas-cli manage lock-user <username>`).',
    ],
  },
  registration_tokens: {
    what: 'registration tokens (/_synapse/admin/v1/registration_tokens)',
    nextSteps: [
      'Registration happens in the Matrix Authentication Service: manage its registration tokens there (`mas-cli manage issue-user-registration-token`, or its admin API).',
    ],
  },
};

/**
 * A caller asked for something the server's auth mode cannot do under delegated auth (shared-secret registration,
 * login-as, password login, logout, password reset, the admin flag endpoints, account validity renewal, registration
 * tokens). `nextSteps` says what to do instead.
 *
 * @example
 * ```ts
 * try { await client.admin.loginAsUser('@bot:example.org'); }
 * catch (error) {
 *   if (error instanceof AuthModeUnsupportedError) console.error(error.nextSteps.join('\n'));
 * }
 * ```
 */
export class AuthModeUnsupportedError extends SynapseClientError {
  override name = 'AuthModeUnsupportedError';
  readonly authMode: AuthMode;
  readonly capability: NativeCapability;
  /** The probes that established the mode; empty when the caller declared it. */
  readonly evidence: readonly AuthModeEvidence[];

  constructor(options: { capability: NativeCapability; evidence: readonly AuthModeEvidence[]; cause?: Error }) {
    const instead = INSTEAD[options.capability];
    super({
      code: 'unsupported_in_auth_mode',
      message: `This Synapse delegates authentication to the Matrix Authentication Service, so ${instead.what} is not available`,
      nextSteps: instead.nextSteps,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.authMode = 'delegated';
    this.capability = options.capability;
    this.evidence = options.evidence;
  }
}

async function probe<T>(
  transport: SynapseTransport,
  name: AuthModeEvidence['probe'],
  path: string,
  schema: z.ZodType<T>,
  judge: (body: T) => Pick<AuthModeEvidence, 'indicates' | 'detail'>,
  onRouteMissing: AuthModeEvidence['indicates'],
  unanswered: SynapseNetworkError[],
): Promise<AuthModeEvidence> {
  const request = `GET ${path}`;
  try {
    // Only 429s are waited out: a 5xx is itself evidence (a delegated Synapse that cannot reach its auth service
    // answers auth_metadata with 500), and detection should answer quickly.
    const body = await transport.call({ method: 'GET', route: path, path, idempotency: 'rate-limit-only', schema });
    return { probe: name, request, status: 200, errcode: undefined, ...judge(body) };
  } catch (error) {
    if (error instanceof SynapseApiError) {
      const routeMissing = error.code === 'route_missing' && error.errcode === 'M_UNRECOGNIZED';
      return {
        probe: name,
        request,
        status: error.status,
        errcode: error.errcode,
        indicates: routeMissing ? onRouteMissing : 'inconclusive',
        detail: routeMissing ? 'JSON 404 M_UNRECOGNIZED: Synapse does not serve this route' : `no verdict: ${error.message}`,
      };
    }
    if (error instanceof SynapseNetworkError) unanswered.push(error);
    if (error instanceof SynapseClientError) {
      return { probe: name, request, status: undefined, errcode: undefined, indicates: 'inconclusive', detail: `no answer: ${error.message}` };
    }
    throw error;
  }
}

/**
 * Asks the server (without credentials) whether it authenticates users itself or delegates to the Matrix
 * Authentication Service, from three probes: auth metadata (`GET /_matrix/client/v1/auth_metadata`), the
 * shared-secret registration nonce (`GET /_synapse/admin/v1/register`) and the login flows. Probes that disagree
 * are settled in that order; if none is conclusive it throws `auth_mode_unknown` with the evidence in the message.
 *
 * @example
 * ```ts
 * const { mode, evidence } = await detectAuthMode(new SynapseTransport({ baseUrl: 'http://127.0.0.1:8008' }));
 * ```
 */
export async function detectAuthMode(transport: SynapseTransport): Promise<AuthModeReport> {
  const unanswered: SynapseNetworkError[] = [];
  const evidence = await Promise.all([
    probe(
      transport,
      'auth_metadata',
      '/_matrix/client/v1/auth_metadata',
      authMetadataSchema,
      (body) => ({ indicates: 'delegated', detail: `auth metadata served, issuer ${body.issuer}` }),
      'native',
      unanswered,
    ),
    probe(
      transport,
      'register_nonce',
      '/_synapse/admin/v1/register',
      nonceSchema,
      () => ({ indicates: 'native', detail: 'shared-secret registration nonce issued' }),
      'delegated',
      unanswered,
    ),
    probe(
      transport,
      'login_flows',
      '/_matrix/client/v3/login',
      loginFlowsSchema,
      (body) => {
        const types = body.flows.map((flow) => flow.type);
        if (body.flows.some((flow) => flow.oauth_aware_preferred === true)) {
          return { indicates: 'delegated', detail: `login flows prefer OAuth (oauth_aware_preferred): ${types.join(', ')}` };
        }
        if (types.includes('m.login.password')) return { indicates: 'native', detail: `login flows: ${types.join(', ')}` };
        return { indicates: 'inconclusive', detail: `login flows without password or OAuth preference: ${types.join(', ')}` };
      },
      'delegated',
      unanswered,
    ),
  ]);
  // No probe got an answer at all: the server is unreachable, which is that, not an unknown auth mode.
  if (unanswered.length === evidence.length && unanswered[0] !== undefined) throw unanswered[0];
  const decisive = evidence.find((item) => item.indicates !== 'inconclusive');
  if (decisive === undefined || decisive.indicates === 'inconclusive') {
    throw new SynapseClientError({
      code: 'auth_mode_unknown',
      message: `Could not tell whether this Synapse delegates auth: ${evidence.map((item) => `${item.request} -> ${item.detail}`).join('; ')}`,
      nextSteps: ['Check that baseUrl points at Synapse itself (not a proxy that hides /_synapse/admin), or declare authMode when creating the client.'],
    });
  }
  return Object.freeze({ mode: decisive.indicates, evidence: Object.freeze(evidence) });
}

/** The cached detection shared by every client derived from one `createSynapseClient`. */
export function cachedAuthMode(context: ClientContext): Promise<AuthModeReport> {
  if (context.authModeCache.report === undefined) {
    const report = detectAuthMode(context.transport);
    context.authModeCache.report = report;
    report.catch(() => {
      if (context.authModeCache.report === report) delete context.authModeCache.report;
    });
  }
  return context.authModeCache.report;
}

/**
 * Runs a native-auth-only operation. When the caller declared `delegated`, refuses without a request; otherwise,
 * when the route turns out to be missing, checks the auth mode and turns the `route_missing` error into an
 * {@link AuthModeUnsupportedError} if the server delegates auth.
 */
export async function requireNativeAuth<T>(context: ClientContext, capability: NativeCapability, run: () => Promise<T>): Promise<T> {
  if (context.authMode === 'delegated') throw new AuthModeUnsupportedError({ capability, evidence: [] });
  try {
    return await run();
  } catch (error) {
    if (context.authMode === undefined && error instanceof SynapseApiError && error.code === 'route_missing') {
      let report: AuthModeReport | undefined;
      try {
        report = await cachedAuthMode(context);
      } catch {
        throw error;
      }
      if (report.mode === 'delegated') throw new AuthModeUnsupportedError({ capability, evidence: report.evidence, cause: error });
    }
    throw error;
  }
}
