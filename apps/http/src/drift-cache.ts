import type { DoctorReport, EvidenceRequest } from '@matrix-reset/reset-core';

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
  /** Where the verdicts came from (Synapse's API or its database), and why. */
  readonly evidence: DoctorReport['evidence'];
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
  /**
   * The summary from `evidence` (default `auto`; each kind cached apart), recomputed when older than the limit or
   * when `refresh` is true. Concurrent recomputations of one kind share one doctor run.
   */
  get(options?: { refresh?: boolean; evidence?: EvidenceRequest }): Promise<DriftSnapshot>;
  /** The newest summary of any kind without computing one (undefined before the first). */
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
    evidence: report.evidence,
    durationMs: report.durationMs,
  });
}

/**
 * A {@link DriftService} over a doctor run: `runDoctor` is called at most once at a time per evidence kind; a failed
 * run is not cached.
 *
 * @example
 * ```ts
 * const drift = createDriftService({ runDoctor: (evidence) => doctor(connection.environment, connection, { evidence }), maxAgeSeconds: 300 });
 * const { summary, ageSeconds } = await drift.get();
 * ```
 */
export function createDriftService(options: { runDoctor: (evidence: EvidenceRequest) => Promise<DoctorReport>; maxAgeSeconds: number; now?: () => number }): DriftService {
  const now = options.now ?? Date.now;
  const kinds = new Map<EvidenceRequest, { cached?: { summary: DriftSummary; at: number }; running?: Promise<{ summary: DriftSummary; at: number }> }>();

  const snapshot = (entry: { summary: DriftSummary; at: number }): DriftSnapshot =>
    Object.freeze({ summary: entry.summary, generatedAt: new Date(entry.at).toISOString(), ageSeconds: Math.max(0, Math.floor((now() - entry.at) / 1000)) });

  return {
    async get(request = {}) {
      const evidence = request.evidence ?? 'auto';
      let kind = kinds.get(evidence);
      if (kind === undefined) kinds.set(evidence, (kind = {}));
      const { cached } = kind;
      if (cached !== undefined && now() - cached.at <= options.maxAgeSeconds * 1000 && request.refresh !== true) return snapshot(cached);
      const entry = kind;
      entry.running ??= options
        .runDoctor(evidence)
        .then((report) => (entry.cached = { summary: summarizeDoctorReport(report), at: now() }))
        .finally(() => {
          entry.running = undefined;
        });
      return snapshot(await entry.running);
    },
    peek() {
      const newest = [...kinds.values()].flatMap((kind) => (kind.cached === undefined ? [] : [kind.cached])).sort((a, b) => b.at - a.at)[0];
      return newest === undefined ? undefined : snapshot(newest);
    },
  };
}
