import type { DoctorReport } from '@matrix-reset/reset-core';

/** The part of a doctor report the service serves: counts and the recommendation, never a token. */
export interface DriftSummary {
  readonly environment: string;
  readonly layout: string;
  readonly adminToken: DoctorReport['adminToken'];
  readonly population: number;
  readonly examined: number;
  readonly totals: DoctorReport['totals'];
  readonly schemas: DoctorReport['schemas'];
  readonly recommendation: DoctorReport['recommendation'];
  readonly findingsTotal: number;
  readonly durationMs: number;
}

/** A summary and how old it is. */
export interface DriftSnapshot {
  readonly summary: DriftSummary;
  /** When doctor finished (ISO 8601). */
  readonly generatedAt: string;
  readonly ageSeconds: number;
}

/** The cached doctor: `get()` serves the last summary while it is younger than `maxAgeSeconds`. */
export interface DriftService {
  /** The summary, recomputed when older than the limit or when `refresh` is true. Concurrent recomputations share one doctor run. */
  get(options?: { refresh?: boolean }): Promise<DriftSnapshot>;
  /** The last summary without computing one (undefined before the first). */
  peek(): DriftSnapshot | undefined;
}

/** Keeps what the service may show of a doctor report. */
export function summarizeDoctorReport(report: DoctorReport): DriftSummary {
  return Object.freeze({
    environment: report.environment,
    layout: report.layout,
    adminToken: report.adminToken,
    population: report.population,
    examined: report.examined,
    totals: report.totals,
    schemas: report.schemas,
    recommendation: report.recommendation,
    findingsTotal: report.findingsTotal,
    durationMs: report.durationMs,
  });
}

/**
 * A {@link DriftService} over a doctor run: `runDoctor` is called at most once at a time; a failed run is not cached.
 *
 * @example
 * ```ts
 * const drift = createDriftService({ runDoctor: () => doctor(connection.environment, connection), maxAgeSeconds: 300 });
 * const { summary, ageSeconds } = await drift.get();
 * ```
 */
export function createDriftService(options: { runDoctor: () => Promise<DoctorReport>; maxAgeSeconds: number; now?: () => number }): DriftService {
  const now = options.now ?? Date.now;
  let cached: { summary: DriftSummary; at: number } | undefined;
  let running: Promise<{ summary: DriftSummary; at: number }> | undefined;

  const snapshot = (entry: { summary: DriftSummary; at: number }): DriftSnapshot =>
    Object.freeze({ summary: entry.summary, generatedAt: new Date(entry.at).toISOString(), ageSeconds: Math.max(0, Math.floor((now() - entry.at) / 1000)) });

  return {
    async get(request = {}) {
      const fresh = cached !== undefined && now() - cached.at <= options.maxAgeSeconds * 1000;
      if (fresh && request.refresh !== true && cached !== undefined) return snapshot(cached);
      running ??= options
        .runDoctor()
        .then((report) => (cached = { summary: summarizeDoctorReport(report), at: now() }))
        .finally(() => {
          running = undefined;
        });
      return snapshot(await running);
    },
    peek() {
      return cached === undefined ? undefined : snapshot(cached);
    },
  };
}
