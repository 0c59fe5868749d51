import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { registerWithScript, uniqueName } from './test-support/helpers.ts';

// Runs against the shared sandbox from the Vitest global setup (or the one `sandbox up` exported).
const env = process.env;

describe('the sandbox Synapse', () => {
  it('registers a user with the real register_new_matrix_user script, who can then log in over HTTP', async () => {
    const user = uniqueName('sbuser');
    const password = `pw-${uniqueName('')}`;
    const { code, output } = await registerWithScript({ configFile: env['SYNAPSE_CONFIG_FILE']!, url: env['SYNAPSE_URL']!, user, password });
    expect(code, output).toBe(0);
    expect(output).toContain('Success!');
    const response = await request(`${env['SYNAPSE_URL']}/_matrix/client/v3/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password }),
    });
    const body = (await response.body.json()) as { user_id: string; access_token: string };
    expect(response.statusCode).toBe(200);
    expect(body.user_id).toBe(`@${user}:${env['SYNAPSE_SERVER_NAME']}`);
    expect(body.access_token).toMatch(/^syt_/);
  });
});

describe('the delegated-auth Synapse', () => {
  const url = (): string => env['SYNAPSE_DELEGATED_URL']!;

  it('answers GET /_synapse/admin/v1/register with JSON 404 M_UNRECOGNIZED', async () => {
    const response = await fetch(`${url()}/_synapse/admin/v1/register`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { errcode: string }).errcode).toBe('M_UNRECOGNIZED');
  });

  it('does not serve password login: GET /_matrix/client/v3/login is 404 M_UNRECOGNIZED', async () => {
    const response = await fetch(`${url()}/_matrix/client/v3/login`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { errcode: string }).errcode).toBe('M_UNRECOGNIZED');
  });

  it('announces the auth service on /_matrix/client/v1/auth_metadata', async () => {
    const response = await fetch(`${url()}/_matrix/client/v1/auth_metadata`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { issuer: string }).issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });
});
