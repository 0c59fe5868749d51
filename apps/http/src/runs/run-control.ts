import {
  applyPlan,
  isResetError,
  openJournal,
  openPlanStore,
  openRollbackJournal,
  planEnvironment,
  ResetError,
  rollbackRun,
  runStatusPage,
  describeProgress,
  newRunId,
  type RunConnection,
  type DoctorReport,
  type EnvironmentConfig,
  type JournalRollbackStep,
  type JournalRun,
  type Journal,
  type Plan,
  type PlanStore,
  type RollbackJournal,
  type ObserveDependencies,
  type RollbackResult,
  type RunStatus,
  type StoredPlan,
} from '@matrix-reset/reset-core';
import { ApiError } from '../http-errors.ts';
import { LocalRuns } from './local-runs.ts';
import { runEvents, type RunEventSource, type RunEventsOptions, type ServedStreamItem } from './run-events.ts';
import { SharedJournalReads } from './shared-journal-reads.ts';
import { openedOnce } from '../opened-once.ts';

/** The log lines run control writes (pino fits). Fields hold ids, codes and counts, never a secret. */
export interface RunLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface RunControlDependencies {
  readonly environment: EnvironmentConfig;
  /** The live clients (the service context's connection); the Synapse client carries the admin token. */
  readonly connection: RunConnection & ObserveDependencies;
  readonly logger: RunLogger;
  /** Who this instance is (host and pid), journaled and shown to anyone the lock refuses. */
  readonly instance: string;
  /** Journal polling of event streams of runs this instance executes (default 250 ms; they also wake on every step). */
  readonly pollMs?: number;
  /** Journal polling of runs this instance does not execute (default 1500 ms): one read per run for all its streams. */
  readonly remotePollMs?: number;
  /** Heartbeat of event streams (default 15 s). */
  readonly heartbeatMs?: number;
  /** Event streams open at once: per token (default 10) and on this instance (default 100); more are refused (429). */
  readonly streamLimits?: { readonly perToken?: number; readonly perInstance?: number };
}

/** Event stream settings of a service's run control (polling, heartbeat, limits); defaults suit production. */
export type RunStreamSettings = Pick<RunControlDependencies, 'pollMs' | 'remotePollMs' | 'heartbeatMs' | 'streamLimits'>;

/** What `events` needs to know about its caller. */
export interface EventsRequest extends Pick<RunEventsOptions, 'lastEventId' | 'signal'> {
  /** The token's name: streams are counted per token. */
  readonly tokenName: string;
}

export interface CreatePlanRequest {
  readonly mode?: 'auto' | 'repair' | 'full-reset' | 'restore-admin';
  readonly allowExternalDatabase?: boolean;
  readonly clearDeactivated?: boolean;
  readonly wipeMedia?: boolean;
  readonly terminateDatabaseSessions?: boolean;
  readonly databaseBackup?: 'auto' | 'rename' | 'dump';
  /** Who asks (a token's name). */
  readonly createdBy: string;
}

export interface StartRequest {
  /** The environment's name, required when it is protected. */
  readonly confirm?: string | undefined;
  /** Who asks (a token's name). */
  readonly requestedBy: string;
}

/** What `startRollback` did: began in the background, or had nothing to do (answered at once). */
export type RollbackStart = { readonly started: true; readonly runId: string } | { readonly started: false; readonly runId: string; readonly result: RollbackResult };

/** One page of an environment's runs, newest first, and where the next page starts (undefined on the last). */
export interface RunPage {
  readonly runs: readonly RunStatus[];
  readonly nextCursor: string | undefined;
}

/**
 * What run control does for the HTTP routes; see {@link createRunControl}. Its refusals are reset-core's
 * `ResetError`s (`plan_not_found`, `run_not_found`, `confirmation_required`, and `locked`, `stale_plan`,
 * `rolled_back` from apply and rollback) or, for the service's own limits, an `ApiError` with its status.
 */
export interface RunControl {
  createPlan(request: CreatePlanRequest): Promise<{ stored: StoredPlan; report: DoctorReport }>;
  getPlan(planId: string): Promise<StoredPlan>;
  startRun(planId: string, request: StartRequest): Promise<{ runId: string }>;
  startRollback(runId: string, request: StartRequest): Promise<RollbackStart>;
  getRun(runId: string): Promise<RunStatus>;
  /** A page of the environment's runs (default 20); `cursor` is a page's `nextCursor` (another is `config_invalid`). */
  listRuns(options?: { limit?: number; cursor?: string }): Promise<RunPage>;
  /** The plan a run applies, from the journal (checked against its checksum). */
  runPlan(runId: string): Promise<Plan>;
  /** The undo steps of a run's rollback (empty when it was never rolled back). */
  rollbackSteps(runId: string): Promise<JournalRollbackStep[]>;
  /**
   * The run's events from its start (or after `lastEventId`) to its end; throws `run_not_found` for an unknown run,
   * 429 `too_many_streams` when the caller's token or this instance has as many streams open as allowed, 503
   * `stopping` once {@link RunControl.endStreams} was called.
   */
  events(runId: string, request: EventsRequest): Promise<AsyncGenerator<ServedStreamItem>>;
  /** Event streams open now (each follows its run until the run ends or its client goes away). */
  openStreams(): number;
  /** Journal reads the event streams made so far: one per run per poll interval, whatever the number of streams. */
  journalReads(): number;
  /**
   * Ends every open event stream (each yields a final `closing` and stops) and refuses new ones; resolves once they
   * have all stopped, or after `timeoutMs` (default 5 s).
   */
  endStreams(options?: { timeoutMs?: number }): Promise<void>;
  /** Waits until every run and rollback started by this instance has stopped (for shutdown and tests). */
  settle(): Promise<void>;
}

function requireConfirmation(environment: EnvironmentConfig, confirm: string | undefined, what: string): void {
  if (!environment.protected || confirm === environment.name) return;
  throw new ResetError(
    'confirmation_required',
    confirm === undefined
      ? `Environment ${environment.name} is protected: ${what} needs its name as confirmation`
      : `Environment ${environment.name} is protected and the confirmation does not match its name`,
    { nextSteps: [`Send "confirm": "${environment.name}" in the request body (type the environment's name, as on the CLI).`] },
  );
}

/**
 * Starts `operation` in the background. `begun` resolves once it has begun for real (it called `started`: the lock
 * is held, the plan is current and the journal has the run), or with its value when it finished without beginning,
 * or rejects with the failure that came before that. A failure after that goes to `onLateFailure` only: the journal
 * records it and the run's events show it. `done` settles when the operation has stopped.
 */
function startInBackground<T>(
  operation: (started: () => void) => Promise<T>,
  onLateFailure: (error: unknown) => void,
): { begun: Promise<{ begun: true } | { begun: false; value: T }>; done: Promise<void> } {
  let hasStarted = false;
  let resolveBegun!: (outcome: { begun: true } | { begun: false; value: T }) => void;
  let rejectBegun!: (error: unknown) => void;
  const begun = new Promise<{ begun: true } | { begun: false; value: T }>((resolve, reject) => {
    resolveBegun = resolve;
    rejectBegun = reject;
  });
  const done = operation(() => {
    hasStarted = true;
    resolveBegun({ begun: true });
  }).then(
    (value) => resolveBegun({ begun: false, value }),
    (error: unknown) => {
      if (hasStarted) onLateFailure(error);
      else rejectBegun(error);
    },
  );
  return { begun, done };
}

/**
 * Run control for one environment: plans kept in Postgres (any instance can apply them), runs and rollbacks started
 * in the background once the environment's lock is held (Postgres advisory lock + Kubernetes Lease, so the lock
 * holds across instances), and their events from the journal.
 *
 * @example
 * ```ts
 * const runs = createRunControl({ environment: ctx.environment, connection: ctx.connection, logger, instance: 'http on host-a pid 42' });
 * const { stored } = await runs.createPlan({ mode: 'repair', createdBy: 'ops' });
 * const { runId } = await runs.startRun(stored.plan.id, { requestedBy: 'ops' });
 * for await (const event of await runs.events(runId, { tokenName: 'ops' })) console.log(event.type);
 * ```
 */
export function createRunControl(deps: RunControlDependencies): RunControl {
  const { environment, logger } = deps;
  const localPollMs = deps.pollMs ?? 250;
  const remotePollMs = deps.remotePollMs ?? 1500;
  const perToken = deps.streamLimits?.perToken ?? 10;
  const perInstance = deps.streamLimits?.perInstance ?? 100;
  // A local run's journal change drops the run's shared read before its watchers read again (`reads` is made below,
  // before any run can start).
  const local = new LocalRuns({ onJournalChange: (runId) => reads.invalidate(runId) });
  const inFlight = new Set<Promise<void>>();
  const streamsByToken = new Map<string, number>();
  let streams = 0;
  const stopping = new AbortController();
  const streamsGone = new Set<() => void>();
  const holder = (who: string) => `matrix-reset http ${deps.instance} for ${who}`;

  // Event streams read the journal several times a second: open (and migrate) the stores once.
  const journal: () => Promise<Journal> = openedOnce(() => openJournal(deps.connection.db));
  const rollbacks: () => Promise<RollbackJournal> = openedOnce(() => openRollbackJournal(deps.connection.db));
  const plans: () => Promise<PlanStore> = openedOnce(() => openPlanStore(deps.connection.db));

  /** A run as reset-core's `runStatus` reports it, read through the stores opened once. */
  const statusOf = async (run: JournalRun): Promise<RunStatus> => {
    const [steps, rollback] = await Promise.all([(await journal()).steps(run.id), (await rollbacks()).get(run.id)]);
    return Object.freeze({ run, steps, rollback });
  };

  /** How often the streams of `runId` read the journal: fast while this instance executes it (its steps wake them too). */
  const intervalOf = (runId: string) => (local.isActive(runId) ? localPollMs : remotePollMs);
  const reads = new SharedJournalReads(
    async (runId) => {
      const run = await (await journal()).getRun(runId);
      if (run === undefined) return undefined;
      const status = await statusOf(run);
      const rollbackSteps = status.rollback === undefined ? [] : await (await rollbacks()).steps(runId);
      return { run, steps: status.steps, rollback: status.rollback, rollbackSteps };
    },
    { intervalMs: intervalOf },
  );
  const source: RunEventSource = { local, snapshot: (runId) => reads.snapshot(runId) };

  /** Counts a stream against the limits (or refuses it); the returned function gives its place back (once). */
  const reserveStream = (tokenName: string): (() => void) => {
    if (stopping.signal.aborted) {
      throw new ApiError(503, 'stopping', 'This instance is stopping and opens no new event streams', {
        nextSteps: ['Reconnect in a moment: another instance (or this one, restarted) serves the stream.'],
        headers: { 'Retry-After': '1' },
      });
    }
    const mine = streamsByToken.get(tokenName) ?? 0;
    if (mine >= perToken || streams >= perInstance) {
      const which = mine >= perToken ? `token ${tokenName} has ${mine} event streams open (the limit is ${perToken})` : `this instance has ${streams} event streams open (the limit is ${perInstance})`;
      throw new ApiError(429, 'too_many_streams', `Too many event streams: ${which}`, {
        nextSteps: ['Close streams you no longer read (one EventSource per run is enough), then retry; GET /v1/runs/{id} answers without a stream.'],
        headers: { 'Retry-After': '10' },
      });
    }
    streams += 1;
    streamsByToken.set(tokenName, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      streams -= 1;
      const left = (streamsByToken.get(tokenName) ?? 1) - 1;
      if (left === 0) streamsByToken.delete(tokenName);
      else streamsByToken.set(tokenName, left);
      if (streams === 0) for (const resolve of streamsGone) resolve();
    };
  };

  const track = (done: Promise<void>) => {
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  const getRun = async (runId: string): Promise<RunStatus> => {
    const run = await (await journal()).getRun(runId);
    if (run === undefined || run.environment !== environment.name) {
      throw new ResetError('run_not_found', `No run ${runId} of environment ${environment.name} in the journal`, { nextSteps: ['GET /v1/runs lists the recent runs.'] });
    }
    return statusOf(run);
  };

  const getPlan = async (planId: string): Promise<StoredPlan> => {
    const stored = await (await plans()).get(planId);
    if (stored === undefined || stored.plan.environment !== environment.name) {
      throw new ResetError('plan_not_found', `No plan ${planId} for environment ${environment.name}`, { nextSteps: ['Make one: POST /v1/plans.'] });
    }
    return stored;
  };

  return Object.freeze({
    async createPlan(request) {
      const { plan, report } = await planEnvironment(environment, deps.connection, {
        ...(request.mode === undefined ? {} : { mode: request.mode }),
        ...(request.allowExternalDatabase === undefined ? {} : { allowExternalDatabase: request.allowExternalDatabase }),
        ...(request.clearDeactivated === undefined ? {} : { clearDeactivated: request.clearDeactivated }),
        ...(request.wipeMedia === undefined ? {} : { wipeMedia: request.wipeMedia }),
        ...(request.terminateDatabaseSessions === undefined ? {} : { terminateDatabaseSessions: request.terminateDatabaseSessions }),
        ...(request.databaseBackup === undefined ? {} : { databaseBackup: request.databaseBackup }),
      });
      const stored = await (await plans()).save(plan, { createdBy: request.createdBy });
      logger.info({ planId: plan.id, mode: plan.mode, steps: plan.steps.length, createdBy: request.createdBy }, 'plan stored');
      return { stored, report };
    },

    getPlan,

    async startRun(planId, request) {
      const { plan } = await getPlan(planId);
      requireConfirmation(environment, request.confirm, `applying plan ${planId}`);
      const runId = newRunId();
      let confirmed = false;
      const end = local.begin(runId);
      const { begun, done } = startInBackground(
        (started) =>
          applyPlan(plan, deps.connection, {
            runId,
            holder: holder(request.requestedBy),
            confirm: async (asked) => {
              // Checked again here: the plan's environment is the configured one, and its protection is the config's.
              requireConfirmation(environment, request.confirm, `applying plan ${planId}`);
              logger.info({ runId, planId, summary: asked.summary, requestedBy: request.requestedBy }, 'run confirmed');
              confirmed = true;
            },
            onProgress: (event) => {
              // The first event after the confirmation follows the journal's createRun: the run can be read now.
              if (confirmed) started();
              local.progress(runId, describeProgress(event));
            },
            onStep: () => local.journalChanged(runId),
          }).finally(end),
        (error) => logger.warn({ runId, planId, code: isResetError(error) ? error.code : 'bug', err: isResetError(error) ? undefined : error, error: error instanceof Error ? error.message : String(error) }, 'run failed'),
      );
      track(done);
      await begun;
      logger.info({ runId, planId, requestedBy: request.requestedBy }, 'run started');
      return { runId };
    },

    async startRollback(runId, request) {
      await getRun(runId);
      requireConfirmation(environment, request.confirm, `rolling back run ${runId}`);
      let confirmed = false;
      const end = local.begin(runId);
      const { begun, done } = startInBackground(
        (started) =>
          rollbackRun(runId, deps.connection, {
            holder: holder(request.requestedBy),
            confirm: async () => {
              requireConfirmation(environment, request.confirm, `rolling back run ${runId}`);
              confirmed = true;
            },
            onProgress: (event) => {
              // The first event after the confirmation follows the rollback journal's begin.
              if (confirmed) started();
              local.progress(runId, describeProgress(event));
              local.journalChanged(runId);
            },
          }).finally(end),
        (error) => logger.warn({ runId, code: isResetError(error) ? error.code : 'bug', err: isResetError(error) ? undefined : error, error: error instanceof Error ? error.message : String(error) }, 'rollback failed'),
      );
      track(done);
      const outcome = await begun;
      if (!outcome.begun) return { started: false, runId, result: outcome.value };
      logger.info({ runId, requestedBy: request.requestedBy }, 'rollback started');
      return { started: true, runId };
    },

    getRun,

    async listRuns(options = {}) {
      const page = await runStatusPage(deps.connection.db, { environment: environment.name, limit: options.limit ?? 20, ...(options.cursor === undefined ? {} : { cursor: options.cursor }) });
      return Object.freeze({ runs: Object.freeze(page.runs), nextCursor: page.nextCursor });
    },

    async runPlan(runId) {
      return (await journal()).runPlan(runId);
    },

    async rollbackSteps(runId) {
      return (await rollbacks()).steps(runId);
    },

    async events(runId, request) {
      const release = reserveStream(request.tokenName);
      try {
        await getRun(runId);
      } catch (error) {
        release();
        throw error;
      }
      // The stream stops when its client goes away or when this instance stops. Its place is given back when it ends,
      // or at once when its client goes away (a generator that never started runs no `finally`).
      const signal = request.signal === undefined ? stopping.signal : AbortSignal.any([request.signal, stopping.signal]);
      request.signal?.addEventListener('abort', release, { once: true });
      const stream = runEvents(source, runId, {
        lastEventId: request.lastEventId,
        signal,
        pollMs: () => intervalOf(runId),
        heartbeatMs: deps.heartbeatMs ?? 15_000,
      });
      return (async function* counted(): AsyncGenerator<ServedStreamItem> {
        try {
          yield* stream;
          if (stopping.signal.aborted && request.signal?.aborted !== true) yield { type: 'closing' };
        } finally {
          request.signal?.removeEventListener('abort', release);
          release();
        }
      })();
    },

    openStreams: () => streams,

    journalReads: () => reads.reads(),

    async endStreams(options = {}) {
      stopping.abort();
      if (streams === 0) return;
      let timer: NodeJS.Timeout | undefined;
      let done: (() => void) | undefined;
      await new Promise<void>((resolve) => {
        done = resolve;
        streamsGone.add(resolve);
        timer = setTimeout(resolve, options.timeoutMs ?? 5_000);
      });
      clearTimeout(timer);
      if (done !== undefined) streamsGone.delete(done);
    },

    async settle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  } satisfies RunControl);
}
