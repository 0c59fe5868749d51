import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareServiceSandbox, psql, unique, type FixtureTokenName, type ServiceSandbox } from './test-support/service-fixture.ts';
import { spawnServiceProcess, type ServiceProcess } from './test-support/service-process.ts';

// schemathesis (PyPI, pinned in apps/http/fuzz/, installed by scripts/setup) fuzzes the service's own
// GET /openapi.json with every check it has (`--checks all`): the examples, coverage, fuzzing and stateful phases,
// at most 50 cases an operation, a fixed seed, once per kind of token. No operation and no check is excluded;
// apps/http/fuzz/schemathesis.toml widens what positive_data_acceptance accepts for three operations, saying why.
// The service runs on the shared sandbox, so what the stateful phase can start must stay inside this test:
// - the environment's name is this test's own (its journal, plans, runs and lock are too) and it has no Kubernetes
//   target, so a full-reset plan is refused (422) and nothing is ever scaled, deleted or restarted;
// - the one input left out: a restore-admin plan (apps/http/fuzz/schemathesis-hooks.py says why: its runs log in to
//   the shared Synapse's admin with a password, spending the per-address login rate limit every test shares);
//   the test checks from the service's log that only repair plans were stored;
// - repair runs and credential provisioning touch only this test's tenant and its own new Matrix users.
// The token bucket is opened wide only so that the run measures the API rather than 429s (the limit has its own tests).

const MAX_EXAMPLES = 50;
const SEED = 1;
const HOOKS = fileURLToPath(new URL('../fuzz/schemathesis-hooks.py', import.meta.url));
/** The run's settings: no cache, the token from the environment, and the two per-operation expectations with their reasons. */
const CONFIG = fileURLToPath(new URL('../fuzz/schemathesis.toml', import.meta.url));

/** The two kinds of caller: every scope (credentials:ensure and :read, runs:write, read), and read only. */
const TOKEN_KINDS: readonly FixtureTokenName[] = ['all', 'ops'];

interface JsonReport {
  schemathesis_version: string;
  exit_code: number;
  operations: { selected: number; tested: number };
  test_cases: { generated: number };
  failures: { code: string; title: string; operations: string[] }[];
  errors: unknown[];
}

/** The path of the venv's `st`: scripts/setup installs it and exports MATRIX_RESET_SCHEMATHESIS_VENV. */
function schemathesisBin(): string {
  const venv = process.env.MATRIX_RESET_SCHEMATHESIS_VENV?.trim();
  if (venv === undefined || venv === '') throw new Error('MATRIX_RESET_SCHEMATHESIS_VENV is not set: source scripts/setup first (it installs the pinned schemathesis)');
  return join(venv, 'bin', 'st');
}

/** Where the reports go: under the test command's results directory when there is one, else a temporary one. */
async function reportDir(kind: string): Promise<string> {
  const results = process.env.MATRIX_RESET_TEST_RESULTS;
  const dir = results === undefined || results === '' ? await mkdtemp(join(tmpdir(), `schemathesis-${kind}-`)) : join(results, 'schemathesis', kind);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Every `<testcase>` of a JUnit report that failed: its operation and the failure text (checks, response, curl). */
function junitFailures(xml: string): { operation: string; text: string }[] {
  const unescape = (text: string) =>
    text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code))).replace(/&amp;/g, '&');
  return [...xml.matchAll(/<testcase name="([^"]*)"[^>]*>\s*<(?:failure|error)[^>]*>([\s\S]*?)<\/(?:failure|error)>/g)].map((match) => ({
    operation: unescape(match[1] ?? ''),
    text: unescape(match[2] ?? ''),
  }));
}

/**
 * Runs `st run <url>/openapi.json` in a fresh working directory (no crash cache or example database carried over
 * from an earlier run). The token reaches schemathesis only through its environment: the config file names
 * `${MATRIX_RESET_FUZZ_TOKEN}` for the document's `bearer` scheme, so no argument holds it.
 */
async function runSchemathesis(url: string, token: string, kind: string): Promise<{ exitCode: number | null; output: string; report: JsonReport; failures: { operation: string; text: string }[]; dir: string }> {
  const dir = await reportDir(kind);
  const work = await mkdtemp(join(tmpdir(), 'schemathesis-work-'));
  const configFile = join(work, 'schemathesis.toml');
  await writeFile(configFile, `hooks = ${JSON.stringify(HOOKS)}\n${await readFile(CONFIG, 'utf8')}`);
  const args = [
    '--config-file', configFile,
    'run', `${url}/openapi.json`,
    '--checks', 'all',
    '--max-examples', String(MAX_EXAMPLES),
    '--seed', String(SEED),
    '--continue-on-failure',
    '--request-timeout', '10',
    '--report', 'junit,json',
    '--report-junit-path', join(dir, 'junit.xml'),
    '--report-json-path', join(dir, 'report.json'),
    '--no-color',
  ];
  const child = spawn(schemathesisBin(), args, { cwd: work, env: { ...process.env, MATRIX_RESET_FUZZ_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  const output = chunks.join('');
  await writeFile(join(dir, 'output.txt'), output);
  const files = await readdir(dir);
  if (!files.includes('report.json') || !files.includes('junit.xml')) throw new Error(`schemathesis exited ${String(exitCode)} without its reports:\n${output}`);
  const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as JsonReport;
  const failures = junitFailures(await readFile(join(dir, 'junit.xml'), 'utf8'));
  return { exitCode, output, report, failures, dir };
}

describe('schemathesis against GET /openapi.json', () => {
  let sandbox: ServiceSandbox;
  let service: ServiceProcess;

  beforeAll(async () => {
    sandbox = await prepareServiceSandbox({ environment: `fuzz${unique()}`, serviceYaml: ['  rateLimit: { perMinute: 1000000, burst: 100000 }'] });
    // App users 1..50 (the document's example appUserId is 42), so that ensuring credentials also takes its
    // provisioning path (a new Matrix user, a minted token) and not only 404; their slugs are this test's own.
    const suffix = unique();
    await psql(`INSERT INTO "${sandbox.schema}".users (slug) SELECT 'fuzz${suffix}u' || n FROM generate_series(1, 50) AS n`);
    service = await spawnServiceProcess(sandbox);
  });

  afterAll(async () => {
    await service?.stop();
  });

  it.each(TOKEN_KINDS)('finds no failure with every check, %s token, 50 cases an operation', async (kind) => {
    const run = await runSchemathesis(service.url, sandbox.tokens[kind], kind);
    const redact = (text: string) => sandbox.secrets.reduce((scrubbed, secret) => scrubbed.split(secret).join('[redacted]'), text);
    // schemathesis prints the header as `Authorization: [Filtered]`; nothing it or the service wrote holds a secret
    // (counted, so that a failure does not print the secret it found).
    const written = run.output + JSON.stringify(run.report) + run.failures.map((failure) => failure.text).join('') + service.output();
    expect(sandbox.secrets.filter((secret) => written.includes(secret)).length, 'secrets in the output of schemathesis or the service').toBe(0);
    const planModes = service.logEntries().filter((entry) => entry.msg === 'plan stored').map((entry) => entry.mode);
    expect(planModes.filter((mode) => mode !== 'repair'), 'only repair plans were stored (see the header)').toEqual([]);
    expect(run.report.schemathesis_version).toBe('4.32.5');
    expect(run.report.operations.tested, 'every operation of the document was tested').toBe(run.report.operations.selected);

    const summary = run.report.failures.map((failure) => `${failure.code} ${failure.title}: ${failure.operations.join(', ')}`);
    const details = run.failures.map((failure) => `--- ${failure.operation}\n${redact(failure.text)}`).join('\n\n');
    expect(summary, `schemathesis found failures (reports in ${run.dir}):\n${details}`).toEqual([]);
    expect(run.report.errors, redact(run.output)).toEqual([]);
    expect(run.exitCode, redact(run.output)).toBe(0);
  }, 240_000);
});
