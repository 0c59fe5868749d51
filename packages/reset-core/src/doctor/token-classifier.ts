import { isSynapseClientError, type AdminUser, type Whoami } from '@matrix-reset/synapse-admin';

/**
 * What doctor found for one stored credential:
 * - `valid`: whoami answers with the user the row names;
 * - `unknown_token`: the server does not know the token, but the user exists (a repair mints a new token);
 * - `expired`: 401 with `soft_logout` (the token expired);
 * - `missing_user`: the token is dead and the server has no such user (the server was wiped);
 * - `deactivated`: the user exists but is deactivated, or a server admin locked it (whoami refuses a locked user's
 *   tokens with `M_USER_LOCKED`; the reason says so): either way the app's decision, not drift a new token fixes;
 * - `wrong_owner`: the token works, but for another Matrix user than the row says;
 * - `partial`: the user id or the token column is empty (the app re-provisions these itself); an empty device id
 *   alone is not partial, since login-as tokens have no device;
 * - `unchecked`: no verdict, with the reason (Synapse unreachable, rate limited after retries, ...).
 */
export type CredentialClass = 'valid' | 'unknown_token' | 'expired' | 'missing_user' | 'deactivated' | 'wrong_owner' | 'partial' | 'unchecked';

/** Every class, in report order. */
export const CREDENTIAL_CLASSES: readonly CredentialClass[] = Object.freeze([
  'valid',
  'unknown_token',
  'expired',
  'missing_user',
  'deactivated',
  'wrong_owner',
  'partial',
  'unchecked',
]);

/** The reason of a `deactivated` verdict whose user is locked rather than deactivated. */
export const LOCKED_REASON = 'the user is locked by a server admin (whoami answers M_USER_LOCKED)';

/**
 * The verdict of whoami alone. `dead` means "the token is unknown: ask the admin API about the user" (one lookup per
 * user id, then {@link classifyDeadToken}).
 */
export type WhoamiVerdict =
  | { readonly kind: 'final'; readonly class: CredentialClass; readonly reason?: string; readonly actualUserId?: string }
  | { readonly kind: 'dead' };

/**
 * Classifies the outcome of one whoami for a row naming `expectedUserId`. Errors that are not Synapse client errors
 * are bugs and are rethrown.
 *
 * @example
 * ```ts
 * classifyWhoami('@a:x', { status: 'fulfilled', value: { userId: '@b:x', deviceId: undefined, isGuest: false } });
 * // { kind: 'final', class: 'wrong_owner', actualUserId: '@b:x' }
 * ```
 */
export function classifyWhoami(
  expectedUserId: string,
  outcome: { readonly status: 'fulfilled'; readonly value: Whoami } | { readonly status: 'rejected'; readonly reason: unknown },
): WhoamiVerdict {
  if (outcome.status === 'fulfilled') {
    return outcome.value.userId === expectedUserId
      ? VALID
      : { kind: 'final', class: 'wrong_owner', actualUserId: outcome.value.userId };
  }
  const error = outcome.reason;
  if (!isSynapseClientError(error)) throw error;
  switch (error.code) {
    case 'unknown_token':
      return DEAD;
    case 'token_soft_logout':
      return EXPIRED;
    case 'user_deactivated':
      return DEACTIVATED;
    case 'user_locked':
      return LOCKED;
    default:
      return { kind: 'final', class: 'unchecked', reason: `whoami failed: ${error.code}` };
  }
}

const VALID: WhoamiVerdict = Object.freeze({ kind: 'final', class: 'valid' });
const DEAD: WhoamiVerdict = Object.freeze({ kind: 'dead' });
const EXPIRED: WhoamiVerdict = Object.freeze({ kind: 'final', class: 'expired' });
const DEACTIVATED: WhoamiVerdict = Object.freeze({ kind: 'final', class: 'deactivated' });
const LOCKED: WhoamiVerdict = Object.freeze({ kind: 'final', class: 'deactivated', reason: LOCKED_REASON });

/**
 * Classifies a dead token from the admin API's answer about its user: `undefined` (404) -> `missing_user`,
 * deactivated -> `deactivated`, else `unknown_token`; a failed lookup -> `unchecked` with the reason.
 *
 * @example
 * ```ts
 * classifyDeadToken({ status: 'fulfilled', value: undefined }); // { class: 'missing_user' }
 * ```
 */
export function classifyDeadToken(
  lookup: { readonly status: 'fulfilled'; readonly value: Pick<AdminUser, 'deactivated'> | undefined } | { readonly status: 'rejected'; readonly reason: unknown },
): { readonly class: CredentialClass; readonly reason?: string } {
  if (lookup.status === 'fulfilled') {
    if (lookup.value === undefined) return { class: 'missing_user' };
    return { class: lookup.value.deactivated ? 'deactivated' : 'unknown_token' };
  }
  if (!isSynapseClientError(lookup.reason)) throw lookup.reason;
  return { class: 'unchecked', reason: `token unknown; the admin user lookup failed: ${lookup.reason.code}` };
}

/**
 * A dead token's verdict when its row names a user of another server than `serverName`: `missing_user` (this server
 * cannot have that user; its admin API refuses to look up non-local users), with the reason; undefined when the user
 * id is local or `serverName` is unknown.
 *
 * @example
 * ```ts
 * foreignUserVerdict('@a:other.org', 'example.org'); // { class: 'missing_user', reason: 'the user id names another server (other.org), not example.org' }
 * ```
 */
export function foreignUserVerdict(userId: string, serverName: string | undefined): { readonly class: 'missing_user'; readonly reason: string } | undefined {
  if (serverName === undefined) return undefined;
  const colon = userId.indexOf(':');
  const domain = colon === -1 ? '' : userId.slice(colon + 1);
  return domain === serverName ? undefined : { class: 'missing_user', reason: `the user id names another server (${domain === '' ? 'none' : domain}), not ${serverName}` };
}
