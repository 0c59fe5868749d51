import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { K8sOpsError, toK8sOpsError } from './k8s-ops-error.ts';

const status = (code: number, reason: string, message: string) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

describe('toK8sOpsError', () => {
  it('names the missing verb, resource and namespace on a 403', () => {
    const raw = new ApiException(403, 'Forbidden', status(403, 'Forbidden', 'secrets "x" is forbidden'), {});
    const error = toK8sOpsError(raw, { verb: 'patch', resource: 'secrets', namespace: 'openmeet-dev', name: 'x' }) as K8sOpsError;
    expect(error).toBeInstanceOf(K8sOpsError);
    expect(error.code).toBe('forbidden');
    expect(error.message).toContain('cannot patch secrets/x in namespace openmeet-dev');
    expect(error.nextSteps.join('\n')).toContain('the verb "patch" on "secrets" in namespace "openmeet-dev"');
  });
  it('reads Retry-After on a 429', () => {
    const raw = new ApiException(429, 'Too Many Requests', status(429, 'TooManyRequests', 'slow down'), { 'retry-after': '2' });
    const error = toK8sOpsError(raw, { verb: 'get', resource: 'pods', namespace: 'ns' }) as K8sOpsError;
    expect(error.code).toBe('throttled');
    expect(error.retryAfterMs).toBe(2000);
  });
  it('maps 404 and 409 to not_found and conflict with the server reason', () => {
    const notFound = toK8sOpsError(new ApiException(404, 'x', status(404, 'NotFound', 'nope'), {}), { verb: 'get', resource: 'pods' }) as K8sOpsError;
    expect([notFound.code, notFound.reason]).toEqual(['not_found', 'NotFound']);
    const conflict = toK8sOpsError(new ApiException(409, 'x', status(409, 'Conflict', 'modified'), {}), { verb: 'update', resource: 'leases' }) as K8sOpsError;
    expect([conflict.code, conflict.reason]).toEqual(['conflict', 'Conflict']);
  });
  it('leaves an unrecognised error alone: a bug keeps its stack', () => {
    const bug = new TypeError('undefined is not a function');
    expect(toK8sOpsError(bug, { verb: 'get', resource: 'pods' })).toBe(bug);
  });
});
