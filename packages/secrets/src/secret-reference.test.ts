import { describe, expect, it } from 'vitest';
import { formatSecretReference, parseSecretReference } from './secret-reference.ts';
import { SecretsError } from './secrets-error.ts';

function failure(text: string): SecretsError {
  try {
    parseSecretReference(text);
  } catch (error) {
    return error as SecretsError;
  }
  throw new Error(`${text} parsed`);
}

describe('parseSecretReference', () => {
  it.each([
    ['ssm:/matrix/admin-token', { scheme: 'ssm', name: '/matrix/admin-token' }],
    ['k8s-secret:matrix/synapse-secrets#admin-token', { scheme: 'k8s-secret', namespace: 'matrix', name: 'synapse-secrets', key: 'admin-token' }],
    ['env:MATRIX_ADMIN_ACCESS_TOKEN', { scheme: 'env', variable: 'MATRIX_ADMIN_ACCESS_TOKEN' }],
    ['file:/run/secrets/shared', { scheme: 'file', path: '/run/secrets/shared' }],
    ['dotenv:../app/.env#MATRIX_ADMIN_ACCESS_TOKEN', { scheme: 'dotenv', path: '../app/.env', key: 'MATRIX_ADMIN_ACCESS_TOKEN' }],
  ])('parses %s and formats it back', (text, expected) => {
    expect(parseSecretReference(text)).toEqual(expected);
    expect(formatSecretReference(parseSecretReference(text))).toBe(text);
  });

  it.each([
    ['/matrix/token', 'no scheme', 'ssm:/matrix/admin-token'],
    ['vault:secret/x', 'unknown scheme', 'dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN'],
    ['ssm:', 'parameter name is empty', 'ssm:/matrix/admin-token'],
    ['ssm:/a b', 'only a-z', 'ssm:/matrix/admin-token'],
    ['ssm:matrix/token', 'must start with "/"', 'ssm:/matrix/admin-token'],
    ['k8s-secret:matrix/synapse', 'expected <namespace>/<secret name>#<key>', 'k8s-secret:matrix/synapse-secrets#admin-token'],
    ['k8s-secret:Matrix/synapse#k', 'not a DNS label', 'k8s-secret:'],
    ['k8s-secret:matrix/synapse#bad key', 'the key must be', 'k8s-secret:'],
    ['env:1ABC', 'not an environment variable name', 'env:MATRIX_ADMIN_ACCESS_TOKEN'],
    ['file:', 'path is empty', 'file:/run/secrets'],
    ['dotenv:.env', 'key is missing', 'dotenv:.env#'],
    ['dotenv:.env#bad-key', 'not a variable name', 'dotenv:.env#'],
  ])('rejects %s saying what is wrong and showing the right form', (text, problem, example) => {
    const error = failure(text);
    expect(error.code).toBe('invalid_reference');
    expect(error.message).toContain(problem);
    expect(error.nextSteps.join(' ')).toContain(example);
  });

  it.each([
    'env:postgres://user:Hunter2-in-a-url@db.example/app',
    'dotenv:.env#syt_Hunter2-pasted-token',
    'k8s-secret:syt_Hunter2-pasted-token',
    'k8s-secret:matrix/Hunter2-pasted#token',
    'vault:Hunter2-pasted-token',
  ])('rejects %s without repeating any of it (a malformed reference is often a pasted value)', (text) => {
    const error = failure(text);
    expect(error.code).toBe('invalid_reference');
    expect(error.message).toContain('Malformed secret reference');
    expect(`${error.message} ${error.nextSteps.join(' ')} ${String(error.reference)}`).not.toContain('Hunter2');
  });
});
