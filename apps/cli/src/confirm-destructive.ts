import { createInterface } from 'node:readline/promises';
import { UsageError } from './usage-error.ts';

export interface ConfirmOptions {
  /** What is about to happen, shown before the prompt (e.g. "clear 1,204 stored Matrix credentials in dev"). */
  action: string;
  /** The name the operator must type (the environment's name). */
  expected: string;
  /** `--yes` given. */
  yes: boolean;
  /** The flag and variable to name when confirmation is impossible. */
  commandLine: string;
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Type-the-name confirmation for destructive commands: with `--yes` it passes; on a terminal the operator must type
 * the environment's name; without a terminal and without `--yes` it refuses (`confirmation_required`, exit 2).
 * Prompts go to stderr.
 *
 * @example
 * await confirmDestructive({ action: 'clear the stored credentials of dev', expected: 'dev', yes: flags.yes, commandLine: 'matrix-reset creds clear' });
 */
export async function confirmDestructive(options: ConfirmOptions): Promise<void> {
  if (options.yes) return;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  if (input.isTTY !== true) {
    throw new UsageError(`Refusing to ${options.action} without confirmation: stdin is not a terminal and --yes was not given`, {
        nextSteps: [
          `Check what would happen first: ${options.commandLine} --dry-run`,
          `Then confirm non-interactively: ${options.commandLine} --yes (or MATRIX_RESET_YES=1)`,
        ],
        code: 'confirmation_required',
      });
  }
  const rl = createInterface({ input, output, terminal: true });
  try {
    output.write(`About to ${options.action}.\n`);
    const answer = (await rl.question(`Type the environment name (${options.expected}) to continue: `)).trim();
    if (answer !== options.expected) {
      throw new UsageError(`Confirmation did not match: typed "${answer}", expected "${options.expected}"; nothing was changed`, {
          nextSteps: [`Run it again and type ${options.expected}, or pass --dry-run to only see what would happen`],
          code: 'confirmation_required',
        });
    }
  } finally {
    rl.close();
  }
}
