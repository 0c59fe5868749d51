import { createInterface } from 'node:readline/promises';
import { CONFIRM_ENVIRONMENT_ENV } from './flags.ts';
import { UsageError } from './usage-error.ts';

export interface ConfirmOptions {
  /** What is about to happen, shown before the prompt (e.g. "clear 1,204 stored Matrix credentials in dev"). */
  action: string;
  /** The name the operator must type (the environment's name). */
  expected: string;
  /** The environment is `protected: true`: `--yes` does not confirm it; typing its name (or `--confirm-environment`) does. */
  protected: boolean;
  /** `--yes` given. */
  yes: boolean;
  /** `--confirm-environment` given: the name typed ahead. */
  confirmEnvironment: string | undefined;
  /** The command line to show in next steps (without flags). */
  commandLine: string;
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: NodeJS.WritableStream & { isTTY?: boolean };
}

function refused(message: string, nextSteps: string[]): UsageError {
  return new UsageError(message, { nextSteps, code: 'confirmation_required' });
}

/**
 * Type-the-name confirmation for destructive commands. `--confirm-environment NAME` confirms when NAME is the
 * environment's name (and refuses when it is not). Otherwise: an unprotected environment passes with `--yes`; on a
 * terminal the operator must type the environment's name (for a protected environment even with `--yes`); without a
 * terminal it refuses (`confirmation_required`, exit 2), saying which flag confirms. Prompts go to stderr.
 *
 * @example
 * await confirmDestructive({ action: 'clear the stored credentials of dev', expected: 'dev', protected: false, yes: flags.yes, confirmEnvironment: undefined, commandLine: 'matrix-reset creds clear' });
 */
export async function confirmDestructive(options: ConfirmOptions): Promise<void> {
  const { expected, commandLine } = options;
  const byName = `${commandLine} --confirm-environment ${expected} (or ${CONFIRM_ENVIRONMENT_ENV}=${expected})`;
  if (options.confirmEnvironment !== undefined) {
    if (options.confirmEnvironment === expected) return;
    throw refused(`--confirm-environment names "${options.confirmEnvironment}", but this is environment "${expected}"; nothing was changed`, [
      `If you mean ${expected}: ${byName}`,
      `Otherwise pick the environment you meant with --env.`,
    ]);
  }
  if (options.yes && !options.protected) return;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  if (input.isTTY !== true) {
    if (options.protected) {
      throw refused(
        `Refusing to ${options.action}: ${expected} is a protected environment, and without a terminal only its name confirms it` +
          (options.yes ? ' (--yes is not enough)' : ''),
        [`Check what would happen first: ${commandLine} --dry-run`, `Then confirm by naming it: ${byName}`],
      );
    }
    throw refused(`Refusing to ${options.action} without confirmation: stdin is not a terminal and --yes was not given`, [
      `Check what would happen first: ${commandLine} --dry-run`,
      `Then confirm non-interactively: ${commandLine} --yes (or MATRIX_RESET_YES=1), or ${byName}`,
    ]);
  }
  const rl = createInterface({ input, output, terminal: true });
  try {
    output.write(`About to ${options.action}.\n`);
    if (options.protected && options.yes) output.write(`${expected} is a protected environment: --yes does not confirm it.\n`);
    const answer = (await rl.question(`Type the environment name (${expected}) to continue: `)).trim();
    if (answer !== expected) {
      throw refused(`Confirmation did not match: typed "${answer.slice(0, 64)}", expected "${expected}"; nothing was changed`, [
        `Run it again and type ${expected}, or pass --dry-run to only see what would happen`,
      ]);
    }
  } finally {
    rl.close();
  }
}

/** The flags that confirm: `--yes` and `--confirm-environment` (the changing commands that confirm have both). */
export interface ConfirmFlags {
  readonly yes: boolean;
  readonly 'confirm-environment': string | undefined;
}

/** What reset-core asks before it changes anything: the environment, the summary, and (apply, rollback) whether it is protected. */
export interface ConfirmRequest {
  readonly environment: string;
  readonly summary: string;
  readonly protected?: boolean;
}

/**
 * The `confirm` option of a destructive reset-core call, answered from the command's flags (or a prompt on a
 * terminal) by {@link confirmDestructive}. `commandLine` names the command to repeat in next steps; `protected` is the
 * environment's setting where the request does not carry it (the creds operations).
 *
 * @example
 * await applyPlan(plan, connection, { confirm: confirmFromFlags(this.flags, { commandLine: (env) => `matrix-reset apply dev.plan.json --env ${env}`, action: (s) => `apply the ${s}` }) });
 */
export function confirmFromFlags(
  flags: ConfirmFlags,
  options: { commandLine: (environment: string) => string; protected?: boolean; action?: (summary: string) => string },
): (request: ConfirmRequest) => Promise<void> {
  return (request) => {
    const isProtected = request.protected ?? options.protected;
    if (isProtected === undefined) throw new Error(`bug: no protected setting for the confirmation of ${request.environment}`);
    return confirmDestructive({
      action: options.action === undefined ? request.summary : options.action(request.summary),
      expected: request.environment,
      protected: isProtected,
      yes: flags.yes,
      confirmEnvironment: flags['confirm-environment'],
      commandLine: options.commandLine(request.environment),
    });
  };
}
