import { z } from 'zod';
import { requireNativeAuth } from './auth-mode.ts';
import { requireToken, type ClientContext } from './client-context.ts';
import { SynapseApiError } from './synapse-api-error.ts';
import { SynapseClientError } from './synapse-client-error.ts';

// The account validity admin API (`POST /_synapse/admin/v1/account_validity/validity`): renews an account's
// validity when `account_validity` is enabled in homeserver.yaml. Not served under delegated auth.

const ROUTE = '/_synapse/admin/v1/account_validity/validity';

const expirationSchema = z.looseObject({ expiration_ts: z.number() }).transform((body) => ({ expirationMs: body.expiration_ts }));

export interface RenewAccountValidityOptions {
  /** The new expiry (ms since the epoch); default: now plus the configured `account_validity.period`. */
  expirationMs?: number | undefined;
  /** Send renewal emails before it expires (Synapse's default: true). */
  enableRenewalEmails?: boolean | undefined;
}

/**
 * Renews the account; resolves to its new expiry. Without `expirationMs` on a Synapse whose `account_validity` is
 * not configured, Synapse has no period to add and fails internally (500): that becomes `account_validity_disabled`.
 * With `expirationMs`, Synapse stores the date even then, but nothing enforces it until the feature is enabled.
 */
export function renewAccountValidity(context: ClientContext, userId: string, options: RenewAccountValidityOptions = {}): Promise<{ expirationMs: number }> {
  const accessToken = requireToken(context, 'accountValidity.renew');
  return requireNativeAuth(context, 'account_validity', async () => {
    try {
      return await context.transport.call({
        method: 'POST',
        route: ROUTE,
        path: ROUTE,
        body: {
          user_id: userId,
          ...(options.expirationMs === undefined ? {} : { expiration_ts: options.expirationMs }),
          ...(options.enableRenewalEmails === undefined ? {} : { enable_renewal_emails: options.enableRenewalEmails }),
        },
        accessToken,
        // Each repeat without expirationMs moves the expiry again, and its 500 (no period configured) is
        // deterministic: only a 429 is worth repeating.
        idempotency: 'rate-limit-only',
        schema: expirationSchema,
      });
    } catch (error) {
      if (options.expirationMs === undefined && error instanceof SynapseApiError && error.status === 500) {
        throw new SynapseClientError({
          code: 'account_validity_disabled',
          message: `Synapse could not renew ${userId}: it has no validity period to add, which is what it answers (500) when account_validity is not enabled in homeserver.yaml`,
          nextSteps: [
            'Enable account_validity (with a period) in homeserver.yaml and restart Synapse, or pass expirationMs to set the expiry explicitly.',
            'If account_validity is enabled, check the Synapse logs for the internal error.',
          ],
          method: 'POST',
          path: ROUTE,
          cause: error,
        });
      }
      throw error;
    }
  });
}
