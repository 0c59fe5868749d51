import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EnsureCredentialsError, ResetError, type EnsureCredentialsFailure, type ResetErrorCode } from '@matrix-reset/reset-core';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUSES, errorStatus } from './error-statuses.ts';
import { ApiError, toApiError } from './http-errors.ts';

/** Every ResetErrorCode, once: the compiler refuses this object when reset-core adds, drops or renames a code. */
const RESET_ERROR_CODES: Readonly<Record<ResetErrorCode, true>> = {
  config_not_found: true,
  config_invalid: true,
  environment_unknown: true,
  delegated_auth: true,
  stale_plan: true,
  rolled_back: true,
  locked: true,
  confirmation_required: true,
  step_failed: true,
  drift_found: true,
  plan_not_found: true,
  run_not_found: true,
  app_user_not_found: true,
  matrix_user_deactivated: true,
  user_id_unknown: true,
  schema_required: true,
  schema_not_in_layout: true,
  write_contended: true,
  database_unavailable: true,
  database_in_use: true,
  environment_incapable: true,
  unsupported: true,
};
const resetCodes = Object.keys(RESET_ERROR_CODES) as ResetErrorCode[];

const ENSURE_REASONS: Readonly<Record<EnsureCredentialsFailure, true>> = {
  app_user_not_found: true,
  matrix_user_deactivated: true,
  user_id_unknown: true,
  schema_required: true,
  schema_not_in_layout: true,
  write_contended: true,
};

/** A library's typed error as synapse-admin, secrets or user-creds throw it: a string code and nextSteps. */
class LibraryError extends Error {
  readonly code: string;
  readonly nextSteps: readonly string[];

  constructor(code: string, nextSteps: readonly string[] = ['do this']) {
    super(`library failed: ${code}`);
    this.code = code;
    this.nextSteps = nextSteps;
  }
}

describe('the one table from error codes to HTTP answers', () => {
  it('holds every ResetErrorCode exactly once, and otherwise only upstream_ codes', () => {
    const keys = Object.keys(ERROR_STATUSES);
    expect(keys.filter((key) => !key.startsWith('upstream_')).sort()).toEqual([...resetCodes].sort());
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(resetCodes)('answers a ResetError %s with its code, message, next steps, and the status and Retry-After of the table', (code) => {
    const answer = toApiError(new ResetError(code, `it failed: ${code}`, { nextSteps: ['try this'] }));
    expect(answer).toMatchObject({ status: ERROR_STATUSES[code].status, code, message: `it failed: ${code}`, nextSteps: ['try this'] });
    const retryAfter = ERROR_STATUSES[code].retryAfterSeconds;
    expect(answer.headers['Retry-After']).toBe(retryAfter === undefined ? undefined : String(retryAfter));
  });

  it.each(Object.keys(ENSURE_REASONS) as EnsureCredentialsFailure[])('answers EnsureCredentialsError %s exactly as a ResetError of that code', (reason) => {
    const ensure = toApiError(new EnsureCredentialsError({ reason, schema: 'tenant_a', appUserKey: '7', message: 'refused', nextSteps: ['n'] }));
    const reset = toApiError(new ResetError(reason, 'refused', { nextSteps: ['n'] }));
    expect({ status: ensure.status, code: ensure.code, headers: ensure.headers }).toEqual({ status: reset.status, code: reset.code, headers: reset.headers });
  });

  it('answers the run lock 409 with Retry-After, a missing confirmation 428, and a busy provisioning queue 503 with Retry-After', () => {
    expect(errorStatus('locked')).toEqual({ status: 409, retryAfterSeconds: 5 });
    expect(errorStatus('confirmation_required')).toEqual({ status: 428 });
    expect(errorStatus('write_contended')).toEqual({ status: 503, retryAfterSeconds: 2 });
  });

  it("answers a library's typed error as upstream_<code>: unreachable 503 with Retry-After, the admin token 502 saying it is the service's, anything else 502", () => {
    const unreachable = toApiError(new LibraryError('connection_refused'));
    expect(unreachable).toMatchObject({ status: 503, code: 'upstream_connection_refused', headers: { 'Retry-After': '2' } });
    const adminToken = toApiError(new LibraryError('unknown_token'), { adminToken: { references: ['env:ADMIN'], environment: 'dev', configPath: 'm.yaml' } });
    expect(adminToken).toMatchObject({ status: 502, code: 'upstream_unknown_token', headers: {} });
    expect(adminToken.message).toContain("the service's admin token");
    expect(adminToken.nextSteps.join(' ')).toContain('env:ADMIN (environments.dev.adminToken in m.yaml)');
    const other = toApiError(new LibraryError('forbidden'));
    expect(other).toMatchObject({ status: 502, code: 'upstream_forbidden', headers: {}, nextSteps: ['do this'] });
  });

  it("keeps the service's own ApiError as it is", () => {
    const own = new ApiError(429, 'too_many_streams', 'Too many', { headers: { 'Retry-After': '10' } });
    expect(toApiError(own)).toBe(own);
  });

  it('is the only mapping: no other source file answers a reset-core code with a status of its own', async () => {
    const root = import.meta.dirname;
    const files = (await readdir(root, { recursive: true })).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.startsWith('test-support'));
    expect(files.length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const file of files) {
      if (file === 'error-statuses.ts') continue;
      const text = await readFile(join(root, file), 'utf8');
      // `new ApiError(404, 'run_not_found', ...)`: a status chosen for a reset-core code outside the table.
      for (const match of text.matchAll(/new ApiError\(\s*\d{3}\s*,\s*'([a-z_]+)'/g)) if (match[1]! in RESET_ERROR_CODES) offenders.push(`${file}: ${match[0]}`);
      // A second table keyed by the codes: typed as one, or a literal giving a code a 4xx/5xx status.
      if (/Record<\s*ResetErrorCode|Record<\s*EnsureCredentialsError\[/.test(text)) offenders.push(`${file}: a table keyed by ResetErrorCode`);
      for (const match of text.matchAll(/\b([a-z_]+)\s*:\s*[45]\d\d\b/g)) if (match[1]! in RESET_ERROR_CODES) offenders.push(`${file}: ${match[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});
