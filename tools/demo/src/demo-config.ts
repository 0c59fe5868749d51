import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseResetConfig, resolveEnvironment, type EnvironmentConfig } from '@matrix-reset/reset-core';

/** kube-sim's `openmeet-dev` scenario, as the demo's configuration names it. */
export const NAMESPACE = 'openmeet-dev';
export const SERVER_NAME = 'matrix-local.openmeet.test';
export const SSM_TOKEN = '/openmeet/dev/matrix-admin-access-token';
export const SSM_USER = '/openmeet/dev/matrix-admin-user';

/**
 * Writes the `matrix-reset.yaml` of the sandbox's kube-sim openmeet-dev environment (the demo's, and the full-reset
 * benchmark's) to `path` and returns the environment it defines.
 *
 * @example
 * const env = writeDemoConfig('/tmp/demo/matrix-reset.yaml', { context: 'kube-sim', kubeconfig: process.env.KUBECONFIG! });
 */
export function writeDemoConfig(path: string, options: { context: string; kubeconfig: string }): EnvironmentConfig {
  const head = [
    '# Written by `matrix-reset demo` for the sandbox\'s kube-sim openmeet-dev scenario.',
    'version: 1',
    'environments:',
    '  openmeet-dev:',
    '    kubernetes:',
    `      context: ${options.context}`,
    `      kubeconfig: ${options.kubeconfig}`,
    `      namespace: ${NAMESPACE}`,
    '      statefulSet: matrix',
    '      restart: [{ kind: Deployment, name: openmeet-api }]',
    '    synapse:',
    '      portForward: { pod: matrix-0, port: 8008 }',
    `      serverName: ${SERVER_NAME}`,
    `      sharedSecret: "k8s-secret:${NAMESPACE}/matrix-secrets#SYNAPSE_REGISTRATION_SHARED_SECRET"`,
  ];
  return writeSandboxConfig(path, 'openmeet-dev', head, { namespace: NAMESPACE, ssmToken: SSM_TOKEN, ssmUser: SSM_USER });
}

/**
 * Writes a sandbox environment's `matrix-reset.yaml`: `head` (the file up to and including its synapse: section),
 * then what every sandbox environment shares (the admin token in SSM first, then in the API's Secret
 * `openmeet-api-secrets` of `admin.namespace`; the OpenMeet app database from DATABASE_URL). Returns the environment
 * `environment` it defines.
 *
 * @example
 * const env = writeSandboxConfig('/tmp/x/matrix-reset.yaml', 'dev', ['version: 1', 'environments:', '  dev:', '    synapse:', '      url: http://127.0.0.1:8008', '      serverName: x'], { namespace: 'dev', ssmToken: '/t', ssmUser: '/u' });
 */
export function writeSandboxConfig(path: string, environment: string, head: readonly string[], admin: { namespace: string; ssmToken: string; ssmUser: string }): EnvironmentConfig {
  const secret = `k8s-secret:${admin.namespace}/openmeet-api-secrets`;
  const yaml = [
    ...head,
    '    adminToken:',
    `      - { token: "ssm:${admin.ssmToken}", user: "ssm:${admin.ssmUser}" }`,
    `      - { token: "${secret}#MATRIX_ADMIN_ACCESS_TOKEN", user: "${secret}#MATRIX_ADMIN_USER" }`,
    '    appDatabase:',
    '      url: env:DATABASE_URL',
    '      layout: openmeet',
    '',
  ].join('\n');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, yaml);
  return resolveEnvironment(parseResetConfig(yaml, { path }), environment);
}
