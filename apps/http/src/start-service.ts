import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { serve } from '@hono/node-server';
import { connectEnvironment, doctor, openSessionRevocationStore, ResetError, type ConnectEnvironmentOptions, type EnvironmentConnection } from '@matrix-reset/reset-core';
import type { DestinationStream, Logger } from 'pino';
import { createApp } from './app.ts';
import { Authenticator } from './auth.ts';
import { createDriftService } from './drift-cache.ts';
import { createServiceLogger } from './logger.ts';
import { createServiceMetrics } from './metrics.ts';
import { openedOnce } from './opened-once.ts';
import { createRunControl, type RunStreamSettings } from './runs/run-control.ts';
import { SessionSigner } from './session-cookie.ts';
import type { ServiceContext } from './service-context.ts';
import { loadServiceSettings, SERVICE_ENV, type ServiceSettings, type ServiceSettingsOptions } from './service-settings.ts';

export interface CreateServiceContextOptions {
  logger: Logger;
  now?: () => number;
  /** Passed to `connectEnvironment` (an SSM client, an env map, Synapse client settings). */
  connect?: ConnectEnvironmentOptions;
  /** Event stream polling, heartbeat and limits of the run control (defaults suit production; tests make them small). */
  runStreams?: RunStreamSettings;
}

/**
 * Connects the environment once (database pool, Synapse client with the admin token, Kubernetes) and builds the
 * {@link ServiceContext}: authenticator (token hashes, session key, rate limits), metrics, the cached doctor and the
 * run control. The caller closes `context.connection`.
 *
 * @example
 * ```ts
 * const ctx = await createServiceContext(await loadServiceSettings(), { logger: createServiceLogger() });
 * const app = createApp(ctx);
 * ```
 */
export async function createServiceContext(settings: ServiceSettings, options: CreateServiceContextOptions): Promise<ServiceContext> {
  const now = options.now ?? Date.now;
  const connection = await connectEnvironment(settings.environment, {
    appDatabasePoolSize: settings.service.databasePoolSize,
    // A re-read of the admin token's references (never the token): a switch after a reset or rotation is worth a line.
    onAdminTokenEvent: (event) => {
      const fields = { trigger: event.trigger, outcome: event.outcome, source: event.source, ...(event.problem ? { problem: event.problem } : {}) };
      if (event.outcome === 'failed') options.logger.warn(fields, 'admin token: re-reading its references failed');
      else options.logger.info(fields, `admin token: references re-read (${event.outcome})`);
    },
    ...options.connect,
  });
  try {
    const sessionKey = await readSessionKey(settings, connection, options.logger);
    const metrics = createServiceMetrics();
    const drift = createDriftService({
      runDoctor: (evidence) => doctor(settings.environment, connection, { evidence }),
      maxAgeSeconds: settings.service.drift.maxAgeSeconds,
      now,
    });
    // Logouts live in the app database, so that one ends a session on every instance (opened at the first need).
    const revocationStore = openedOnce(() => openSessionRevocationStore(connection.db));
    const auth = new Authenticator({
      tokens: settings.service.tokens,
      sessionKey,
      rateLimit: settings.service.rateLimit,
      revocations: {
        revoke: async (sessionId, expiresAt) => (await revocationStore()).revoke(sessionId, expiresAt),
        isRevoked: async (sessionId) => (await revocationStore()).isRevoked(sessionId),
      },
      now,
    });
    const runs = createRunControl({
      ...options.runStreams,
      environment: settings.environment,
      connection,
      logger: options.logger,
      instance: `on ${hostname()} pid ${process.pid} #${randomBytes(2).toString('hex')}`,
    });
    return Object.freeze({
      config: settings.service,
      configPath: settings.config.path,
      environment: settings.environment,
      connection,
      logger: options.logger,
      metrics,
      drift,
      auth,
      runs,
      now,
    });
  } catch (error) {
    await connection.close();
    throw error;
  }
}

async function readSessionKey(settings: ServiceSettings, connection: EnvironmentConnection, logger: Logger): Promise<Buffer> {
  const reference = settings.service.sessionSecret;
  if (reference === undefined) {
    logger.info('service.sessionSecret is not set: browser sessions are signed with a random key of this process (set it when running several instances)');
    return SessionSigner.randomKey();
  }
  const reading = await connection.openSecretStore(reference).read();
  if (!reading.exists || reading.value === undefined || reading.value.length < 16) {
    throw new ResetError('config_invalid', `${reference} (service.sessionSecret) holds no value of at least 16 characters`, {
      nextSteps: ['Store a random key there, e.g. `openssl rand -base64 32`, or remove service.sessionSecret to use a random key per process.'],
    });
  }
  return Buffer.from(reading.value.reveal(), 'utf8');
}

export interface StartServiceOptions extends ServiceSettingsOptions {
  /** A logger; default JSON lines to `logDestination` (default stdout) at `logLevel` (default `MATRIX_RESET_LOG_LEVEL` or info). */
  logger?: Logger;
  logDestination?: DestinationStream;
  logLevel?: string;
  now?: () => number;
  connect?: ConnectEnvironmentOptions;
  /**
   * On close, wait at most this long for requests in progress to finish and for runs this instance started to stop
   * (default 20 s, inside Kubernetes' default 30 s termination grace). A request still going is then cut off; a run
   * still going is cut off too and can be continued with `matrix-reset resume`.
   */
  shutdownGraceMs?: number;
  /** Event stream polling, heartbeat and limits (defaults suit production; tests make them small). */
  runStreams?: RunStreamSettings;
}

/** A running service. */
export interface RunningService {
  /** `http://host:port` it listens on. */
  readonly url: string;
  readonly context: ServiceContext;
  /**
   * Stops accepting connections, ends the open event streams (each gets a final comment), lets the requests in
   * progress finish and waits for runs this instance started (both up to the shutdown grace, then cut off), closes
   * the environment's connection.
   */
  close(): Promise<void>;
}

/**
 * Loads the config, connects the environment, and listens. What `main.ts` runs, and what tests and the load test
 * start (port 0 picks a free port).
 *
 * @example
 * ```ts
 * const service = await startService({ configPath: 'matrix-reset.yaml', port: 0 });
 * const response = await fetch(`${service.url}/healthz`);
 * await service.close();
 * ```
 */
export async function startService(options: StartServiceOptions = {}): Promise<RunningService> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createServiceLogger({ level: options.logLevel ?? env[SERVICE_ENV.logLevel] ?? 'info', ...(options.logDestination ? { destination: options.logDestination } : {}) });
  const settings = await loadServiceSettings(options);
  const context = await createServiceContext(settings, {
    logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.connect ? { connect: options.connect } : {}),
    ...(options.runStreams ? { runStreams: options.runStreams } : {}),
  });
  const app = createApp(context);
  let server: ReturnType<typeof serve>;
  let address: AddressInfo;
  try {
    address = await new Promise<AddressInfo>((resolve, reject) => {
      server = serve({ fetch: app.fetch, hostname: settings.service.listen.host, port: settings.service.listen.port }, resolve);
      server.once('error', reject);
    });
  } catch (error) {
    await context.connection.close();
    throw error;
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, environment: settings.environment.name, config: settings.config.path }, 'listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    context,
    close() {
      closing ??= (async () => {
        const http = server as Server;
        const { runs } = context;
        const graceMs = options.shutdownGraceMs ?? 20_000;
        const drained = new Promise<true>((resolve) => http.close(() => resolve(true)));
        // Keep-alive connections go as soon as they are idle (a finished request leaves its connection idle).
        http.closeIdleConnections();
        const idleSweep = setInterval(() => http.closeIdleConnections(), 100);
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
        // Event streams do not end by themselves: end them now (each sends a last comment and closes). Other
        // requests (an ensure provisioning a user, a plan running doctor, a run starting) finish within the grace.
        const [, finished, settled] = await Promise.all([
          runs.endStreams({ timeoutMs: Math.min(5_000, graceMs) }),
          Promise.race([drained, graceOver]),
          Promise.race([runs.settle().then(() => true as const), graceOver]),
        ]);
        clearTimeout(timer);
        clearInterval(idleSweep);
        if (!finished) {
          logger.warn({ graceMs }, 'cutting off requests still in progress after the shutdown grace');
          http.closeAllConnections();
          await drained;
        }
        if (!settled) {
          const running = (await runs.listRuns({ limit: 20 }).then((page) => page.runs).catch(() => [])).filter((r) => r.run.state === 'running').map((r) => r.run.id);
          logger.warn({ runs: running }, 'stopping with a run still going: continue it with matrix-reset resume <run>');
        }
        await context.connection.close();
        logger.info('stopped');
      })();
      return closing;
    },
  };
}
