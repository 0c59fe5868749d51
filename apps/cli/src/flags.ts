import { Flags } from '@oclif/core';
import { everyFlagHasEnv } from './env-flags.ts';

/**
 * The flags more than one command takes, defined once: the global ones every command has, the ones every changing
 * command has, and the shared flags of the commands that confirm, batch or name a run. Each names its
 * `MATRIX_RESET_*` environment variable.
 */

/** Default path of the configuration file (`--config`, `MATRIX_RESET_CONFIG`). */
const DEFAULT_CONFIG_PATH = 'matrix-reset.yaml';

/** The environment variable of `--confirm-environment`. */
export const CONFIRM_ENVIRONMENT_ENV = 'MATRIX_RESET_CONFIRM_ENVIRONMENT';

/** `--config`, `--env`, `--json`: every command's. */
export const GLOBAL_FLAGS = everyFlagHasEnv({
  config: Flags.string({ char: 'c', env: 'MATRIX_RESET_CONFIG', description: 'Configuration file', default: DEFAULT_CONFIG_PATH }),
  env: Flags.string({
    char: 'e',
    env: 'MATRIX_RESET_ENV',
    description: 'Environment of the configuration to work on (default: the file\'s defaultEnvironment)',
  }),
  json: Flags.boolean({ default: false, env: 'MATRIX_RESET_JSON', description: 'Print the result as JSON on stdout (and nothing else)' }),
});

/** `--yes`, `--dry-run`: every command that changes something. */
export const CHANGING_FLAGS = everyFlagHasEnv({
  yes: Flags.boolean({
    default: false,
    char: 'y',
    env: 'MATRIX_RESET_YES',
    description: 'Do it without asking (needed when stdin is not a terminal; a protected environment needs --confirm-environment NAME instead)',
  }),
  'dry-run': Flags.boolean({ default: false, env: 'MATRIX_RESET_DRY_RUN', description: 'Only say what would be done; change nothing' }),
});

/**
 * `--confirm-environment NAME`: the environment's name typed ahead, for commands that confirm. The only way to confirm
 * a protected environment without a terminal (`--yes` is not enough there).
 *
 * @example
 * static override flags = everyFlagHasEnv({ 'confirm-environment': confirmEnvironmentFlag() });
 */
export function confirmEnvironmentFlag() {
  return Flags.string({
    env: CONFIRM_ENVIRONMENT_ENV,
    description: 'The environment\'s name, typed ahead: confirms without a prompt. Required (instead of --yes) for a protected environment when stdin is not a terminal',
  });
}

/**
 * `--batch-size`: rows per transaction when stored credentials are cleared or restored (apply, resume, creds clear,
 * creds restore).
 *
 * @example
 * static override flags = everyFlagHasEnv({ 'batch-size': batchSizeFlag() });
 */
export function batchSizeFlag() {
  return Flags.integer({
    env: 'MATRIX_RESET_BATCH_SIZE',
    description: 'Rows per transaction when stored credentials are cleared or restored (smaller: shorter row locks on a busy table)',
    default: 10_000,
    min: 1,
    max: 1_000_000,
  });
}

/**
 * `--take-over-lock HOLDER`: take the environment's Kubernetes Lease over from exactly this holder, as a `locked`
 * refusal names it, although it has not expired: for a run whose process is gone on another host. Naming the holder
 * is the confirmation (as Terraform's force-unlock takes the lock id). A dead process of this host is taken over
 * without it.
 *
 * @example
 * static override flags = everyFlagHasEnv({ 'take-over-lock': takeOverLockFlag() });
 */
export function takeOverLockFlag() {
  return Flags.string({
    env: 'MATRIX_RESET_TAKE_OVER_LOCK',
    description: 'Take the Lease over from this holder (exactly as the locked error names it), for a run whose process is gone on another host',
  });
}

/**
 * `--run-id`: the run a credentials backup is filed under (creds snapshot, clear and restore); `description` says
 * what it means to the command.
 *
 * @example
 * static override flags = everyFlagHasEnv({ 'run-id': runIdFlag('Run id to file the backup under (default: a new one)') });
 */
export function runIdFlag(description: string) {
  return Flags.string({ env: 'MATRIX_RESET_RUN_ID', description });
}

/**
 * `--run-id`, required.
 *
 * @example
 * static override flags = everyFlagHasEnv({ 'run-id': requiredRunIdFlag('Run id of the snapshot to restore') });
 */
export function requiredRunIdFlag(description: string) {
  return Flags.string({ env: 'MATRIX_RESET_RUN_ID', description, required: true });
}

/** `plan`'s choices for a full reset of a Postgres-backed Synapse: leave its database alone, wipe media too, end leftover sessions. */
export const POSTGRES_RESET_FLAGS = everyFlagHasEnv({
    'allow-external-database': Flags.boolean({
      env: 'MATRIX_RESET_ALLOW_EXTERNAL_DATABASE',
      default: false,
      description: "Postgres-backed Synapse: plan only the PVC part of a full reset (media, signing key) and leave its database to you; by default the plan resets the database itself",
    }),
    'wipe-media': Flags.boolean({
      env: 'MATRIX_RESET_WIPE_MEDIA',
      default: false,
      description: "Postgres-backed Synapse: also delete its PVC (media, and a signing key kept there), after a VolumeSnapshot where the cluster has them; kept by default",
    }),
    'terminate-database-sessions': Flags.boolean({
      env: 'MATRIX_RESET_TERMINATE_DATABASE_SESSIONS',
      default: false,
      description: "Postgres-backed Synapse: end the sessions still on its database once its processes are stopped, instead of refusing to move it aside",
    }),
    'database-backup': Flags.string({
      env: 'MATRIX_RESET_DATABASE_BACKUP',
      options: ['auto', 'rename', 'dump'],
      default: 'auto',
      description:
        "Postgres-backed Synapse: how its database is backed up. rename: moved aside (instant; the role needs CREATEDB and ownership); dump: pg_dump into synapse.database.dumpDirectory, then emptied in place; auto: rename where the role may, else dump",
    }),
});
