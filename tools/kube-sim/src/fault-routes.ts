import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FailRule, FaultEffect, FaultInjector, RequestMatch } from './fault-injection.ts';
import { record } from './kube-object.ts';

/** The URL path of the fault-injection endpoint (under the API server's URL, same bearer token). */
export const FAULTS_PATH = '/_kube-sim/faults';

/**
 * What `POST /_kube-sim/faults` accepts: exactly one of these shapes.
 * - a {@link FailRule} (`{verb?, resource?, namespace?, name?, times?, effect}`): fail the next matching requests;
 * - `{deny: RequestMatch}`: RBAC-shaped 403 for every matching request until cleared;
 * - `{slowTermination: {namespace, name, delayMs}}`: a pod takes that much longer to terminate;
 * - `{dropWatches: true}`: end every open watch now and drop the watch history (clients relist on 410).
 */
export type FaultRequest =
  | FailRule
  | { deny: RequestMatch }
  | { slowTermination: { namespace: string; name: string; delayMs: number } }
  | { dropWatches: true };

class BadFault extends Error {}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new BadFault(`${field} must be a non-empty string`);
  return value;
}

function requestMatch(body: Record<string, unknown>): RequestMatch {
  const match: RequestMatch = {};
  for (const field of ['verb', 'resource', 'namespace', 'name'] as const) {
    const value = optionalString(body, field);
    if (value !== undefined) match[field] = value;
  }
  return match;
}

function effectOf(value: unknown): FaultEffect {
  const effect = record(value);
  if (effect['kind'] === 'drop-connection') return { kind: 'drop-connection' };
  if (effect['kind'] !== 'status') throw new BadFault('effect.kind must be "status" or "drop-connection"');
  const code = effect['code'];
  if (code !== 409 && code !== 429 && code !== 500 && code !== 503) throw new BadFault('effect.code must be one of 409, 429, 500, 503');
  const message = optionalString(effect, 'message');
  const retryAfter = effect['retryAfterSeconds'];
  if (retryAfter !== undefined && (typeof retryAfter !== 'number' || !Number.isInteger(retryAfter) || retryAfter < 0)) {
    throw new BadFault('effect.retryAfterSeconds must be a non-negative integer');
  }
  return { kind: 'status', code, ...(message === undefined ? {} : { message }), ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }) };
}

/**
 * Parses a `POST /_kube-sim/faults` body and applies it; returns which fault it set.
 *
 * @example
 * applyFaultRequest(faults, { verb: 'update', resource: 'statefulsets/scale', effect: { kind: 'status', code: 409 } }); // "failNext"
 */
export function applyFaultRequest(faults: FaultInjector, input: unknown): 'failNext' | 'deny' | 'slowTermination' | 'dropWatches' {
  const body = record(input);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new BadFault('the body must be a JSON object');
  if ('deny' in body) {
    faults.deny(requestMatch(record(body['deny'])));
    return 'deny';
  }
  if ('slowTermination' in body) {
    const slow = record(body['slowTermination']);
    const namespace = optionalString(slow, 'namespace');
    const name = optionalString(slow, 'name');
    const delayMs = slow['delayMs'];
    if (namespace === undefined || name === undefined || typeof delayMs !== 'number' || delayMs < 0) {
      throw new BadFault('slowTermination needs {namespace, name, delayMs >= 0}');
    }
    faults.slowTermination({ namespace, name, delayMs });
    return 'slowTermination';
  }
  if ('dropWatches' in body) {
    if (body['dropWatches'] !== true) throw new BadFault('dropWatches must be true');
    faults.dropWatches();
    return 'dropWatches';
  }
  if (!('effect' in body)) throw new BadFault('expected a fail rule ({..., effect}), {deny}, {slowTermination} or {dropWatches: true}');
  const times = body['times'];
  if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 1)) throw new BadFault('times must be a positive integer');
  faults.failNext({ ...requestMatch(body), ...(times === undefined ? {} : { times }), effect: effectOf(body['effect']) });
  return 'failNext';
}

function reply(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/**
 * The API server's admin route for fault injection over HTTP (`POST` adds a fault, `DELETE` clears all).
 * The server has already checked the bearer token. Answers JSON: `{"applied": "failNext"}`, `{"cleared": true}`,
 * or a `Status` 400/405.
 *
 * @example
 * createApiServer({ ..., adminRoute: faultsRoute(faults) });
 */
export function faultsRoute(faults: FaultInjector): (request: IncomingMessage, response: ServerResponse, body: string) => Promise<boolean> {
  return (request, response, body) => {
    const path = new URL(request.url ?? '/', 'https://localhost').pathname.replace(/\/+$/, '');
    if (path !== FAULTS_PATH) return Promise.resolve(false);
    const failure = (code: number, reason: string, message: string): void =>
      reply(response, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
    if (request.method === 'DELETE') {
      faults.clear();
      reply(response, 200, { cleared: true });
    } else if (request.method === 'POST') {
      try {
        reply(response, 200, { applied: applyFaultRequest(faults, JSON.parse(body === '' ? 'null' : body)) });
      } catch (error) {
        if (!(error instanceof BadFault) && !(error instanceof SyntaxError)) throw error;
        failure(400, 'BadRequest', `invalid fault: ${error.message}`);
      }
    } else failure(405, 'MethodNotAllowed', `${FAULTS_PATH} takes POST (add a fault) or DELETE (clear all)`);
    return Promise.resolve(true);
  };
}
