import type { AnyKysely, AnyTransaction } from './any-kysely.ts';
import { sql } from 'kysely';
import { UserCredsError } from './user-creds-error.ts';

/** Options every batched write shares. */
export interface BatchOptions {
  /** Rows per transaction (default 10,000: about 70 ms per batch in the benchmark). */
  batchSize?: number;
  /** `SET LOCAL lock_timeout` of each batch transaction, in ms (default 2000). */
  lockTimeoutMs?: number;
  /** How many times a batch that hit the lock timeout is retried before giving up (default 3). */
  lockRetries?: number;
  /** Checked before each batch: an aborted signal stops the run between batches. */
  signal?: AbortSignal;
}

/**
 * Rows per batch transaction when `batchSize` is not given (tuned with `npm run bench -- user-creds`).
 *
 * @example
 * ```ts
 * await creds.clear({ runId: 'r1', batchSize: DEFAULT_BATCH_SIZE * 2 });
 * ```
 */
export const DEFAULT_BATCH_SIZE = 10_000;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Resolves {@link BatchOptions} to numbers. */
export function batchSettings(options: BatchOptions): { batchSize: number; lockTimeoutMs: number; lockRetries: number } {
  return {
    batchSize: positiveInteger('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE),
    lockTimeoutMs: positiveInteger('lockTimeoutMs', options.lockTimeoutMs ?? 2000),
    lockRetries: Math.max(0, Math.floor(options.lockRetries ?? 3)),
  };
}

function isLockTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '55P03';
}

/**
 * Runs `body` in a short transaction with `SET LOCAL lock_timeout` (and `synchronous_commit = off`), retrying (with a growing pause) when the lock
 * timeout fires, then failing with `lock_timeout`. Returns the body's result and how long the transaction took.
 */
export async function inBatchTransaction<T>(
  db: AnyKysely,
  settings: { lockTimeoutMs: number; lockRetries: number },
  what: { schema: string; operation: string },
  body: (trx: AnyTransaction) => Promise<T>,
): Promise<{ result: T; durationMs: number }> {
  for (let attempt = 0; ; attempt++) {
    const started = performance.now();
    try {
      const result = await db.transaction().execute(async (trx) => {
        await sql`SET LOCAL lock_timeout = ${sql.raw(`'${settings.lockTimeoutMs}ms'`)}`.execute(trx);
        // Batches are idempotent and journal their own progress in the same transaction: if the server crashes
        // before the last few commits reach disk, those batches are simply done again. So no WAL flush per batch.
        await sql`SET LOCAL synchronous_commit = off`.execute(trx);
        return body(trx);
      });
      return { result, durationMs: performance.now() - started };
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      if (attempt >= settings.lockRetries) {
        throw new UserCredsError({
          code: 'lock_timeout',
          schema: what.schema,
          message: `${what.operation} in schema ${what.schema} waited more than ${settings.lockTimeoutMs} ms for row locks, ${attempt + 1} times`,
          nextSteps: [
            'Something holds long transactions on the users table (a migration, a long report). Let it finish, then run again with the same runId: finished batches are kept.',
            'Or raise lockTimeoutMs / lower batchSize.',
          ],
          cause: error instanceof Error ? error : undefined,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
    }
  }
}

/** Throws `interrupted` when the signal is aborted. */
export function checkSignal(signal: AbortSignal | undefined, operation: string, runId: string): void {
  if (signal?.aborted) {
    throw new UserCredsError({
      code: 'interrupted',
      message: `${operation} of run ${runId} was interrupted between batches`,
      nextSteps: [`Run ${operation} again with runId '${runId}': it continues after the last finished batch.`],
    });
  }
}
