import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  const yaml = [
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
    '    adminToken:',
    `      - { token: "ssm:${SSM_TOKEN}", user: "ssm:${SSM_USER}" }`,
    `      - { token: "k8s-secret:${NAMESPACE}/openmeet-api-secrets#MATRIX_ADMIN_ACCESS_TOKEN", user: "k8s-secret:${NAMESPACE}/openmeet-api-secrets#MATRIX_ADMIN_USER" }`,
    '    appDatabase:',
    '      url: env:DATABASE_URL',
    '      layout: openmeet',
    '',
  ].join('\n');
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, yaml);
  return resolveEnvironment(parseResetConfig(yaml, { path }), 'openmeet-dev');
}
