import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { configTemplate } from '@matrix-reset/reset-core';
import { BaseCommand } from '../base-command.ts';
import { Flags } from '@oclif/core';
import { everyFlagHasEnv } from '../env-flags.ts';
import { UsageError } from '../usage-error.ts';

/** `matrix-reset init`: write the commented configuration template, never over an existing file without --force. */
export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Write a commented matrix-reset.yaml to start from';
  static override description =
    'Writes the configuration template (every setting, commented, with secret references instead of values) to the ' +
    '--config path, matrix-reset.yaml by default. Refuses to overwrite an existing file unless --force is given.';
  static override examples = [
    { description: 'Start a configuration in the current directory', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Write it somewhere else', command: '<%= config.bin %> <%= command.id %> --config deploy/matrix-reset.yaml' },
    { description: 'Name the Kubernetes environment prod (namespace openmeet-prod)', command: '<%= config.bin %> <%= command.id %> --env prod' },
    { description: 'Replace an existing file', command: '<%= config.bin %> <%= command.id %> --force' },
  ];
  static override flags = everyFlagHasEnv({
    force: Flags.boolean({ default: false, char: 'f', env: 'MATRIX_RESET_FORCE', description: 'Overwrite the file if it exists' }),
  });

  override async run(): Promise<void> {
    const path = resolve(this.flags.config);
    try {
      await writeFile(path, configTemplate(this.flags.env === undefined ? {} : { environment: this.flags.env }), { flag: this.flags.force ? 'w' : 'wx', mode: 0o644 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new UsageError(`${path} already exists; init does not overwrite it`, {
          nextSteps: ['Edit the existing file, or pass --force to replace it with the template', 'Or write elsewhere: --config other.yaml'],
        });
      }
      throw error;
    }
    this.progress(`Wrote ${path}. Fill in your environments, then run: matrix-reset doctor --config ${this.flags.config}`);
    this.result({ path, written: true }, (r) => `${r.path}\n`);
  }
}
