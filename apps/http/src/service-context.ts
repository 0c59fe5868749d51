import type { EnvironmentConfig, EnvironmentConnection, ServiceConfig } from '@matrix-reset/reset-core';
import type { Logger } from 'pino';
import type { Authenticator, Principal } from './auth.ts';
import type { DriftService } from './drift-cache.ts';
import type { ServiceMetrics } from './metrics.ts';
import type { RunControl } from './runs/run-control.ts';

/**
 * Everything a route needs, built once per process by `createServiceContext`: the service config, the environment
 * and its live clients, the logger, metrics, the cached doctor, the run control and the clock.
 */
export interface ServiceContext {
  /** The `service:` section with environment overrides applied. */
  readonly config: ServiceConfig;
  /** The path of the matrix-reset.yaml it came from. */
  readonly configPath: string;
  readonly environment: EnvironmentConfig;
  /** One long-lived connection: app database pool, Synapse client with the admin token, Kubernetes, secret stores. */
  readonly connection: EnvironmentConnection;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly drift: DriftService;
  readonly auth: Authenticator;
  /** This instance's runs, rollbacks and event streams (shared by the run routes, the status page and shutdown). */
  readonly runs: RunControl;
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Hono's environment for every router: the context and, after `requireScope`, the caller. */
export interface AppEnv {
  Variables: {
    service: ServiceContext;
    /** Set by `requireScope`; undefined on routes without it. */
    principal: Principal;
  };
}
