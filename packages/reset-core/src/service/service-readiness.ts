import { sql } from 'kysely';
import { isSynapseClientError } from '@matrix-reset/synapse-admin';
import type { EnvironmentConnection } from '../connection/connect-environment.ts';

/** One dependency's answer to a readiness probe. `problem` names what failed, never a secret. */
export interface DependencyCheck {
  readonly name: 'postgres' | 'synapse';
  readonly ok: boolean;
  readonly ms: number;
  readonly problem?: string;
}

export interface CheckDependenciesOptions {
  /** Each check gives up after this long (default 2000 ms). */
  timeoutMs?: number;
  /** Which dependencies to probe (default both, in this order): `['postgres']` leaves Synapse alone. */
  only?: readonly DependencyCheck['name'][];
}

/**
 * Probes what the HTTP service needs to answer: the app database (`select 1`) and Synapse with the admin token
 * (`whoami`), in parallel, each bounded by `timeoutMs`. Never throws for a failed dependency: it reports it.
 *
 * @example
 * ```ts
 * const checks = await checkDependencies(connection, { timeoutMs: 1000 });
 * const ready = checks.every((check) => check.ok);
 * ```
 */
export async function checkDependencies(connection: Pick<EnvironmentConnection, 'db' | 'synapse'>, options: CheckDependenciesOptions = {}): Promise<DependencyCheck[]> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const only = options.only ?? ['postgres', 'synapse'];
  return Promise.all([
    ...(only.includes('postgres')
      ? [
          probe('postgres', timeoutMs, async () => {
            await sql`select 1`.execute(connection.db);
          }),
        ]
      : []),
    ...(only.includes('synapse')
      ? [
          probe('synapse', timeoutMs, async () => {
            if (!connection.synapse.hasAccessToken) throw new ProbeProblem('no admin token: none of the adminToken references holds one');
            await connection.synapse.whoami();
          }),
        ]
      : []),
  ]);
}

class ProbeProblem extends Error {}

async function probe(name: DependencyCheck['name'], timeoutMs: number, check: () => Promise<void>): Promise<DependencyCheck> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeProblem(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return Object.freeze({ name, ok: true, ms: Math.round(performance.now() - started) });
  } catch (error) {
    return Object.freeze({ name, ok: false, ms: Math.round(performance.now() - started), problem: describe(error) });
  } finally {
    clearTimeout(timer);
  }
}

/** A short reason: the typed error's code, or the system error code; never the message of an unknown error. */
function describe(error: unknown): string {
  if (error instanceof ProbeProblem) return error.message;
  if (isSynapseClientError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}
