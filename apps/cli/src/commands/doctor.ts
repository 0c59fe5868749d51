import { Flags } from '@oclif/core';
import { connectEnvironment, doctor } from '@matrix-reset/reset-core';
import { BaseCommand } from '../base-command.ts';
import { everyFlagHasEnv } from '../env-flags.ts';
import { doctorCounts } from '../progress/progress-adapters.ts';
import { renderDoctorReport } from '../render/doctor.ts';
import { EXIT } from '../render-error.ts';
import { withConnection } from '../with-connection.ts';

/** `matrix-reset doctor`: measure the drift between the app's stored credentials and Synapse; exit 3 on drift. */
export default class Doctor extends BaseCommand<typeof Doctor> {
  static override summary = 'Measure how far the stored Matrix credentials have drifted from Synapse';
  static override description =
    'Reads the configured environment without changing anything: checks the stored tokens (all, or an evenly spaced ' +
    'sample) against Synapse with whoami, or, where Synapse keeps its data in Postgres, against its own tables ' +
    '(--evidence), looks up the users whose token is dead, and recommends the smallest repair. ' +
    "It also says where Synapse keeps its data (homeserver.yaml) and, for Postgres, connects to that database read-only " +
    '(synapse.database in the config says how to reach it from here) to report its server, size, owner, encoding, ' +
    "collation, the role's rights, its sessions, Synapse's schema version and the other databases on the server. " +
    'Exit 0: nothing to do; 3: drift found (repair, full reset or restore-admin recommended); 1: inconclusive or failed; ' +
    '2: the config is wrong, a configured secret that cannot be read included (a variable not set, a key missing from a .env).';
  static override examples = [
    { description: 'Check every stored token of the only environment', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'A quick estimate for dev, as JSON', command: '<%= config.bin %> <%= command.id %> --env dev --sample 200 --json' },
    { description: 'Use it in a script', command: '<%= config.bin %> <%= command.id %> --env dev; [ $? -eq 3 ] && echo "drift found"' },
  ];
  static override flags = everyFlagHasEnv({
    sample: Flags.integer({ env: 'MATRIX_RESET_SAMPLE', description: 'Check only about this many stored tokens, evenly spaced (default: all)', min: 1 }),
    concurrency: Flags.integer({ env: 'MATRIX_RESET_CONCURRENCY', description: 'whoami calls in flight at once', default: 32, min: 1, max: 256 }),
    evidence: Flags.string({
      env: 'MATRIX_RESET_EVIDENCE',
      options: ['auto', 'database', 'api'],
      default: 'auto',
      description: "database: classify against Synapse's own tables (no load on it); api: whoami per token; auto: the database where configured and answering, else the API",
    }),
    'cross-check': Flags.integer({ env: 'MATRIX_RESET_CROSS_CHECK', description: 'With database evidence: also check this many random tokens with whoami and report disagreements', min: 0 }),
  });

  override async run(): Promise<void> {
    const report = await withConnection(this.flags, connectEnvironment, (connection, onProgress) =>
      doctor(connection.environment, connection, {
        ...(this.flags.sample === undefined ? {} : { sample: this.flags.sample }),
        concurrency: this.flags.concurrency,
        evidence: this.flags.evidence as 'auto' | 'database' | 'api',
        ...(this.flags['cross-check'] === undefined ? {} : { crossCheck: this.flags['cross-check'] }),
        onProgress: doctorCounts(onProgress),
        checkSecrets: true,
        storage: true,
      }),
    );
    this.result(report, renderDoctorReport);
    const action = report.recommendation.action;
    if (action === 'repair' || action === 'full-reset' || action === 'restore-admin') process.exitCode = EXIT.drift;
    else if (action === 'inconclusive') process.exitCode = EXIT.failed;
  }
}
