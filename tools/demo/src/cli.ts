import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runDemo } from './demo.ts';
import { DEMO_SHAPES, type DemoShapeName } from './demo-shape.ts';
import { renderDemoSummary } from './demo-summary-text.ts';

const USAGE = `usage: node --conditions=@matrix-reset/source tools/demo/src/cli.ts [--shape sqlite|postgres] [--keep] [--json] [--state-dir DIR]

The demo \`matrix-reset demo\` runs (this is its entry point): starts a sandbox of its own with kube-sim's openmeet-dev
scenario, wipes Synapse's volume and repairs everything with doctor, plan, apply and verify; then repairs a few
logged-out tokens without wiping anything. With --shape postgres the same story runs on kube-sim's synapse-ananace
(Synapse and a worker as Deployments, its database on the sandbox's Postgres): the incident wipes that database, and
the full reset renames it to <database>__mr_<run id> and makes a fresh one. Summary on stdout, progress on stderr.

  --shape SHAPE     Synapse's deployment: ${DEMO_SHAPES.join(' or ')}, default sqlite (env MATRIX_RESET_DEMO_SHAPE)
  --keep            leave the sandbox running afterwards (env MATRIX_RESET_DEMO_KEEP)
  --state-dir DIR   sandbox state directory, default <repository>/.sandbox/demo (env MATRIX_RESET_DEMO_STATE)
  --json            print the summary as JSON on stdout, and nothing else (env MATRIX_RESET_JSON)
`;

/** Exit codes, as matrix-reset's: 0 done, 1 failed, 2 bad usage or configuration. */
const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
const USAGE_CODES = new Set(['usage', 'confirmation_required', 'environment_unknown']);

interface ExpectedFailure {
  readonly code: string;
  readonly message: string;
  readonly nextSteps: readonly string[];
}

export interface DemoCliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Runs the demo as `matrix-reset demo` does and prints what it prints; resolves to the exit code. */
export async function runDemoCli(argv: readonly string[], io: DemoCliIo): Promise<number> {
  const truthy = (name: string) => ['1', 'true', 'y', 'yes'].includes((io.env[name] ?? '').toLowerCase());
  const json = argv.includes('--json') || truthy('MATRIX_RESET_JSON');
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { shape: { type: 'string' }, keep: { type: 'boolean' }, json: { type: 'boolean' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help === true) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    const stateDir = values['state-dir'] ?? (io.env['MATRIX_RESET_DEMO_STATE'] || undefined);
    const shape = values.shape ?? (io.env['MATRIX_RESET_DEMO_SHAPE'] || 'sqlite');
    if (!isShape(shape)) throw new UsageError(`--shape ${shape}: not a shape of the demo`, `Use --shape ${DEMO_SHAPES.join(' or --shape ')}`);
    const summary = await runDemo({
      shape,
      keep: values.keep ?? truthy('MATRIX_RESET_DEMO_KEEP'),
      ...(stateDir === undefined ? {} : { stateDir }),
      onProgress: (message) => io.stderr(message + '\n'),
    });
    io.stdout(json ? JSON.stringify(summary, null, 2) + '\n' : renderDemoSummary(summary));
    return summary.scenarios.some((s) => s.run.state !== 'finished' || s.verify?.ok === false) ? EXIT.failed : EXIT.ok;
  } catch (error) {
    const failure = expectedFailure(error);
    if (failure === undefined) {
      io.stderr('bug: matrix-reset demo failed unexpectedly; please report this with the trace below.\n');
      io.stderr(`${error instanceof Error ? (error.stack ?? String(error)) : String(error)}\n`);
      if (json) io.stdout(JSON.stringify({ error: { code: 'bug', message: error instanceof Error ? error.message : String(error), nextSteps: [], exitCode: EXIT.failed } }, null, 2) + '\n');
      return EXIT.failed;
    }
    const exitCode = USAGE_CODES.has(failure.code) || failure.code.startsWith('config_') ? EXIT.usage : EXIT.failed;
    if (json) io.stdout(JSON.stringify({ error: { ...failure, exitCode } }, null, 2) + '\n');
    else io.stderr([`error[${failure.code}]: ${failure.message}`, ...(failure.nextSteps.length === 0 ? [] : ['', 'Next steps:', ...failure.nextSteps.map((step) => `  - ${step}`)])].join('\n') + '\n');
    return exitCode;
  }
}

function isShape(name: string): name is DemoShapeName {
  return (DEMO_SHAPES as readonly string[]).includes(name);
}

/** A bad flag value: exit 2, as a parse error. */
class UsageError extends Error {
  readonly code = 'usage';
  readonly nextSteps: readonly string[];
  constructor(message: string, fix: string) {
    super(message);
    this.nextSteps = [fix, 'See matrix-reset demo --help for the flags and examples'];
  }
}

/** An error with a string `code` and `nextSteps` (ResetError, the libraries' errors), or a bad command line. */
function expectedFailure(error: unknown): ExpectedFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, nextSteps } = error as Error & { code?: unknown; nextSteps?: unknown };
  if (typeof code === 'string' && Array.isArray(nextSteps)) return { code, message: error.message, nextSteps: nextSteps.map(String) };
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) return { code: 'usage', message: error.message, nextSteps: ['See matrix-reset demo --help for the flags and examples'] };
  return undefined;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  void runDemoCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  }).then((code) => {
    process.exitCode = code;
  });
}
