/**
 * One structured event per HTTP attempt. It carries the route template, never the concrete path, query, headers
 * or body, so it cannot carry tokens, passwords, the shared secret or user ids.
 */
export interface SynapseRequestEvent {
  /** `response`: an HTTP answer arrived; `network_error`: none did. */
  type: 'response' | 'network_error';
  method: string;
  /** Route template, e.g. `/_synapse/admin/v2/users/{userId}`. */
  route: string;
  /** HTTP status, absent for network errors. */
  status?: number;
  /** Matrix errcode of an error answer. */
  errcode?: string;
  /** Our stable error code, for failed attempts. */
  code?: string;
  durationMs: number;
  /** 1 for the first attempt. */
  attempt: number;
  /** Set when the client is about to retry after this attempt. */
  retryInMs?: number;
}

/**
 * Receives request events. Must not throw (exceptions from it are ignored).
 *
 * @example
 * ```ts
 * const logger: SynapseLogger = (event) => process.stderr.write(`${JSON.stringify(event)}\n`);
 * const client = createSynapseClient({ baseUrl: 'http://127.0.0.1:8008', logger });
 * ```
 */
export type SynapseLogger = (event: SynapseRequestEvent) => void;
