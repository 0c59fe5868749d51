import { createHmac, randomBytes } from 'node:crypto';
import { isSynapseClientError, type SynapseClient } from '@matrix-reset/synapse-admin';
import { readConfiguredSecret } from '../config/config-reference-reading.ts';
import { homeserverLocation, readHomeserverDatabase } from '../observe/observe-homeserver.ts';
import { ResetError } from '../reset-error.ts';
import { isAdminToken, primaryTarget, readValue, withSynapse } from './admin-token-targets.ts';
import { cannotUndo, type StepContext, type StepDefinition } from './step-definition.ts';

/*
 * Registers the admin on the fresh Synapse and stores its token in the primary adminToken target in the same step:
 * Synapse hands the token out once, at registration. To survive a crash between registration and that first write,
 * the registration password is derived from the shared secret and the run id (HMAC, never stored, no weaker than the
 * shared secret itself, which can register admins anyway): a resumed step logs in once with it. Once the token is
 * stored, the password is replaced by a random one nobody keeps.
 */

function localpart(userId: string): string {
  return /^@([^:]+):/.exec(userId)?.[1] ?? userId;
}

/** The registration password of this run's admin: derived, never stored, replaced once the token is stored. */
function bootstrapPassword(secret: string, runId: string, adminUserId: string): string {
  return createHmac('sha256', secret).update(`matrix-reset bootstrap ${runId} ${adminUserId}`).digest('base64url');
}

/**
 * Replaces the run's derived password when it still logs in (a run that died after storing the token and before the
 * replacement left it working, for good: it does not change when the shared secret is rotated). One login attempt:
 * a password that no longer works is left alone (so is an operator's own admin, whose password this never was); the
 * login's own session is ended again.
 */
async function retireBootstrapPassword(context: StepContext, client: SynapseClient, adminToken: string, adminUserId: string): Promise<boolean> {
  const password = bootstrapPassword(await sharedSecret(context), context.runId, adminUserId);
  let session;
  try {
    session = await client.loginWithPassword({ user: localpart(adminUserId), password });
  } catch (error) {
    if (isSynapseClientError(error, 'invalid_credentials') || isSynapseClientError(error, 'forbidden')) return false;
    throw error;
  }
  await client.withAccessToken(adminToken).admin.resetPassword(adminUserId, { newPassword: randomBytes(24).toString('base64url'), logoutDevices: false });
  await client.withAccessToken(session.accessToken).logout();
  return true;
}

/**
 * The registration shared secret: from the environment's `synapse.sharedSecret` reference, or, when there is none and
 * homeserver.yaml lives in the pod, its inline `registration_shared_secret` (read by exec).
 */
async function sharedSecret(context: StepContext): Promise<string> {
  const environment = context.connection.environment;
  const synapse = environment.synapse;
  if (synapse.sharedSecret !== undefined) {
    const configured = { field: 'synapse.sharedSecret', reference: synapse.sharedSecret, what: 'the registration shared secret', example: '<registration_shared_secret of homeserver.yaml>' };
    return (await readConfiguredSecret(environment, configured, context.connection.openSecretStore, ['Then resume the run.'])).reveal();
  }
  const source = synapse.homeserverConfig ?? (environment.kubernetes ? { pod: '/data/homeserver.yaml' } : undefined);
  let why = 'homeserver.yaml has no inline registration_shared_secret';
  if (source !== undefined) {
    // From a pod source: the new Synapse's first ready pod (a Deployment's pods have generated names).
    const read = await readHomeserverDatabase({ ...homeserverLocation(environment), source, kube: context.connection.kube });
    if (read.registrationSharedSecret !== undefined) return read.registrationSharedSecret.reveal();
    if (read.storage.engine === 'unknown' && read.storage.source !== undefined) why = `homeserver.yaml (${read.storage.source}) could not be read: ${read.storage.reason}`;
  } else {
    why = 'no homeserverConfig to read registration_shared_secret from';
  }
  throw new ResetError('config_invalid', `No registration shared secret for ${environment.name}: synapse.sharedSecret is not set and ${why}`, {
    nextSteps: ['Set synapse.sharedSecret to where the secret is kept (k8s-secret:, ssm:, file:, env:), then resume the run.'],
  });
}

/**
 * Resumed after the token was stored, it keeps it; resumed after registration but before the write, it logs in once
 * with the run's derived password and revokes the devices of the earlier attempts (their tokens were never stored).
 */
export const bootstrapAdmin: StepDefinition = {
  kind: 'bootstrap-admin',
  describe({ env }) {
    return {
      description: `Register ${env.synapse.adminUserId} with the shared secret (a fresh nonce per attempt) and mint its token`,
      observed: { adminUserId: env.synapse.adminUserId, sharedSecret: env.synapse.sharedSecret ?? null },
    };
  },
  async execute(context) {
    const adminUserId = context.connection.environment.synapse.adminUserId;
    const primary = primaryTarget(context);
    const store = (reference: string) => context.connection.openSecretStore(reference);
    return withSynapse(context, undefined, async (client) => {
      const stored = await readValue(context, primary.token);
      if (stored !== undefined && (await isAdminToken(client, stored, adminUserId))) {
        const userWritten = primary.user === undefined ? false : (await store(primary.user).write(adminUserId)).changed;
        // Every path ends with the derived password replaced: this one too, when an earlier attempt died before that.
        const passwordRotated = await retireBootstrapPassword(context, client, stored, adminUserId);
        return { adminUserId, action: 'kept', tokenWritten: false, userWritten, passwordRotated, strayDevicesRevoked: 0 };
      }
      const secret = await sharedSecret(context);
      const password = bootstrapPassword(secret, context.runId, adminUserId);
      const username = localpart(adminUserId);
      const registered = await client.registerWithSharedSecret({ sharedSecret: secret, username, password, admin: true, existsOk: true });
      let token: string;
      let action: string;
      if (registered.created && registered.accessToken !== undefined) {
        token = registered.accessToken;
        action = 'registered';
      } else {
        try {
          token = (await client.loginWithPassword({ user: username, password })).accessToken;
        } catch (error) {
          if (isSynapseClientError(error, 'invalid_credentials') || isSynapseClientError(error, 'forbidden')) {
            const wiped = context.plan.mode === 'full-reset';
            throw new ResetError('step_failed', `${adminUserId} already exists on ${wiped ? 'the new ' : ''}Synapse but was not registered by run ${context.runId}, and no adminToken target holds a working token for it`, {
              nextSteps: [
                wiped
                  ? 'Check that the claim really was deleted (an old admin would mean the data survived).'
                  : `The shared secret registers only new users: log in as ${adminUserId} (or another admin) and store its token in ${primary.token}, or set synapse.adminUser to a new admin name and plan again.`,
                `If someone else registered it: store a working admin token for ${adminUserId} in ${primary.token}, then resume the run.`,
              ],
              cause: error,
            });
          }
          throw error;
        }
        action = 'logged-in';
      }
      if (!(await isAdminToken(client, token, adminUserId))) {
        throw new ResetError('step_failed', `${adminUserId} got a token on the new Synapse, but it is not a server admin`, {
          nextSteps: ['Make it an admin by hand (or remove it), then resume the run.'],
        });
      }
      // Logged in with the run's password: an earlier attempt of this run registered (or logged in) and died before
      // storing that token. Nobody holds it, yet it stays a working admin token: revoke every device but this one.
      let strayDevicesRevoked = 0;
      if (action === 'logged-in') {
        const admin = client.withAccessToken(token);
        const own = (await admin.whoami()).deviceId;
        const stray = (await admin.admin.listDevices(adminUserId)).map((d) => d.deviceId).filter((id) => id !== own);
        if (stray.length > 0) await admin.admin.deleteDevices(adminUserId, stray);
        strayDevicesRevoked = stray.length;
      }
      const tokenWritten = (await store(primary.token).write(token)).changed;
      const userWritten = primary.user === undefined ? false : (await store(primary.user).write(adminUserId)).changed;
      // The token is stored: the derived password is no longer needed; replace it with one nobody keeps.
      await client.withAccessToken(token).admin.resetPassword(adminUserId, { newPassword: randomBytes(24).toString('base64url'), logoutDevices: false });
      return { adminUserId, action, tokenWritten, userWritten, passwordRotated: true, strayDevicesRevoked };
    });
  },
  undo: cannotUndo(
    () => 'a registered Matrix user cannot be unregistered',
    (context) => [`Matrix user ${String(context.step.observed['adminUserId'] ?? 'the admin')} was registered on the new Synapse and stays`],
  ),
};
