import type { SecretStore } from '@matrix-reset/secrets';
import { emptyReferenceError, explainEmptyReference, readConfiguredSecret } from '../config/config-reference-reading.ts';
import type { EnvironmentConfig } from '../config/reset-config.ts';

/** What {@link checkDoctorSecrets} reads: the environment's name, its references and where they are written. */
export type DoctorSecretsTarget = Pick<EnvironmentConfig, 'name' | 'synapse' | 'adminToken' | 'origin'>;

/**
 * Refuses, with `config_invalid`, a diagnosis built on secrets the config names but that cannot be read:
 * - `synapse.sharedSecret`, when set, must hold a value (every repair doctor can recommend registers an admin with it);
 * - when the connection carries no admin token (`hasAdminToken` false), a `dotenv:` adminToken target whose file does
 *   not exist or has no such key is a mistake in the config (a wrong path or key) until shown otherwise, not an
 *   absent token: the error names the target, its line and the file and key, and says how to write a first token
 *   there. Other targets holding nothing (an SSM parameter, a Secret key not written yet) stay "absent".
 *
 * Plans do not call this: a restore-admin or full-reset plan writes the admin token to targets that may not hold one
 * yet.
 *
 * @example
 * ```ts
 * const connection = await connectEnvironment(resolveEnvironment(await loadResetConfig(), 'dev'));
 * await checkDoctorSecrets(connection.environment, connection.openSecretStore, connection.synapse.hasAccessToken);
 * ```
 */
export async function checkDoctorSecrets(target: DoctorSecretsTarget, open: (reference: string) => SecretStore, hasAdminToken: boolean): Promise<void> {
  const sharedSecret = target.synapse.sharedSecret;
  if (sharedSecret !== undefined) {
    const configured = { field: 'synapse.sharedSecret', reference: sharedSecret, what: 'the registration shared secret', example: '<registration_shared_secret of homeserver.yaml>' };
    await readConfiguredSecret(target, configured, open);
  }
  if (hasAdminToken) return;
  for (const [index, adminTarget] of target.adminToken.entries()) {
    if (!adminTarget.token.startsWith('dotenv:')) continue;
    const reading = await open(adminTarget.token).read();
    if (reading.exists && reading.value !== undefined && reading.value.length > 0) continue;
    const configured = { field: `adminToken[${index}].token`, reference: adminTarget.token, what: 'the admin access token', example: '<an admin access token>' };
    throw emptyReferenceError(target, configured, await explainEmptyReference(configured, reading), [
      `No admin token exists yet? Register one and write it there: \`matrix-reset plan --env ${target.name} --mode restore-admin\`, then \`matrix-reset apply\` on the plan file.`,
    ]);
  }
}
