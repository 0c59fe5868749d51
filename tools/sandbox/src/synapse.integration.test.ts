import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { synapseVenv } from './synapse-process.ts';
import { uniqueName } from './test-support/helpers.ts';

// Runs against the shared sandbox from the Vitest global setup (or the one `sandbox up` exported).
const env = process.env;

describe('the sandbox Synapse', () => {
  it('registers a user with the real register_new_matrix_user script, who can then log in over HTTP', async () => {
    const user = uniqueName('sbuser');
    const password = `pw-${uniqueName('')}`;
    // The password goes in on stdin (the script's getpass prompt), never in argv. `detached` puts the script in
    // its own session without a controlling terminal, so getpass reads stdin instead of opening /dev/tty.
    const script = spawn(
      `${synapseVenv()}/bin/register_new_matrix_user`,
      ['-c', env['SYNAPSE_CONFIG_FILE']!, '-u', user, '--no-admin', env['SYNAPSE_URL']!],
      { detached: true, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 },
    );
    let output = '';
    script.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    script.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    script.stdin.end(`${password}\n${password}\n`);
    const exitCode = await new Promise<number | null>((resolve) => script.on('close', resolve));
    expect(exitCode, output).toBe(0);
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
