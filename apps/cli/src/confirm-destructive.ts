import { createInterface } from 'node:readline/promises';
import { Flags } from '@oclif/core';
import { UsageError } from './usage-error.ts';

/** The environment variable of `--confirm-environment`. */
export const CONFIRM_ENVIRONMENT_ENV = 'MATRIX_RESET_CONFIRM_ENVIRONMENT';

/**
 * `--confirm-environment NAME` (`MATRIX_RESET_CONFIRM_ENVIRONMENT`): the environment's name typed ahead, for commands
 * that confirm. The only way to confirm a protected environment without a terminal (`--yes` is not enough there).
 *
 * @example
 * static override flags = everyFlagHasEnv({ 'confirm-environment': confirmEnvironmentFlag() });
 */
export function confirmEnvironmentFlag() {
  return Flags.string({
    env: CONFIRM_ENVIRONMENT_ENV,
    description: 'The environment\'s name, typed ahead: confirms without a prompt. Required (instead of --yes) for a protected environment when stdin is not a terminal',
  });
}

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
