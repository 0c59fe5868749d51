import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sandboxStatus, stopSandboxIn } from './sandbox-control.ts';
import { SandboxError, isSandboxError } from './sandbox-error.ts';
import { ENV_FILE, RECORD_FILE, processAlive, readSandboxRecord, type SandboxRecord } from './sandbox-record.ts';
import { launchSupervisor } from './sandbox-supervisor.ts';
import { DEFAULT_SERVICES, SANDBOX_SERVICES, type SandboxService } from './sandbox-types.ts';

/** `<repo>/.sandbox/default`, from this file's place in the repository (tools/sandbox/src). */
export const DEFAULT_STATE_DIR = resolve(import.meta.dirname, '..', '..', '..', '.sandbox', 'default');

const HELP = `Usage: sandbox <command> [flags]

Starts real Synapse, Postgres and SSM (moto) on free loopback ports for tests and demos.

Commands:
  up       start the services in a background supervisor, write <state-dir>/sandbox.env and sandbox.json
  down     stop them and drop the sandbox's Postgres databases
  status   say what runs

Flags (each also read from an environment variable):
  --state-dir DIR        state directory (MATRIX_RESET_SANDBOX_STATE; default ${DEFAULT_STATE_DIR})
  --with SERVICE         up: also start SERVICE; repeatable or comma-separated (MATRIX_RESET_SANDBOX_WITH)
                         services: ${SANDBOX_SERVICES.join(', ')}; default: ${DEFAULT_SERVICES.join(', ')}
                         synapse-postgres = a third Synapse on its own database and role of the sandbox's
                         Postgres (server name matrix-pg.openmeet.test; exports SYNAPSE_POSTGRES_*), adds postgres
                         kube = kube-sim (needs root): exports KUBECONFIG and KUBE_SIM_FAULTS_URL, adds ssm
  --kube-scenario NAME   up, with kube: kube-sim's scenario (openmeet-dev, synapse-ananace: Synapse on the
                         sandbox's Postgres, synapse-ess: Synapse beside a Postgres pod; or a YAML file), or none
                         for an empty cluster (MATRIX_RESET_SANDBOX_KUBE_SCENARIO; default openmeet-dev)
  --synapse-db KIND      up: sqlite | postgres, for synapse and synapse-delegated (MATRIX_RESET_SANDBOX_SYNAPSE_DB;
                         default sqlite)
  --attach-to PID        up: stop everything when process PID exits (MATRIX_RESET_SANDBOX_ATTACH_TO)
  --json                 up/status: print JSON on stdout (MATRIX_RESET_SANDBOX_JSON=1)
  -h, --help             this help

Examples:
  sandbox up --with synapse-delegated && . .sandbox/default/sandbox.env
  sandbox up --json --state-dir /tmp/sb --synapse-db postgres --attach-to $$
  sandbox up --with synapse-postgres && . .sandbox/default/sandbox.env && curl "$SYNAPSE_POSTGRES_URL/health"
  sandbox up --with synapse-delegated --with kube && kubectl --kubeconfig .sandbox/default/kube/kubeconfig get pods -A
  sandbox up --with kube --kube-scenario none
  sandbox up --with kube --kube-scenario synapse-ess
  sandbox status --json
  sandbox down
`;

function badInput(message: string, fix: string): SandboxError {
  return new SandboxError({ code: 'BAD_INPUT', message, nextSteps: [fix, 'Run `sandbox --help` for the flags'] });
}

interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

type ParsedArgs =
  | { command: 'help' }
  | {
      command: 'up' | 'down' | 'status';
      stateDir: string;
      services: SandboxService[];
      synapseDb: 'sqlite' | 'postgres';
      kubeScenario: string;
      attachTo: number | undefined;
      json: boolean;
    };

function parse(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'state-dir': { type: 'string' },
        with: { type: 'string', multiple: true },
        'synapse-db': { type: 'string' },
        'kube-scenario': { type: 'string' },
        'attach-to': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw badInput((error as Error).message, 'Remove or correct that flag');
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') return { command: 'help' };
  if (command !== 'up' && command !== 'down' && command !== 'status') {
    throw badInput(`unknown command "${command}"`, 'Use one of: up, down, status');
  }
  if (positionals.length > 1) throw badInput(`unexpected argument "${positionals[1]}"`, 'Pass options as --flags');

  const stateDir = resolve(values['state-dir'] ?? env['MATRIX_RESET_SANDBOX_STATE'] ?? DEFAULT_STATE_DIR);
  const withList = (values.with ?? (env['MATRIX_RESET_SANDBOX_WITH'] ? [env['MATRIX_RESET_SANDBOX_WITH']] : []))
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
  for (const service of withList) {
    if (!SANDBOX_SERVICES.includes(service as SandboxService)) {
      throw badInput(`--with ${service}: no such service`, `Choose from: ${SANDBOX_SERVICES.join(', ')}`);
    }
  }
  const synapseDbRaw = values['synapse-db'] ?? env['MATRIX_RESET_SANDBOX_SYNAPSE_DB'] ?? 'sqlite';
  if (synapseDbRaw !== 'sqlite' && synapseDbRaw !== 'postgres') {
    throw badInput(`--synapse-db ${synapseDbRaw}: not a Synapse database kind`, 'Use --synapse-db sqlite or --synapse-db postgres');
  }
  const synapseDb: 'sqlite' | 'postgres' = synapseDbRaw;
  const kubeScenario = values['kube-scenario'] ?? env['MATRIX_RESET_SANDBOX_KUBE_SCENARIO'] ?? 'openmeet-dev';
  if (kubeScenario.trim() === '') throw badInput('--kube-scenario: empty', 'Pass a kube-sim scenario name (openmeet-dev), a YAML path, or none');
  const attachRaw = values['attach-to'] ?? env['MATRIX_RESET_SANDBOX_ATTACH_TO'];
  let attachTo: number | undefined;
  if (attachRaw !== undefined && attachRaw !== '') {
    attachTo = Number(attachRaw);
    if (!Number.isInteger(attachTo) || attachTo <= 0) throw badInput(`--attach-to ${attachRaw}: not a process id`, 'Pass a positive integer pid, e.g. --attach-to $$');
    if (!processAlive(attachTo)) throw badInput(`--attach-to ${attachRaw}: no such process`, 'Pass the pid of a running process');
  }
  const services = SANDBOX_SERVICES.filter((service) => DEFAULT_SERVICES.includes(service) || withList.includes(service));
  const json = values.json ?? env['MATRIX_RESET_SANDBOX_JSON'] === '1';
  return { command, stateDir, services, synapseDb, kubeScenario, attachTo, json };
}

function endpointRows(record: SandboxRecord): [string, string][] {
  const { endpoints } = record;
  const rows: [string, string][] = [];
  if (endpoints.synapse) rows.push(['synapse', `${endpoints.synapse.url}  (${endpoints.synapse.serverName})`]);
  if (endpoints.synapseDelegated) rows.push(['synapse-delegated', `${endpoints.synapseDelegated.url}  (${endpoints.synapseDelegated.serverName})`]);
  if (endpoints.synapsePostgres) {
    const { url, serverName, database } = endpoints.synapsePostgres;
    rows.push(['synapse-postgres', `${url}  (${serverName}, database ${database.name}, role ${database.role})`]);
  }
  if (endpoints.postgres) rows.push(['postgres', endpoints.postgres.url]);
  if (endpoints.ssm) rows.push(['ssm', `${endpoints.ssm.url}  (${endpoints.ssm.region})`]);
  if (endpoints.kube) rows.push(['kube', `${endpoints.kube.url}  (KUBECONFIG=${endpoints.kube.kubeconfig}, scenario ${endpoints.kube.scenario})`]);
  return rows;
}

/** `text` with the password of every `postgres://user:password@` URL replaced by `***` (stdout carries no secret). */
function redactUrlPasswords(text: string): string {
  return text.replace(/(postgres(?:ql)?:\/\/[^:@/\s"']+:)[^@\s"']+@/g, '$1***@');
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

/**
 * Runs the `sandbox` command line and returns its exit code (0 ok, 1 failure, 2 bad input). Never exits the
 * process itself.
 *
 * @example
 * process.exitCode = await runCli(['up', '--json'], { stdout: (t) => process.stdout.write(t),
 *   stderr: (t) => process.stderr.write(t), env: process.env });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const args = parse(argv, io.env);
    if (args.command === 'help') {
      io.stdout(HELP);
      return 0;
    }
    if (args.command === 'up') {
      const existing = await readSandboxRecord(args.stateDir);
      if (existing && processAlive(existing.ownerPid)) {
        throw new SandboxError({
          code: 'SANDBOX_ALREADY_RUNNING',
          message: `a sandbox already runs in ${args.stateDir} (owner pid ${existing.ownerPid})`,
          nextSteps: [`Run \`sandbox down --state-dir ${args.stateDir}\` first, or pass another --state-dir`],
        });
      }
      if (existing) await stopSandboxIn(args.stateDir);
      io.stderr(`sandbox: starting ${args.services.join(', ')} in ${args.stateDir}\n`);
      const record = await launchSupervisor({
        options: {
          stateDir: args.stateDir,
          services: args.services,
          synapse: { database: args.synapseDb },
          kube: { scenario: args.kubeScenario },
          provider: 'auto',
        },
        ...(args.attachTo === undefined ? {} : { attachTo: args.attachTo }),
      });
      if (args.json) io.stdout(redactUrlPasswords(`${JSON.stringify({ stateDir: record.stateDir, ownerPid: record.ownerPid, endpoints: record.endpoints, env: record.env }, null, 2)}\n`));
      else io.stdout(table([['SERVICE', 'ENDPOINT'], ...endpointRows(record)]));
      io.stderr(`sandbox: ready (supervisor pid ${record.ownerPid}); load the variables with: . ${join(args.stateDir, ENV_FILE)}\n`);
      return 0;
    }
    if (args.command === 'down') {
      const stopped = await stopSandboxIn(args.stateDir);
      io.stderr(stopped ? `sandbox: stopped the sandbox in ${args.stateDir}\n` : `sandbox: nothing runs in ${args.stateDir} (no ${RECORD_FILE})\n`);
      return 0;
    }
    const status = await sandboxStatus(args.stateDir);
    if (args.json) io.stdout(`${JSON.stringify(status, null, 2)}\n`);
    else if (status.services.length === 0) io.stdout(`no sandbox in ${args.stateDir}\n`);
    else {
      io.stdout(table([
        ['SERVICE', 'HEALTHY', 'ENDPOINT'],
        ...status.services.map((service): string[] => [service.service, service.healthy ? 'yes' : 'no', service.url]),
      ]));
      io.stderr(`sandbox: owner pid ${status.ownerPid} is ${status.running ? 'running' : 'gone'}\n`);
    }
    return 0;
  } catch (error) {
    if (!isSandboxError(error)) throw error;
    io.stderr(`sandbox: ${error.message}\n${error.nextSteps.map((step) => `  - ${step}\n`).join('')}`);
    return error.code === 'BAD_INPUT' ? 2 : 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`sandbox: unexpected failure (a bug):\n${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
