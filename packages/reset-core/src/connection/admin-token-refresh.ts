import { isSynapseClientError, SynapseAdminApi, SynapseClient, SynapseRoomsApi } from '@matrix-reset/synapse-admin';

/** Automatic re-reads of the adminToken references happen at most once per this many ms (explicit ones always run). */
export const ADMIN_TOKEN_REREAD_COOLDOWN_MS = 5_000;

/** What set off a re-read of the adminToken references. */
export type AdminTokenRereadTrigger = 'unknown_token' | 'missing_token' | 'explicit';

/**
 * One re-read of the adminToken references, for logs. Never carries a token: only the reference the connection's
 * token now comes from and, for a failed read, the error's code.
 */
export interface AdminTokenEvent {
  readonly type: 'admin_token_reread';
  readonly trigger: AdminTokenRereadTrigger;
  /** `changed`: switched to a different token; `unchanged`: the same token; `none`: no reference holds one (kept the current); `failed`: a read failed. */
  readonly outcome: 'changed' | 'unchanged' | 'none' | 'failed';
  /** The reference the connection's token comes from after the re-read, or undefined. */
  readonly source: string | undefined;
  /** The failed read's error code (e.g. `ENOENT`, a secret store's code); only for `failed`. */
  readonly problem?: string;
}

/** A token read from an adminToken reference, and that reference. */
export interface AdminTokenReading {
  readonly token: string;
  readonly source: string;
}

export interface AdminTokenRefresherOptions {
  /** The client built at connect time: carries `initial`'s token, or none. New tokens are derived from it (same pool). */
  readonly client: SynapseClient;
  readonly initial: AdminTokenReading | undefined;
  /** Reads the references again: the first one holding a non-empty token, or undefined when none does. */
  readonly read: () => Promise<AdminTokenReading | undefined>;
  /** Default {@link ADMIN_TOKEN_REREAD_COOLDOWN_MS}. */
  readonly cooldownMs?: number;
  /** Monotonic clock in ms (default `performance.now`). */
  readonly now?: () => number;
  /** One event per re-read; never a token. A throwing listener is ignored. */
  readonly onEvent?: (event: AdminTokenEvent) => void;
}

interface Snapshot {
  readonly client: SynapseClient;
  readonly generation: number;
}

/**
 * Holds an environment connection's admin token and swaps it when the stored one changes (a full reset mints a new
 * admin token and writes it to the adminToken references; operators rotate it). Re-reads are single-flight;
 * automatic ones (after Synapse rejects the token) run at most once per cool-down. {@link refreshingSynapseClient}
 * puts it behind a `SynapseClient`.
 *
 * @example
 * ```ts
 * const refresher = new AdminTokenRefresher({ client, initial, read: readAdminToken });
 * const synapse = refreshingSynapseClient(refresher);
 * await synapse.whoami(); // after a rotation: re-reads, switches, retries once
 * ```
 */
export class AdminTokenRefresher {
  readonly #base: SynapseClient;
  readonly #read: () => Promise<AdminTokenReading | undefined>;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  readonly #onEvent: ((event: AdminTokenEvent) => void) | undefined;
  #client: SynapseClient;
  #token: string | undefined;
  #source: string | undefined;
  #generation = 0;
  #inFlight: Promise<boolean> | undefined;
  /** When the last re-read ended; the connect-time read does not count, so a token rejected at once is re-read at once. */
  #lastReadAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(options: AdminTokenRefresherOptions) {
    this.#base = options.client;
    this.#client = options.client;
    this.#token = options.initial?.token;
    this.#source = options.initial?.source;
    this.#read = options.read;
    this.#cooldownMs = options.cooldownMs ?? ADMIN_TOKEN_REREAD_COOLDOWN_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#onEvent = options.onEvent;
  }

  /** The client carrying the current admin token (or none). */
  get client(): SynapseClient {
    return this.#client;
  }

  /** The reference the current token was read from, or undefined. */
  get source(): string | undefined {
    return this.#source;
  }

  /** @internal The current client and a number that changes whenever the token does. */
  snapshot(): Snapshot {
    return { client: this.#client, generation: this.#generation };
  }

  /**
   * Re-reads the references now (joining a re-read already running) and switches to a different token found there.
   * Resolves to whether the token changed; rejects when a read fails (the current token stays).
   */
  refresh(): Promise<boolean> {
    return this.#inFlight ?? this.#reread('explicit');
  }

  /**
   * @internal After Synapse rejected the token of `used` (`error`): re-reads unless one ran within the cool-down (or
   * the connection is closed), and resolves to whether a token other than the one `used` carried is now current,
   * i.e. whether retrying the call is worth it. Never rejects.
   */
  async recovered(used: Snapshot, error: unknown): Promise<boolean> {
    const trigger = rejectionOf(used.client, error);
    if (trigger === undefined) return false;
    await this.#maybeReread(used.generation, trigger);
    return this.#generation !== used.generation;
  }

  /** @internal A caller saw no token: look again in the background (cool-down and single-flight apply). */
  nudge(): void {
    void this.#maybeReread(this.#generation, 'missing_token');
  }

  /** Stops automatic re-reads (the connection's stores are going away). */
  close(): void {
    this.#closed = true;
  }

  async #maybeReread(generation: number, trigger: AdminTokenRereadTrigger): Promise<void> {
    if (this.#generation !== generation) return;
    const running = this.#inFlight;
    if (running === undefined && (this.#closed || this.#now() - this.#lastReadAt < this.#cooldownMs)) return;
    await (running ?? this.#reread(trigger)).catch(() => false);
  }

  #reread(trigger: AdminTokenRereadTrigger): Promise<boolean> {
    this.#lastReadAt = this.#now();
    const flight = this.#readOnce(trigger).finally(() => {
      if (this.#inFlight === flight) this.#inFlight = undefined;
    });
    this.#inFlight = flight;
    return flight;
  }

  async #readOnce(trigger: AdminTokenRereadTrigger): Promise<boolean> {
    let reading: AdminTokenReading | undefined;
    try {
      reading = await this.#read();
    } catch (error) {
      this.#emit({ type: 'admin_token_reread', trigger, outcome: 'failed', source: this.#source, problem: codeOf(error) });
      throw error;
    } finally {
      this.#lastReadAt = this.#now();
    }
    if (reading === undefined) {
      this.#emit({ type: 'admin_token_reread', trigger, outcome: 'none', source: this.#source });
      return false;
    }
    if (reading.token === this.#token) {
      this.#source = reading.source;
      this.#emit({ type: 'admin_token_reread', trigger, outcome: 'unchanged', source: this.#source });
      return false;
    }
    this.#client = this.#base.withAccessToken(reading.token);
    this.#token = reading.token;
    this.#source = reading.source;
    this.#generation++;
    this.#emit({ type: 'admin_token_reread', trigger, outcome: 'changed', source: this.#source });
    return true;
  }

  #emit(event: AdminTokenEvent): void {
    try {
      this.#onEvent?.(Object.freeze(event));
    } catch {
      // A listener must not break the connection.
    }
  }
}

/** Whether `error` means Synapse refused the admin token `client` sent (or that there was none to send). */
function rejectionOf(client: SynapseClient, error: unknown): AdminTokenRereadTrigger | undefined {
  if (!isSynapseClientError(error)) return undefined;
  if (client.hasAccessToken) return error.code === 'unknown_token' || error.code === 'token_soft_logout' ? 'unknown_token' : undefined;
  return error.code === 'missing_token' ? 'missing_token' : undefined;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

/** Calls that must not be retried with another token: logging the old admin token out must not log out the new one. */
const NOT_RETRIED = new Set<PropertyKey>(['logout']);

type Method = (...args: unknown[]) => unknown;

/**
 * A `SynapseClient` that always uses the refresher's current token: every call (including `admin.*` and `rooms.*`)
 * that Synapse answers with `unknown_token` triggers a re-read of the adminToken references, and when a different
 * token is found there the call is retried once with it (an async iterator only while it has yielded nothing).
 * `withAccessToken` derives an ordinary client from the current token. Immutable from outside.
 *
 * @example
 * ```ts
 * const synapse = refreshingSynapseClient(refresher);
 * for await (const user of synapse.admin.listUsers()) console.log(user.userId);
 * ```
 */
export function refreshingSynapseClient(refresher: AdminTokenRefresher): SynapseClient {
  const admin = group(refresher, SynapseAdminApi.prototype, (client) => client.admin);
  const rooms = group(refresher, SynapseRoomsApi.prototype, (client) => client.rooms);
  const methods = new Map<PropertyKey, Method>();
  return new Proxy(Object.freeze(Object.create(SynapseClient.prototype) as object), {
    get(_target, property) {
      if (property === 'admin') return admin;
      if (property === 'rooms') return rooms;
      const client = refresher.client;
      const value: unknown = Reflect.get(client, property, client);
      if (property === 'hasAccessToken' && value === false) refresher.nudge();
      if (typeof value !== 'function' || property === 'constructor') return value;
      let method = methods.get(property);
      if (method === undefined) {
        method = NOT_RETRIED.has(property)
          ? (...args) => (Reflect.get(refresher.client, property) as Method).apply(refresher.client, args)
          : retrying(refresher, (current) => current, property);
        methods.set(property, method);
      }
      return method;
    },
    has(_target, property) {
      return property in refresher.client;
    },
  }) as SynapseClient;
}

function group<T extends object>(refresher: AdminTokenRefresher, prototype: T, pick: (client: SynapseClient) => T): T {
  const methods = new Map<PropertyKey, Method>();
  return new Proxy(Object.freeze(Object.create(prototype) as object), {
    get(_target, property) {
      const api = pick(refresher.client);
      const value: unknown = Reflect.get(api, property, api);
      if (typeof value !== 'function' || property === 'constructor') return value;
      let method = methods.get(property);
      if (method === undefined) {
        method = retrying(refresher, pick, property);
        methods.set(property, method);
      }
      return method;
    },
  }) as T;
}

/** Calls `pick(client)[property](...args)` on the current client, retrying once after a token switch. */
function retrying(refresher: AdminTokenRefresher, pick: (client: SynapseClient) => object, property: PropertyKey): Method {
  const call = (client: SynapseClient, args: unknown[]): unknown => {
    const target = pick(client);
    return (Reflect.get(target, property, target) as Method).apply(target, args);
  };
  return (...args) => {
    const used = refresher.snapshot();
    const retry = async (error: unknown): Promise<unknown> => {
      if (!(await refresher.recovered(used, error))) throw error;
      return call(refresher.client, args);
    };
    let result: unknown;
    try {
      result = call(used.client, args);
    } catch (error) {
      // Some calls refuse synchronously (`missing_token` before any request): they get the same second chance.
      if (isSynapseClientError(error)) return retry(error);
      throw error;
    }
    if (isAsyncGenerator(result)) return retryingIterator(result, refresher, used, () => call(refresher.client, args) as AsyncGenerator<unknown, void, undefined>);
    return result instanceof Promise ? result.catch(retry) : result;
  };
}

async function* retryingIterator(
  first: AsyncGenerator<unknown, void, undefined>,
  refresher: AdminTokenRefresher,
  used: Snapshot,
  again: () => AsyncGenerator<unknown, void, undefined>,
): AsyncGenerator<unknown, void, undefined> {
  let yielded = false;
  try {
    for await (const item of first) {
      yielded = true;
      yield item;
    }
    return;
  } catch (error) {
    // Re-read even when items went out (later calls then work), but restart only a listing nothing was seen of.
    const switched = await refresher.recovered(used, error);
    if (yielded || !switched) throw error;
  }
  yield* again();
}

function isAsyncGenerator(value: unknown): value is AsyncGenerator<unknown, void, undefined> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value && typeof (value as { next?: unknown }).next === 'function';
}
