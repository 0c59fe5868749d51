import { describe, expect, it } from 'vitest';
import { mergeConfig, renderSynapseConfig } from './synapse-config.ts';

const base = {
  serverName: 'matrix-local.openmeet.test',
  port: 8008,
  dataDir: '/tmp/s',
  database: { kind: 'sqlite' as const, file: '/tmp/s/homeserver.db' },
  logConfigFile: '/tmp/s/log.yaml',
  registrationSharedSecretFile: '/tmp/s/registration-shared-secret',
};

describe('renderSynapseConfig', () => {
  it('sets no rc_* rate limit unless the caller overrides one', () => {
    expect(Object.keys(renderSynapseConfig(base)).filter((key) => key.startsWith('rc_'))).toEqual([]);
  });

  it('merges extraConfig over the rendered config', () => {
    const config = renderSynapseConfig({ ...base, extraConfig: { rc_login: { address: { per_second: 10, burst_count: 50 } }, bcrypt_rounds: 5 } });
    expect(config['rc_login']).toEqual({ address: { per_second: 10, burst_count: 50 } });
    expect(config['bcrypt_rounds']).toBe(5);
  });

  it('enables server notices, sent by a local system user', () => {
    expect(renderSynapseConfig(base)['server_notices']).toEqual({ system_mxid_localpart: 'server-notices', system_mxid_display_name: 'Server notices' });
  });

  it('points registration at the secret file, never at an inline secret', () => {
    const config = renderSynapseConfig(base);
    expect(config['registration_shared_secret_path']).toBe('/tmp/s/registration-shared-secret');
    expect(config).not.toHaveProperty('registration_shared_secret');
  });

  it('in delegated mode enables the auth service and drops shared-secret registration', () => {
    const { registrationSharedSecretFile: _drop, ...rest } = base;
    const config = renderSynapseConfig({ ...rest, delegatedAuth: { endpoint: 'http://127.0.0.1:9/', secretFile: '/tmp/s/mas' } });
    expect(config['matrix_authentication_service']).toEqual({ enabled: true, endpoint: 'http://127.0.0.1:9/', secret_path: '/tmp/s/mas' });
    expect(config).not.toHaveProperty('registration_shared_secret_path');
  });
});

describe('mergeConfig', () => {
  it('deletes a key given null and leaves its inputs untouched', () => {
    const input = { a: { b: 1, c: 2 } };
    expect(mergeConfig(input, { a: { c: null } })).toEqual({ a: { b: 1 } });
    expect(input).toEqual({ a: { b: 1, c: 2 } });
  });
});
