import { describe, expect, it } from 'vitest';
import { parseResetConfig } from './reset-config.ts';
import { isResetError, type ResetError } from '../reset-error.ts';
import { generateServiceToken, hashServiceToken, SERVICE_TOKEN_PATTERN, serviceTokenConfigSnippet } from '../service/service-tokens.ts';

const ENVIRONMENTS = `
version: 1
environments:
  dev:
    synapse: { url: http://127.0.0.1:8008, serverName: matrix.test }
    adminToken: [{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }]
    appDatabase: { url: env:DATABASE_URL, layout: openmeet }
  prod:
    synapse: { url: http://127.0.0.1:8009, serverName: matrix.test }
    adminToken: [{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }]
    appDatabase: { url: env:DATABASE_URL, layout: openmeet }
`;
const HASH = 'a'.repeat(64);
const PATH = '/srv/app/matrix-reset.yaml';

function parse(service: string) {
  return parseResetConfig(`${ENVIRONMENTS}service:\n${service}`, { path: PATH });
}

function errorOf(run: () => unknown): ResetError {
  try {
    run();
  } catch (error) {
    if (isResetError(error, 'config_invalid')) return error;
    throw error;
  }
  throw new Error('expected config_invalid');
}

describe('the service: section', () => {
  it('is optional', () => {
    expect(parseResetConfig(ENVIRONMENTS, { path: PATH }).service).toBeUndefined();
  });

  it('reads tokens, defaults the rest, and resolves sessionSecret against the file', () => {
    const config = parse(`  environment: prod\n  tokens:\n    - { name: openmeet-api, sha256: ${HASH}, scopes: [credentials:ensure, credentials:read] }\n  sessionSecret: file:session.key\n`);
    expect(config.service).toEqual({
      environment: 'prod',
      listen: { host: '127.0.0.1', port: 8080 },
      allowedHosts: [],
      tokens: [{ name: 'openmeet-api', sha256: HASH, scopes: ['credentials:ensure', 'credentials:read'] }],
      rateLimit: { perMinute: 600, burst: 60 },
      bodyLimitBytes: 65_536,
      drift: { maxAgeSeconds: 300 },
      databasePoolSize: 16,
      sessionSecret: 'file:/srv/app/session.key',
    });
    expect(Object.isFrozen(config.service?.tokens[0])).toBe(true);
  });

  it('reads allowedHosts, and refuses an entry with a scheme, a port or capitals', () => {
    const ok = parse(`  allowedHosts: [reset.example.org, '*.ops.example.org']\n  tokens:\n    - { name: a, sha256: ${HASH}, scopes: [read] }\n`);
    expect(ok.service?.allowedHosts).toEqual(['reset.example.org', '*.ops.example.org']);
    const error = errorOf(() => parse(`  allowedHosts: [https://reset.example.org, 'reset.example.org:443', Reset.Example.org]\n  tokens:\n    - { name: a, sha256: ${HASH}, scopes: [read] }\n`));
    for (const index of [0, 1, 2]) expect(error.message).toContain(`service.allowedHosts[${index}]: allowedHosts entries are lower-case host names without scheme or port`);
  });

  it('names an environment the file does not define', () => {
    expect(errorOf(() => parse(`  environment: staging\n  tokens:\n    - { name: a, sha256: ${HASH}, scopes: [read] }\n`)).message).toContain(
      `${PATH}:13:16: service.environment: no environment staging under environments: (it defines dev, prod)`,
    );
  });

  it('names the path of each problem: bad hash, unknown scope, pasted secret (never echoing it)', () => {
    const error = errorOf(() =>
      parse(
        [
          '  tokens:',
          `    - { name: a, sha256: ${HASH}, scopes: [read] }`,
          `    - { name: a, sha256: ${'b'.repeat(64)}, scopes: [admin] }`,
          '    - { name: c, sha256: mrs_not_a_hash, scopes: [read] }',
          '  sessionSecret: hunter2hunter2hunter2',
          '',
        ].join('\n'),
      ),
    );
    expect(error.message).toContain('service.tokens[1].scopes[0]: scopes are credentials:ensure, credentials:read, runs:write, read');
    expect(error.message).toContain('service.tokens[2].sha256: sha256 is the 64 lower-case hex digits');
    expect(error.message).toContain('service.sessionSecret: expected a reference');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('mrs_not_a_hash');
  });

  it('reports a duplicate token name and an empty token list', () => {
    expect(errorOf(() => parse(`  tokens:\n    - { name: a, sha256: ${HASH}, scopes: [read] }\n    - { name: a, sha256: ${'b'.repeat(64)}, scopes: [read] }\n`)).message).toContain(
      'service.tokens[1].name: token name a is used twice',
    );
    expect(errorOf(() => parse('  tokens: []\n')).message).toContain('service.tokens: add at least one token');
  });
});

describe('service tokens', () => {
  it('generates prefixed 256-bit tokens whose entry holds the SHA-256 only', () => {
    const { token, entry } = generateServiceToken({ name: 'ops', scopes: ['read', 'runs:write', 'read'] });
    expect(token.reveal()).toMatch(SERVICE_TOKEN_PATTERN);
    expect(String(token)).not.toContain(token.reveal());
    expect(entry).toEqual({ name: 'ops', sha256: hashServiceToken(token.reveal()), scopes: ['read', 'runs:write'] });
    expect(generateServiceToken({ name: 'ops', scopes: ['read'] }).token.reveal()).not.toBe(token.reveal());
    const snippet = serviceTokenConfigSnippet(entry);
    expect(snippet).not.toContain(token.reveal());
    expect(parseResetConfig(`${ENVIRONMENTS}${snippet}\n`, { path: PATH }).service?.tokens).toEqual([entry]);
  });
});
