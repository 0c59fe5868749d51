import { sql } from 'kysely';
import type { Kube, LeaseLock } from '@matrix-reset/k8s-ops';
import type { AnyKysely } from '@matrix-reset/user-creds';
import { ResetError } from '../reset-error.ts';
import type { ProgressListener } from '../progress.ts';
import type { RunConnection } from '../steps/step-definition.ts';
import { defaultHolder, holderIsGone } from './lock-holder.ts';

/** First key of matrix-reset's advisory locks ("MR"); the second is a hash of the environment's name. */
const LOCK_CLASS = 0x4d52;

export interface EnvironmentLockOptions {
  environment: string;
  /** Shown to anyone refused: who holds the lock (default `matrix-reset on <host> pid <pid>`). */
  holder?: string;
  /** With Kubernetes: a Lease `matrix-reset` in this namespace is taken too, so runs from machines without access to the same database also exclude each other. */
  kubernetes?: { kube: Kube; namespace: string; leaseName?: string };
  /**
   * Take the Lease over from exactly this holder although it has not expired (as Terraform's force-unlock takes a lock
   * id): for a holder on another host that is known to be gone. The caller confirms it with the operator first. A
   * holder of this host whose process is gone is taken over without asking.
   */
  takeOverFrom?: string;
  /** Told when the Lease was taken over, and why. */
  onTakeOver?: (event: { holder: string; reason: 'holder-gone' | 'asked' }) => void;
}

/**
 * Runs `fn` while holding the environment's lock: a Postgres session advisory lock in the app database (held on one
 * pooled connection for the duration) and, when given, a Kubernetes Lease. A second caller is refused at once with
 * `locked`, naming the holder. A process that dies releases the advisory lock with its connection.
 *
 * @example
 * await withEnvironmentLock(db, { environment: 'dev' }, async () => console.error('only one run of dev at a time gets here'));
 */
export async function withEnvironmentLock<T>(db: AnyKysely, options: EnvironmentLockOptions, fn: () => Promise<T>): Promise<T> {
  const holder = options.holder ?? defaultHolder();
  const name = `matrix-reset:${options.environment}`;
  return db.connection().execute(async (conn) => {
    await sql`SELECT set_config('application_name', ${holder.slice(0, 63)}, false)`.execute(conn);
    const taken = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${LOCK_CLASS}::int, hashtext(${name})) AS ok`.execute(conn);
    if (taken.rows[0]?.ok !== true) {
      const who = await sql<{ application_name: string | null; pid: number; backend_start: Date | null; client_addr: string | null }>`
        SELECT a.application_name, a.pid, a.backend_start, host(a.client_addr) AS client_addr
        FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ${LOCK_CLASS} AND l.objid = hashtext(${name})::oid AND l.objsubid = 2`.execute(conn);
      const row = who.rows[0];
      const by = row === undefined ? 'another session (it may just have finished)' : `"${row.application_name || 'unnamed'}" (database pid ${row.pid}${row.client_addr ? ` from ${row.client_addr}` : ''})`;
      throw new ResetError('locked', `Environment ${options.environment} is locked by ${by}: another apply, resume or rollback is running`, {
        nextSteps: ['Wait for it to finish (matrix-reset status shows its steps), then try again.', 'If its process died, the lock is released with its database connection.'],
      });
    }
    let lease: LeaseLock | undefined;
    try {
      if (options.kubernetes !== undefined) {
        // Loaded here, not with the package: only a run with a Kubernetes target needs k8s-ops.
        const { acquireLeaseLock, isK8sOpsError } = await import('@matrix-reset/k8s-ops');
        try {
          lease = await acquireLeaseLock(options.kubernetes.kube, {
            namespace: options.kubernetes.namespace,
            name: options.kubernetes.leaseName ?? 'matrix-reset',
            holder,
            takeOver: ({ holder: current }) => {
              const reason = holderIsGone(current) ? ('holder-gone' as const) : options.takeOverFrom === current ? ('asked' as const) : undefined;
              if (reason !== undefined) options.onTakeOver?.({ holder: current, reason });
              return reason !== undefined;
            },
          });
        } catch (error) {
          if (isK8sOpsError(error) && error.code === 'lease_held') {
            throw new ResetError('locked', `Environment ${options.environment}: ${error.message}`, {
              nextSteps: [
                ...error.nextSteps,
                'If that process is gone for good (its host is down, its pod was killed), take the lock over: matrix-reset resume RUN --take-over-lock "<the holder above>" (it asks to confirm).',
              ],
              cause: error,
            });
          }
          throw error;
        }
      }
      return await fn();
    } finally {
      await lease?.release();
      await sql`SELECT pg_advisory_unlock(${LOCK_CLASS}::int, hashtext(${name}))`.execute(conn);
    }
  });
}

/**
 * The lock a run of this connection's environment takes: the advisory lock, and the namespace's Lease with Kubernetes;
 * a takeover of the Lease is said as a progress message.
 */
export function runLockOptions(
  connection: Pick<RunConnection, 'environment' | 'kube'>,
  holder: string,
  options: { takeOverFrom?: string | undefined; onProgress?: ProgressListener | undefined } = {},
): EnvironmentLockOptions {
  const k = connection.environment.kubernetes;
  return {
    environment: connection.environment.name,
    holder,
    ...(options.takeOverFrom === undefined ? {} : { takeOverFrom: options.takeOverFrom }),
    onTakeOver: ({ holder: previous, reason }) =>
      options.onProgress?.({
        type: 'message',
        message: `took the lock of ${connection.environment.name} over from "${previous}" (${reason === 'holder-gone' ? 'that process is gone' : 'as asked'})`,
      }),
    ...(k !== undefined && connection.kube !== undefined ? { kubernetes: { kube: connection.kube, namespace: k.namespace } } : {}),
  };
}
