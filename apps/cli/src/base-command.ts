import { Command, type Interfaces } from '@oclif/core';
import { CHANGING_FLAGS, GLOBAL_FLAGS } from './flags.ts';
import { EXIT, expectedFailure, exitCodeOf, failureJson, formatFailure } from './render-error.ts';

export type GlobalFlags<T extends typeof Command> = Interfaces.InferredFlags<T['baseFlags'] & T['flags']>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/**
 * What every matrix-reset command shares: the global flags (`--config`, `--env`, `--json`, each with its
 * environment variable), flag parsing before `run`, output helpers that keep stdout for results, and error
 * rendering. A command's `run` reads `this.flags`, calls one reset-core function and renders what it returns.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = GLOBAL_FLAGS;

  protected flags!: GlobalFlags<T>;
  protected args!: CommandArgs<T>;

  override async init(): Promise<void> {
    await super.init();
    const { flags, args } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as GlobalFlags<T>;
    this.args = args as CommandArgs<T>;
  }

  /** True when the result goes out as JSON (`--json` or `MATRIX_RESET_JSON`), even before the flags are parsed. */
  protected wantsJson(): boolean {
    if (this.flags !== undefined) return this.flags.json === true;
    const env = process.env.MATRIX_RESET_JSON?.toLowerCase();
    return this.argv.includes('--json') || env === 'true' || env === '1' || env === 'yes';
  }

  /** A result on stdout: `value` as JSON with --json, else the text `render` makes of it. */
  protected result<V>(value: V, render: (value: V) => string): void {
    process.stdout.write(this.wantsJson() ? JSON.stringify(value, null, 2) + '\n' : render(value));
  }

  /** Progress and notes, on stderr (never on stdout, so results stay pipeable). */
  protected progress(message: string): void {
    process.stderr.write(message + '\n');
  }

  /**
   * Expected failures (a `code` and `nextSteps`, or an oclif parse error) print `error[<code>]: <message>` and the
   * next steps on stderr, or a JSON error object on stdout with --json; exit 2 for usage/config, 1 otherwise.
   * Anything else is a bug: its stack on stderr, exit 1.
   */
  override async catch(error: Error & { exitCode?: number }): Promise<void> {
    const failure = expectedFailure(error, this.id);
    if (failure === undefined) {
      process.exitCode = EXIT.failed;
      process.stderr.write(`bug: matrix-reset ${this.id?.replaceAll(':', ' ') ?? ''} failed unexpectedly; please report this with the trace below.\n`);
      process.stderr.write(`${error.stack ?? String(error)}\n`);
      if (this.wantsJson()) {
        process.stdout.write(JSON.stringify({ error: { code: 'bug', message: error.message, nextSteps: [], exitCode: EXIT.failed } }, null, 2) + '\n');
      }
      return;
    }
    const exitCode = exitCodeOf(failure);
    process.exitCode = exitCode;
    if (this.wantsJson()) {
      process.stdout.write(JSON.stringify(failureJson(failure, exitCode), null, 2) + '\n');
    } else {
      process.stderr.write(formatFailure(failure));
    }
  }
}

/**
 * A command that changes something: adds `--yes` (`MATRIX_RESET_YES`) and `--dry-run` (`MATRIX_RESET_DRY_RUN`).
 */
export abstract class ChangingCommand<T extends typeof Command> extends BaseCommand<T> {
  static override baseFlags = { ...GLOBAL_FLAGS, ...CHANGING_FLAGS };
}
