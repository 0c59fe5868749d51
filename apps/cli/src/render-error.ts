import { Errors } from '@oclif/core';

/** Exit codes of every command (documented in the README). */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, drift: 3 });

/** An expected failure as the CLI shows it: what happened and what to do. */
export interface ExpectedFailure {
  code: string;
  message: string;
  nextSteps: readonly string[];
}

/** Codes that mean "the command line or the configuration is wrong": exit 2. */
const USAGE_CODES = new Set(['usage', 'confirmation_required', 'environment_unknown']);

/**
 * The expected failure in `error`, or undefined for a bug. Expected are: any error carrying a string `code` and a
 * `nextSteps` array (ResetError, and the libraries' typed errors passing through reset-core), and oclif's own
 * parse errors (unknown flag, bad flag value, missing argument), which become `usage`.
 */
export function expectedFailure(error: unknown, commandId: string | undefined): ExpectedFailure | undefined {
  if (error instanceof Error) {
    const { code, nextSteps } = error as Error & { code?: unknown; nextSteps?: unknown };
    if (typeof code === 'string' && Array.isArray(nextSteps)) {
      return { code, message: error.message, nextSteps: nextSteps.map(String) };
    }
    if (error instanceof Errors.CLIError && error.oclif?.exit === 2) {
      const help = commandId === undefined ? 'matrix-reset --help' : `matrix-reset ${commandId.replaceAll(':', ' ')} --help`;
      return { code: 'usage', message: plainMessage(error), nextSteps: [`See ${help} for the flags and examples`] };
    }
  }
  return undefined;
}

/** Exit code of an expected failure: 2 for bad usage or configuration (`usage`, `confirmation_required`,
 * `environment_unknown`, `config_*`), else 1. */
export function exitCodeOf(failure: ExpectedFailure): number {
  return USAGE_CODES.has(failure.code) || failure.code.startsWith('config_') ? EXIT.usage : EXIT.failed;
}

/** `error[<code>]: <message>` and the next steps, for stderr. */
export function formatFailure(failure: ExpectedFailure): string {
  const lines = [`error[${failure.code}]: ${failure.message}`];
  if (failure.nextSteps.length > 0) {
    lines.push('', 'Next steps:', ...failure.nextSteps.map((step) => `  - ${step}`));
  }
  return lines.join('\n') + '\n';
}

/** The JSON error object printed on stdout with --json. */
export function failureJson(failure: ExpectedFailure, exitCode: number): { error: ExpectedFailure & { exitCode: number } } {
  return { error: { code: failure.code, message: failure.message, nextSteps: failure.nextSteps, exitCode } };
}

function plainMessage(error: Error): string {
  // oclif's parser messages can span several lines ("See more help with --help"): keep the first paragraph.
  // Missing required flags come as "The following error occurred:\n  Missing required flag x": keep the reason.
  const first = error.message.split('\nSee more help with')[0]?.trim() ?? error.message;
  return first.replace(/^The following errors? occurred:\s*/, '').replace(/\n\s+/g, '; ');
}
