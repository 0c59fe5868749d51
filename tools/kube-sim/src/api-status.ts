import type { ResourceType } from './resource-types.ts';

/** A Kubernetes `Status` failure, thrown by the store and turned into the HTTP answer by the server. */
export class ApiStatusError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: Record<string, unknown> | undefined;
  /** Seconds, sent as `Retry-After` (429 and some 5xx). */
  readonly retryAfterSeconds: number | undefined;

  constructor(options: { code: number; reason: string; message: string; details?: Record<string, unknown>; retryAfterSeconds?: number }) {
    super(options.message);
    this.name = 'ApiStatusError';
    this.code = options.code;
    this.reason = options.reason;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The JSON body a real API server sends. */
  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details === undefined ? {} : { details: this.details }),
      code: this.code,
    };
  }
}

/** `statefulsets.apps` or `pods` as a real server names a resource in messages. */
export function qualifiedResource(resource: Pick<ResourceType, 'plural' | 'group'>): string {
  return resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`;
}

function kindDetails(resource: ResourceType, name: string): Record<string, unknown> {
  return { name, ...(resource.group === '' ? {} : { group: resource.group }), kind: resource.plural };
}

/**
 * The 404 a real server answers, e.g. `statefulsets.apps "matrix" not found`.
 *
 * @example
 * throw notFound(stsType, 'matrix');
 */
export function notFound(resource: ResourceType, name: string): ApiStatusError {
  return new ApiStatusError({
    code: 404,
    reason: 'NotFound',
    message: `${qualifiedResource(resource)} "${name}" not found`,
    details: kindDetails(resource, name),
  });
}

/** 409 AlreadyExists: `secrets "x" already exists`. */
export function alreadyExists(resource: ResourceType, name: string): ApiStatusError {
  return new ApiStatusError({
    code: 409,
    reason: 'AlreadyExists',
    message: `${qualifiedResource(resource)} "${name}" already exists`,
    details: kindDetails(resource, name),
  });
}

/** 409 Conflict on a stale resourceVersion, with the exact message a real server uses. */
export function conflict(resource: ResourceType, name: string): ApiStatusError {
  return new ApiStatusError({
    code: 409,
    reason: 'Conflict',
    message:
      `Operation cannot be fulfilled on ${qualifiedResource(resource)} "${name}": ` +
      'the object has been modified; please apply your changes to the latest version and try again',
    details: kindDetails(resource, name),
  });
}

/** 422 Invalid: `StatefulSet.apps "matrix" is invalid: spec.replicas: Invalid value: -1: must be ...`. */
export function invalid(resource: ResourceType, name: string, causes: { field: string; message: string }[]): ApiStatusError {
  const kind = resource.group === '' ? resource.kind : `${resource.kind}.${resource.group}`;
  return new ApiStatusError({
    code: 422,
    reason: 'Invalid',
    message: `${kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
    details: {
      ...kindDetails(resource, name),
      kind: resource.kind,
      causes: causes.map((c) => ({ reason: 'FieldValueInvalid', message: c.message, field: c.field })),
    },
  });
}

/** 400 BadRequest. */
export function badRequest(message: string): ApiStatusError {
  return new ApiStatusError({ code: 400, reason: 'BadRequest', message });
}

/**
 * 403 in the RBAC shape: `pods "x" is forbidden: User "u" cannot delete resource "pods" in API group "" in the
 * namespace "ns"`.
 */
export function forbidden(options: { resource: ResourceType; verb: string; name?: string; namespace?: string; user: string }): ApiStatusError {
  const { resource, verb, name, namespace, user } = options;
  const subject = name === undefined ? qualifiedResource(resource) : `${qualifiedResource(resource)} "${name}"`;
  const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  return new ApiStatusError({
    code: 403,
    reason: 'Forbidden',
    message: `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource.plural}" in API group "${resource.group}" ${scope}`,
    details: { ...(name === undefined ? {} : { name }), ...(resource.group === '' ? {} : { group: resource.group }), kind: resource.plural },
  });
}

/** 410 Expired for a watch or continue token that is too old. */
export function expired(message: string): ApiStatusError {
  return new ApiStatusError({ code: 410, reason: 'Expired', message });
}
