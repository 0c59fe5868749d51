import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTemplate } from './config-template.ts';
import { loadResetConfig, parseResetConfig, resolveEnvironment } from './reset-config.ts';
import { isResetError, type ResetError } from '../reset-error.ts';

const VALID = `
version: 1
environments:
  dev:
    protected: true
    kubernetes:
      context: kube-sim
      namespace: openmeet-dev
      statefulSet: matrix
      restart: [{ kind: Deployment, name: openmeet-api }]
    synapse:
      url: http://127.0.0.1:8008/
      serverName: matrix-local.openmeet.test
      sharedSecret: file:secrets/shared
      adminUser: admin
    adminToken:
      - { token: ssm:/openmeet/dev/matrix-admin-access-token, user: ssm:/openmeet/dev/matrix-admin-user }
      - { token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN, user: dotenv:.env#MATRIX_ADMIN_USER }
    appDatabase:
      url: env:DATABASE_URL
      layout: openmeet
  local:
    synapse:
      url: http://127.0.0.1:8008
      serverName: matrix-local.openmeet.test
    adminToken: [{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }]
    appDatabase:
      url: env:DATABASE_URL
      layout:
        table: accounts
        keyColumn: handle
        columns: { userId: mx_user, accessToken: mx_token, deviceId: mx_device }
`;

const PATH = '/srv/app/matrix-reset.yaml';

function errorOf(run: () => unknown): ResetError {
  try {
    run();
  } catch (error) {
    if (isResetError(error)) return error;
    throw error;
  }
  throw new Error('expected a ResetError');
}

/** The valid file with one line replaced. */
function variant(from: string, to: string): string {
  if (!VALID.includes(from)) throw new Error(`fixture has no ${from}`);
  return VALID.replace(from, to);
}

describe('parseResetConfig', () => {
  it('reads a valid file into typed, frozen environments', () => {
    const config = parseResetConfig(VALID, { path: PATH });
    const dev = resolveEnvironment(config, 'dev');
    expect(dev.protected).toBe(true);
    expect(dev.kubernetes).toMatchObject({ context: 'kube-sim', namespace: 'openmeet-dev', workload: { kind: 'StatefulSet', name: 'matrix' }, workers: undefined, pvc: undefined });
    expect(dev.kubernetes?.restart).toEqual([{ kind: 'Deployment', name: 'openmeet-api' }]);
    expect(dev.synapse.url).toBe('http://127.0.0.1:8008');
    expect(dev.synapse.adminUserId).toBe('@admin:matrix-local.openmeet.test');
    expect(dev.synapse.homeserverConfig).toEqual({ pod: '/data/homeserver.yaml' });
    expect(dev.appDatabase.layout.name).toBe('openmeet');
    expect(Object.isFrozen(dev.adminToken[0])).toBe(true);
    expect(Object.isFrozen(config.environments)).toBe(true);
  });

  it('resolves relative file: and dotenv: references against the config directory', () => {
    const dev = resolveEnvironment(parseResetConfig(VALID, { path: PATH }), 'dev');
    expect(dev.synapse.sharedSecret).toBe('file:/srv/app/secrets/shared');
    expect(dev.adminToken[1]).toEqual({ token: 'dotenv:/srv/app/.env#MATRIX_ADMIN_ACCESS_TOKEN', user: 'dotenv:/srv/app/.env#MATRIX_ADMIN_USER' });
  });

  it('applies defaults: not protected, no Kubernetes, admin user "admin"', () => {
    const local = resolveEnvironment(parseResetConfig(VALID, { path: PATH }), 'local');
    expect(local.protected).toBe(false);
    expect(local.kubernetes).toBeUndefined();
    expect(local.synapse.adminUser).toBe('admin');
    expect(local.synapse.homeserverConfig).toBeUndefined();
  });

  it('turns a custom layout mapping into a checked credential layout', () => {
    const local = resolveEnvironment(parseResetConfig(VALID, { path: PATH }), 'local');
    expect(local.appDatabase.layout).toMatchObject({ table: 'accounts', keyColumn: 'handle', name: 'custom' });
  });

  it('names the file, line and column of a YAML syntax error', () => {
    const error = errorOf(() => parseResetConfig('version: 1\nenvironments:\n  dev: [unclosed\n', { path: PATH }));
    expect(error.code).toBe('config_invalid');
    expect(error.message).toMatch(/^\/srv\/app\/matrix-reset\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('refuses duplicate keys as a syntax error with the line', () => {
    const error = errorOf(() => parseResetConfig('version: 1\nversion: 1\n', { path: PATH }));
    expect(error.message).toMatch(/matrix-reset\.yaml:2:\d+: YAML syntax error/);
  });

  it('says which field is missing, by YAML path', () => {
    const error = errorOf(() => parseResetConfig(variant('      serverName: matrix-local.openmeet.test\n      sharedSecret', '      sharedSecret'), { path: PATH }));
    expect(error.message).toContain(`${PATH}:12:7: environments.dev.synapse.serverName: required`);
  });

  it('names a misspelt key', () => {
    const error = errorOf(() => parseResetConfig(variant('      namespace: openmeet-dev', '      namspace: openmeet-dev'), { path: PATH }));
    expect(error.message).toContain('environments.dev.kubernetes: unknown key "namspace"');
    expect(error.message).toContain('environments.dev.kubernetes.namespace: required');
  });

  it('refuses a wrong type with the path of the value', () => {
    const error = errorOf(() => parseResetConfig(variant('    protected: true', '    protected: yes please'), { path: PATH }));
    expect(error.message).toMatch(/environments\.dev\.protected: .*boolean/);
  });

  it('refuses an unsupported version', () => {
    const error = errorOf(() => parseResetConfig(variant('version: 1', 'version: 2'), { path: PATH }));
    expect(error.message).toContain('version: version must be 1');
  });

  it('refuses a literal secret where a reference is expected, without repeating it', () => {
    const secret = 'Sup3rS3cretSharedValue';
    const error = errorOf(() => parseResetConfig(variant('sharedSecret: file:secrets/shared', `sharedSecret: ${secret}`), { path: PATH }));
    expect(error.message).toContain('environments.dev.synapse.sharedSecret: expected a reference');
    expect(error.message).toMatch(/env:.*file:.*ssm:/);
    expect(error.message).not.toContain(secret);
  });

  it('refuses a database URL written in clear, without repeating it', () => {
    const url = 'postgres://app:hunter2@db/app';
    const error = errorOf(() => parseResetConfig(variant('      url: env:DATABASE_URL\n      layout: openmeet', `      url: ${url}\n      layout: openmeet`), { path: PATH }));
    expect(error.message).toContain('environments.dev.appDatabase.url: expected a reference');
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses a read-only store as an admin token target', () => {
    const error = errorOf(() =>
      parseResetConfig(variant('{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN, user: dotenv:.env#MATRIX_ADMIN_USER }', '{ token: env:MATRIX_ADMIN_ACCESS_TOKEN }'), { path: PATH }),
    );
    expect(error.message).toContain('environments.dev.adminToken[1].token: env: references are read-only');
  });

  it('passes on what is wrong with a malformed reference', () => {
    const error = errorOf(() => parseResetConfig(variant('ssm:/openmeet/dev/matrix-admin-access-token', 'ssm:openmeet/dev/x'), { path: PATH }));
    expect(error.message).toContain('environments.dev.adminToken[0].token: Malformed secret reference (ssm:): a hierarchical parameter name must start with "/"');
  });

  it('says what to write for an adminToken with no target, whatever its shape', () => {
    const targets = '    adminToken: [{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }]';
    for (const empty of ['    adminToken: []', '    adminToken: { targets: [] }', '    adminToken:']) {
      const error = errorOf(() => parseResetConfig(variant(targets, empty), { path: PATH }));
      expect(error.message).toContain(`${PATH}:26:`);
      expect(error.message).toContain('environments.local.adminToken:');
      expect(error.message).toContain('adminToken: [{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }]');
    }
  });

  it('says what to write for an empty admin token reference or a target without one', () => {
    const target = '[{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }]';
    const empty = errorOf(() => parseResetConfig(variant(target, '[{ token: "" }]'), { path: PATH }));
    expect(empty.message).toContain('environments.local.adminToken[0].token: is empty: write where the admin access token is kept');
    expect(empty.message).toContain('e.g. dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN');
    expect(empty.message).not.toContain('not the value itself');
    const missing = errorOf(() => parseResetConfig(variant(target, '[{}]'), { path: PATH }));
    expect(missing.message).toContain('environments.local.adminToken[0].token: required (expected string): write where this admin token is kept, e.g. { token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }');
  });

  it('keeps the file, line and column of every secret reference, by its path in the environment', () => {
    const dev = resolveEnvironment(parseResetConfig(VALID, { path: PATH }), 'dev');
    expect(dev.origin).toEqual({
      file: PATH,
      references: {
        'synapse.sharedSecret': `${PATH}:14:21`,
        'adminToken[0].token': `${PATH}:17:18`,
        'adminToken[0].user': `${PATH}:17:69`,
        'adminToken[1].token': `${PATH}:18:18`,
        'adminToken[1].user': `${PATH}:18:63`,
        'appDatabase.url': `${PATH}:20:12`,
      },
    });
  });

  it('reads synapse.database: overrides of homeserver.yaml, the password as a normalized reference with its line', () => {
    const text = variant('      adminUser: admin\n', '      adminUser: admin\n      database: { host: 127.0.0.1, port: 15432, user: reset, password: dotenv:.env#SYNAPSE_DB_PASSWORD }\n');
    const dev = resolveEnvironment(parseResetConfig(text, { path: PATH }), 'dev');
    expect(dev.synapse.database).toEqual({ url: undefined, host: '127.0.0.1', port: 15432, user: 'reset', password: 'dotenv:/srv/app/.env#SYNAPSE_DB_PASSWORD' });
    expect(dev.origin?.references['synapse.database.password']).toBe(`${PATH}:16:72`);
    expect(resolveEnvironment(parseResetConfig(VALID, { path: PATH }), 'dev').synapse.database).toBeUndefined();
  });

  it('reads synapse.database.url as a reference, refused alongside the fields it replaces', () => {
    const withUrl = variant('      adminUser: admin\n', '      adminUser: admin\n      database: { url: env:SYNAPSE_DATABASE_URL }\n');
    expect(resolveEnvironment(parseResetConfig(withUrl, { path: PATH }), 'dev').synapse.database?.url).toBe('env:SYNAPSE_DATABASE_URL');
    const both = variant('      adminUser: admin\n', '      adminUser: admin\n      database: { url: env:SYNAPSE_DATABASE_URL, host: db, password: env:PW }\n');
    expect(errorOf(() => parseResetConfig(both, { path: PATH })).message).toContain(
      `${PATH}:16:24: environments.dev.synapse.database.url: url gives the whole connection: leave out host, password, or give them without url`,
    );
  });

  it('refuses a password or URL of Synapse\'s database written in clear, without repeating it', () => {
    for (const field of ['password: hunter2-synapse', 'url: postgres://synapse:hunter2-synapse@db/synapse']) {
      const text = variant('      adminUser: admin\n', `      adminUser: admin\n      database:\n        ${field}\n`);
      const error = errorOf(() => parseResetConfig(text, { path: PATH }));
      expect(error.message).toContain(`${PATH}:17:`);
      expect(error.message).toMatch(/environments\.dev\.synapse\.database\.(password|url): expected a reference/);
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('requires exactly one of synapse.url and synapse.portForward', () => {
    const error = errorOf(() =>
      parseResetConfig(variant('      url: http://127.0.0.1:8008/', '      url: http://127.0.0.1:8008/\n      portForward: { pod: matrix-0 }'), { path: PATH }),
    );
    expect(error.message).toContain('environments.dev.synapse: give exactly one of url or portForward');
  });

  it('reads statefulSet: <name> as the short form of workload: { kind: StatefulSet, name }', () => {
    const short = resolveEnvironment(parseResetConfig(VALID, { path: PATH }), 'dev').kubernetes;
    const long = resolveEnvironment(parseResetConfig(variant('      statefulSet: matrix', '      workload: { kind: StatefulSet, name: matrix }'), { path: PATH }), 'dev').kubernetes;
    expect(short?.workload).toEqual({ kind: 'StatefulSet', name: 'matrix' });
    expect(long).toEqual(short);
    expect(Object.keys(long ?? {})).not.toContain('statefulSet');
  });

  it('reads a Deployment workload, its workers by label selector and a claim override', () => {
    const text = variant(
      '      statefulSet: matrix',
      '      workload: { kind: Deployment, name: matrix-synapse }\n      workers: { selector: "app.kubernetes.io/component=synapse-worker" }\n      pvc: matrix-synapse',
    );
    const kubernetes = resolveEnvironment(parseResetConfig(text, { path: PATH }), 'dev').kubernetes;
    expect(kubernetes?.workload).toEqual({ kind: 'Deployment', name: 'matrix-synapse' });
    expect(kubernetes?.workers).toEqual({ selector: 'app.kubernetes.io/component=synapse-worker' });
    expect(kubernetes?.pvc).toBe('matrix-synapse');
  });

  it('refuses statefulSet together with workload, naming the line of statefulSet', () => {
    const text = variant('      statefulSet: matrix', '      statefulSet: matrix\n      workload: { kind: Deployment, name: matrix-synapse }');
    const line = VALID.split('\n').findIndex((l) => l === '      statefulSet: matrix') + 1;
    const error = errorOf(() => parseResetConfig(text, { path: PATH }));
    expect(error.code).toBe('config_invalid');
    expect(error.message).toContain(`${PATH}:${line}:20: environments.dev.kubernetes.statefulSet: statefulSet: matrix is the short form of workload: { kind: StatefulSet, name: matrix }: give one of them, not both`);
  });

  it('refuses a kubernetes section naming no workload, at its line', () => {
    const error = errorOf(() => parseResetConfig(variant('      statefulSet: matrix\n', ''), { path: PATH }));
    const line = VALID.split('\n').findIndex((l) => l === '    kubernetes:') + 2;
    expect(error.message).toContain(`${PATH}:${line}:7: environments.dev.kubernetes: names no Synapse workload: add workload: { kind: Deployment, name: matrix-synapse } (or StatefulSet), or statefulSet: <name>`);
  });

  it('refuses a workload kind that is not StatefulSet or Deployment, and an empty workers selector', () => {
    const text = variant('      statefulSet: matrix', '      workload: { kind: deployment, name: matrix-synapse }\n      workers: { selector: " " }');
    const message = errorOf(() => parseResetConfig(text, { path: PATH })).message;
    expect(message).toContain('environments.dev.kubernetes.workload.kind: kind must be StatefulSet or Deployment (case-sensitive)');
    expect(message).toContain("environments.dev.kubernetes.workers.selector: selector: a label selector naming Synapse's worker Deployments and StatefulSets");
  });

  it('reads a port-forward without a pod (the workload\'s first ready pod)', () => {
    const text = variant('      url: http://127.0.0.1:8008/', '      portForward: { port: 8008 }');
    expect(resolveEnvironment(parseResetConfig(text, { path: PATH }), 'dev').synapse.portForward).toEqual({ pod: undefined, port: 8008 });
  });

  it('reports a bad custom layout with its path', () => {
    const error = errorOf(() => parseResetConfig(variant('keyColumn: handle', 'keyColumn: ""'), { path: PATH }));
    expect(error.message).toContain('environments.local.appDatabase.layout');
  });

  it('lists every problem, not only the first', () => {
    const text = variant('    protected: true', '    protected: 3').replace('statefulSet: matrix', 'statefulSet: Matrix_Bad');
    const lines = errorOf(() => parseResetConfig(text, { path: PATH })).message.split('\n');
    expect(lines.some((line) => line.includes('environments.dev.protected'))).toBe(true);
    expect(lines.some((line) => line.includes('environments.dev.kubernetes.statefulSet'))).toBe(true);
  });

  it('refuses an empty file with a path', () => {
    const error = errorOf(() => parseResetConfig('', { path: PATH }));
    expect(error.message).toContain(`${PATH}: version: required`);
  });
});

describe('resolveEnvironment', () => {
  it('lists the known environments for an unknown name', () => {
    const config = parseResetConfig(VALID, { path: PATH });
    const error = errorOf(() => resolveEnvironment(config, 'prod'));
    expect(error.code).toBe('environment_unknown');
    expect(error.message).toContain('dev, local');
  });

  it('does not treat inherited properties as environments', () => {
    const config = parseResetConfig(VALID, { path: PATH });
    expect(errorOf(() => resolveEnvironment(config, 'constructor')).code).toBe('environment_unknown');
  });
});

describe('loadResetConfig', () => {
  it('finds matrix-reset.yaml in the working directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reset-config-'));
    await writeFile(join(dir, 'matrix-reset.yaml'), VALID);
    const config = await loadResetConfig({ cwd: dir });
    expect(config.path).toBe(join(dir, 'matrix-reset.yaml'));
    expect(resolveEnvironment(config, 'dev').synapse.sharedSecret).toBe(`file:${join(dir, 'secrets/shared')}`);
  });

  it('reads a path relative to cwd', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reset-config-'));
    await mkdir(join(dir, 'ops'));
    await writeFile(join(dir, 'ops', 'reset.yaml'), VALID);
    const config = await loadResetConfig({ cwd: dir, path: 'ops/reset.yaml' });
    expect(config.path).toBe(join(dir, 'ops', 'reset.yaml'));
  });

  it('says config_not_found and how to create one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reset-config-'));
    const error = await loadResetConfig({ cwd: dir }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(isResetError(error, 'config_not_found')).toBe(true);
    expect((error as ResetError).nextSteps.join(' ')).toContain('matrix-reset init');
  });
});

describe('configTemplate', () => {
  it('is accepted by loadResetConfig', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reset-config-'));
    await writeFile(join(dir, 'matrix-reset.yaml'), configTemplate({ environment: 'staging' }));
    const config = await loadResetConfig({ cwd: dir });
    expect(Object.keys(config.environments)).toEqual(['local', 'staging']);
    const staging = resolveEnvironment(config, 'staging');
    expect(staging.kubernetes?.namespace).toBe('openmeet-staging');
    expect(staging.synapse.portForward).toEqual({ pod: undefined, port: 8008 });
    expect(staging.kubernetes?.workload).toEqual({ kind: 'StatefulSet', name: 'matrix' });
  });

  it('explains the reference schemes in comments', () => {
    expect(configTemplate()).toMatch(/# .*env:VARIABLE/);
  });

  it('yields one environment when it is called "local"', () => {
    const config = parseResetConfig(configTemplate({ environment: 'local' }), { path: PATH });
    expect(Object.keys(config.environments)).toEqual(['local']);
  });
});
