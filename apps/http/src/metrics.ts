import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The service's Prometheus metrics, on their own registry (one per service instance, so tests can run several). */
export interface ServiceMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly ensureDuration: Histogram<'source' | 'outcome'>;
  readonly ensureTotal: Counter<'source' | 'outcome'>;
  readonly driftCredentials: Gauge<'class' | 'schema'>;
  readonly driftAgeSeconds: Gauge;
  readonly runs: Gauge<'state'>;
}

/**
 * Creates the metrics: HTTP requests by route and status, ensure-credentials latency and totals by source and outcome,
 * drift counts by class and schema with the summary's age, and runs by state (the last two are set at scrape time).
 *
 * @example
 * ```ts
 * const metrics = createServiceMetrics();
 * metrics.ensureTotal.inc({ source: 'kept', outcome: 'ok' });
 * const text = await metrics.registry.metrics();
 * ```
 */
export function createServiceMetrics(): ServiceMetrics {
  const registry = new Registry();
  return {
    registry,
    httpRequests: new Counter({ name: 'matrix_reset_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    ensureDuration: new Histogram({
      name: 'matrix_reset_ensure_credentials_duration_seconds',
      help: 'ensure-credentials latency by source (kept, login-as, created, none) and outcome (ok or the error code)',
      labelNames: ['source', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    ensureTotal: new Counter({ name: 'matrix_reset_ensure_credentials_total', help: 'ensure-credentials calls by source and outcome', labelNames: ['source', 'outcome'], registers: [registry] }),
    driftCredentials: new Gauge({ name: 'matrix_reset_drift_credentials', help: 'Stored credentials by doctor class and schema, from the cached drift summary', labelNames: ['class', 'schema'], registers: [registry] }),
    driftAgeSeconds: new Gauge({ name: 'matrix_reset_drift_age_seconds', help: 'Age of the drift summary the counts come from', registers: [registry] }),
    runs: new Gauge({ name: 'matrix_reset_runs', help: 'Journaled runs of this environment by state (the latest 500)', labelNames: ['state'], registers: [registry] }),
  };
}
