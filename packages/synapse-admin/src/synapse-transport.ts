import { setTimeout as sleep } from 'node:timers/promises';
import { getGlobalDispatcher, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { SynapseLogger } from './request-log-event.ts';
import { resolveRetryPolicy, retryDelayMs, type Idempotency, type RetryOptions, type RetryPolicy } from './retry-policy.ts';
import { invalidResponseError, toApiError } from './synapse-api-error.ts';
import { SynapseClientError } from './synapse-client-error.ts';
import { toNetworkError } from './synapse-network-error.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export type QueryValue = string | number | boolean | undefined;

/** One API call, described as data. */
export interface SynapseCall<T> {
  method: HttpMethod;
  /** Route template for logs and error classification, e.g. `/_synapse/admin/v2/users/{userId}`. */
  route: string;
  /** The concrete, already-encoded path (no query string). */
  path: string;
  query?: Readonly<Record<string, QueryValue>>;
  /** Sent as `Authorization: Bearer`, never in the URL. */
  accessToken?: string | undefined;
  /** JSON body. */
  body?: unknown;
  /** A body sent as it is, with its content type (a media upload); instead of `body`. */
  rawBody?: { readonly contentType: string; readonly bytes: Uint8Array };
  idempotency: Idempotency;
  /** Validates the 2xx body; unknown fields are tolerated. */
  schema: z.ZodType<T>;
  /** Secrets this call carries besides the access token (passwords, the shared secret), scrubbed from errors. */
  secrets?: readonly (string | undefined)[];
}

export interface SynapseTransportOptions {
  /** Where Synapse's client listener is, e.g. `http://127.0.0.1:8008` (a path prefix is kept). */
  baseUrl: string;
  /** Connection pool to send through. Default: undici's global dispatcher (a keep-alive Agent). */
  dispatcher?: Dispatcher;
  logger?: SynapseLogger;
  retry?: RetryOptions;
  /** Headers and body timeout per attempt. Default 30 000 ms. */
  timeoutMs?: number;
}

function encodeQuery(query: Readonly<Record<string, QueryValue>> | undefined): string {
  if (query === undefined) return '';
  let out = '';
  for (const key in query) {
    const value = query[key];
    if (value === undefined) continue;
    out += `${out === '' ? '?' : '&'}${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
  }
  return out;
}

/**
 * Sends {@link SynapseCall}s through an undici `Dispatcher`: one `request` per attempt, the body read once, JSON
 * parsed once and validated by the call's schema; retries what the call's idempotency allows; reports every attempt
 * to the logger without secrets. Shared by every client derived from one `createSynapseClient`.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 *
 * const transport = new SynapseTransport({ baseUrl: 'http://127.0.0.1:8008' });
 * const version = await transport.call({
 *   method: 'GET', route: '/_synapse/admin/v1/server_version', path: '/_synapse/admin/v1/server_version',
 *   idempotency: 'idempotent', schema: z.object({ server_version: z.string() }),
 * });
 * ```
 */
export class SynapseTransport {
  readonly origin: string;
  readonly basePath: string;
  readonly dispatcher: Dispatcher;
  readonly logger: SynapseLogger | undefined;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;

  constructor(options: SynapseTransportOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError('baseUrl must be an absolute http(s) URL, e.g. http://127.0.0.1:8008');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('baseUrl must use http or https');
    if (url.search !== '' || url.username !== '' || url.password !== '') {
      throw new TypeError('baseUrl must not carry a query string or credentials');
    }
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.dispatcher = options.dispatcher ?? getGlobalDispatcher();
    this.logger = options.logger;
    this.retry = resolveRetryPolicy(options.retry);
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Sends the call, retrying as its idempotency allows, and returns the validated body. */
  async call<T>(call: SynapseCall<T>): Promise<T> {
    return (await this.send(call)).value;
  }

  /** Like {@link SynapseTransport.call}, also returning the HTTP status (201 vs 200 of an upsert). */
  async send<T>(call: SynapseCall<T>): Promise<{ value: T; status: number }> {
    const requestPath = this.basePath + call.path + encodeQuery(call.query);
    const headers: Record<string, string> = {};
    if (call.accessToken !== undefined) headers['authorization'] = `Bearer ${call.accessToken}`;
    let body: string | Uint8Array | undefined;
    if (call.rawBody !== undefined) {
      body = call.rawBody.bytes;
      headers['content-type'] = call.rawBody.contentType;
    } else if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers['content-type'] = 'application/json';
    }
    for (let attempt = 1; ; attempt++) {
      const started = this.logger === undefined ? 0 : performance.now();
      const outcome = await this.#attempt(call, requestPath, headers, body);
      if (outcome.ok) {
        if (this.logger !== undefined) {
          const durationMs = performance.now() - started;
          this.#log({ type: 'response', method: call.method, route: call.route, status: outcome.status, durationMs, attempt });
        }
        return outcome;
      }
      const { error } = outcome;
      const wait = retryDelayMs(this.retry, error, call.idempotency, attempt);
      if (this.logger !== undefined) {
        const status = 'status' in error && typeof error.status === 'number' ? error.status : undefined;
        const errcode = 'errcode' in error && typeof error.errcode === 'string' ? error.errcode : undefined;
        this.#log({
          type: status === undefined ? 'network_error' : 'response',
          method: call.method,
          route: call.route,
          ...(status === undefined ? {} : { status }),
          ...(errcode === undefined ? {} : { errcode }),
          code: error.code,
          durationMs: performance.now() - started,
          attempt,
          ...(wait === undefined ? {} : { retryInMs: wait }),
        });
      }
      if (wait === undefined) throw error;
      await sleep(wait);
    }
  }

  async #attempt<T>(
    call: SynapseCall<T>,
    requestPath: string,
    headers: Record<string, string>,
    body: string | Uint8Array | undefined,
  ): Promise<{ ok: true; value: T; status: number } | { ok: false; error: SynapseClientError }> {
    let statusCode: number;
    let responseHeaders: Dispatcher.ResponseData['headers'];
    let text: string;
    try {
      const response = await this.dispatcher.request({
        origin: this.origin,
        path: requestPath,
        method: call.method,
        headers,
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      statusCode = response.statusCode;
      responseHeaders = response.headers;
      text = await response.body.text();
    } catch (error) {
      return {
        ok: false,
        error: toNetworkError(error, { method: call.method, path: call.path, origin: this.origin, secrets: this.#secrets(call) }),
      };
    }
    if (statusCode >= 200 && statusCode < 300) {
      let json: unknown;
      try {
        json = text === '' ? {} : JSON.parse(text);
      } catch {
        return { ok: false, error: invalidResponseError(this.#context(call, statusCode), 'not JSON') };
      }
      const parsed = call.schema.safeParse(json);
      if (parsed.success) return { ok: true, value: parsed.data, status: statusCode };
      const problems = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      return { ok: false, error: invalidResponseError(this.#context(call, statusCode), problems) };
    }
    return {
      ok: false,
      error: toApiError({
        method: call.method,
        path: call.path,
        route: call.route,
        status: statusCode,
        retryAfterHeader: responseHeaders['retry-after'],
        contentType: responseHeaders['content-type'],
        bodyText: text,
        secrets: this.#secrets(call),
      }),
    };
  }

  #secrets(call: SynapseCall<unknown>): (string | undefined)[] {
    return call.secrets === undefined ? [call.accessToken] : [call.accessToken, ...call.secrets];
  }

  #context(call: SynapseCall<unknown>, status: number) {
    return { method: call.method, path: call.path, status, secrets: this.#secrets(call) };
  }

  #log(event: Parameters<SynapseLogger>[0]): void {
    try {
      this.logger?.(event);
    } catch {
      // A logger must not break the call it reports on.
    }
  }
}
