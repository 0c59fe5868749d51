import { parseArgs } from 'node:util';
import { runDoctorBench } from './doctor-bench.ts';
import { mixDescription, runDoctorDatabaseBench } from './doctor-database-bench.ts';
import { runFullResetBench, type Timing } from './full-reset-bench.ts';
import { FULL_RESET_SHAPES, type FullResetShapeName } from './full-reset-shapes.ts';
import { HTTP_ENSURE_USAGE, httpEnsureCommand } from './http-ensure-bench.ts';
import { runSynapseDatabaseBench } from './synapse-database-bench.ts';
import { runWhoamiBench } from './synapse-whoami-bench.ts';
import { RECOMMENDED_HEAP_FLAGS, runUserCredsBench } from './user-creds-bench.ts';

const usage = `usage: bench <name> [options]

benchmarks:
  synapse-whoami   validate real tokens with the synapse-admin client vs autocannon on whoami, one run
                   --tokens N (10000)  --concurrency N (32)  --rounds N (3)  --json
  user-creds       batched clear vs the runbook's UPDATE, snapshot vs CREATE TABLE AS, stream memory, on an
                   openmeet layout in a database of its own, one run
                   --tenants N (10)  --rows N per tenant (100000)  --batch-size N (10000)  --rounds N (3)  --json
  doctor           reset-core doctor() over real stored credentials (openmeet layout, a database of its own) vs
                   autocannon on whoami with the same tokens, one run; doctor's peak RSS in a fresh child
                   --credentials N (10000)  --concurrency N (32)  --rounds N (3)  --json
                   --heap-flags="V8 FLAGS" (repeatable: one more doctor child and CLI run with those node flags)
  doctor-database  reset-core doctor() with database evidence (Synapse's users and access_tokens) over rows generated
                   straight into a real Synapse-on-Postgres schema and an openmeet layout, in a known mix of classes,
                   plus real minted tokens; beside the API path on an evenly spaced sample and a whoami cross-check,
                   one run; each doctor in a fresh child, its RSS and HTTP requests counted
                   --credentials N (1000000)  --minted N (1000)  --api-sample N (10000)  --cross-check N (1000)
                   --rounds N (1)  --json
  full-reset       the runbook's full reset applied step by step on the demo's sandbox (kube-sim openmeet-dev, a
                   real Synapse pod), a fresh incident each round: per step wall time, own time (this process's
                   CPU) and waiting (wall - own); medians over the rounds. --shape ananace (kube-sim synapse-ananace:
                   Deployment and worker, the database on the sandbox's Postgres) or ess (synapse-ess: StatefulSet
                   beside its own Postgres) times the Postgres reset instead (the database renamed and made again)
                   --shape sqlite|ananace|ess (sqlite)  --rounds N (3)  --users N per tenant, 3 tenants (10)  --json
  synapse-database a Postgres-backed Synapse's database of about --size-mb (a Synapse-like schema, generated on the
                   Postgres in DATABASE_URL): backup + an empty database in its place by rename + create vs pg_dump +
                   empty, and back (drop + rename vs pg_restore), one run
                   --size-mb N (1024)  --json
${HTTP_ENSURE_USAGE}

synapse-whoami and doctor use the Synapse in SYNAPSE_URL / SYNAPSE_SHARED_SECRET_FILE (a running sandbox) or start
one; user-creds and doctor use the Postgres in DATABASE_URL or start a sandbox Postgres; doctor-database uses the
sandbox's SYNAPSE_POSTGRES_* and DATABASE_URL (sandbox up --with synapse-postgres) or starts such a sandbox;
full-reset always starts its own sandbox (with kube-sim, which needs root) and stops it.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'user-creds') return userCreds(rest);
  if (name === 'doctor') return doctorBench(rest);
  if (name === 'doctor-database') return doctorDatabaseBench(rest);
  if (name === 'full-reset') return fullResetBench(rest);
  if (name === 'http-ensure') return httpEnsureCommand(rest);
  if (name === 'synapse-database') return synapseDatabaseBench(rest);
  if (name !== 'synapse-whoami') {
    process.stderr.write(`${name ? `unknown benchmark '${name}'\n` : ''}${usage}\n`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      tokens: { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '32' },
      rounds: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    },
  });
  const num = (flag: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} takes a positive whole number, not '${value}'`);
    return n;
  };
  const result = await runWhoamiBench({
    tokens: num('tokens', values.tokens),
    concurrency: num('concurrency', values.concurrency),
    rounds: num('rounds', values.rounds),
  });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(
      [
        `synapse-whoami: ${result.tokens} tokens, concurrency ${result.concurrency}, Synapse ${result.synapseVersion}`,
        `  direct (autocannon) median: ${result.medianDirectPerSecond.toFixed(0)} req/s`,
        `  synapse-admin client median: ${result.medianClientPerSecond.toFixed(0)} req/s`,
        `  ratio client/direct: ${result.ratio.toFixed(3)} (goal >= 0.9)`,
        '',
      ].join('\n'),
    );
  }
  return 0;
}

async function synapseDatabaseBench(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'size-mb': { type: 'string', default: '1024' }, json: { type: 'boolean', default: false } } });
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl === undefined || serverUrl === '') throw new Error('synapse-database needs DATABASE_URL (a running sandbox: . .sandbox/<dir>/sandbox.env)');
  const result = await runSynapseDatabaseBench({ serverUrl, sizeMb: positive('size-mb', values['size-mb']), log: (line) => process.stderr.write(`${line}\n`) });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
    process.stdout.write(
      [
        `synapse-database: ${mib(result.databaseBytes)} (${result.rows} events), generated in ${result.fillSeconds.toFixed(1)} s`,
        `  rename + create alike: ${result.rename.backupSeconds.toFixed(3)} s; back (drop + rename): ${result.rename.restoreSeconds.toFixed(3)} s`,
        `  pg_dump + empty:       ${result.dump.backupSeconds.toFixed(1)} s (${mib(result.dump.fileBytes)} file); back (pg_restore): ${result.dump.restoreSeconds.toFixed(1)} s`,
        `  rename is ${(result.dump.backupSeconds / result.rename.backupSeconds).toFixed(0)}x faster to back up, ${(result.dump.restoreSeconds / result.rename.restoreSeconds).toFixed(0)}x to put back`,
        '',
      ].join('\n'),
    );
  }
  return 0;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} takes a positive whole number, not '${value}'`);
  return n;
}

async function userCreds(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      tenants: { type: 'string', default: '10' },
      rows: { type: 'string', default: '100000' },
      'batch-size': { type: 'string', default: '10000' },
      rounds: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    },
  });
  const r = await runUserCredsBench({
    tenants: positive('tenants', values.tenants),
    rowsPerTenant: positive('rows', values.rows),
    batchSize: positive('batch-size', values['batch-size']),
    rounds: positive('rounds', values.rounds),
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const s = (xs: number[]) => xs.map((x) => `${x.toFixed(2)} s`).join(', ');
  process.stdout.write(
    [
      `user-creds: ${r.rows} rows (${r.tenants} tenants), batch size ${r.batchSize}, loaded in ${r.loadSeconds.toFixed(1)} s`,
      `  runbook UPDATE: ${s(r.clear.runbookSeconds)}; longest transaction ${r.clear.runbookLongestTransactionMs.toFixed(0)} ms`,
      `  batched clear:  ${s(r.clear.batchedSeconds)}; ${r.clear.batches} batches, longest transaction ${r.clear.batchedLongestTransactionMs.toFixed(0)} ms (goal <= 250: ${mark(r.goals.longestTransaction)})`,
      `  clear ratio batched/runbook: ${r.clear.ratio.toFixed(3)} (goal <= 1.5: ${mark(r.goals.clearRatio)})`,
      `  CREATE TABLE AS: ${s(r.snapshot.ctasSeconds)}; snapshot: ${s(r.snapshot.snapshotSeconds)}; ratio ${r.snapshot.ratio.toFixed(3)} (goal <= 1.3: ${mark(r.goals.snapshotRatio)})`,
      `  stream (pages of ${r.stream.pageSize}), each in a fresh process; RSS growth, and after each tenth of the rows:`,
      ...(
        [
          ['library, default heap', r.stream.library],
          ['bare Kysely loop, default heap', r.stream.bare],
          ['library, heap capped (--max-semi-space-size=8 --max-old-space-size=48)', r.stream.capped],
          [`library, ${RECOMMENDED_HEAP_FLAGS.join(' ')}`, r.stream.recommended],
        ] as const
      ).map(
        ([label, run]) =>
          `    ${label}: ${run.rows} in ${run.seconds.toFixed(2)} s, ${run.rssGrowthMb.toFixed(1)} MB [${run.rssGrowthByTenthMb.map((x) => x.toFixed(0)).join(' ')}]`,
      ),
      `    goal < 50 MB for the library with the default heap: ${mark(r.goals.streamMemory)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function doctorBench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      credentials: { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '32' },
      rounds: { type: 'string', default: '3' },
      'heap-flags': { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
    },
  });
  const r = await runDoctorBench({
    credentials: positive('credentials', values.credentials),
    concurrency: positive('concurrency', values.concurrency),
    rounds: positive('rounds', values.rounds),
    heapVariants: values['heap-flags'].map((flags) => flags.split(/\s+/).filter((f) => f !== '')),
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const rates = (contender: 'direct' | 'doctor') =>
    r.rounds
      .filter((x) => x.contender === contender)
      .map((x) => `${x.perSecond.toFixed(0)}/s (${x.seconds.toFixed(2)} s)`)
      .join(', ');
  process.stdout.write(
    [
      `doctor: ${r.credentials} stored credentials (${r.tenants} tenant schemas, all valid), concurrency ${r.concurrency}, Synapse ${r.synapseVersion}`,
      `  minted in ${r.mintSeconds.toFixed(1)} s, loaded in ${r.loadSeconds.toFixed(1)} s`,
      `  direct (autocannon on whoami): ${rates('direct')}; median ${r.medianDirectPerSecond.toFixed(0)} credentials/s`,
      `  doctor():                      ${rates('doctor')}; median ${r.medianDoctorPerSecond.toFixed(0)} credentials/s`,
      `  ratio doctor/direct: ${r.ratio.toFixed(3)} of the medians, ${r.medianPairRatio.toFixed(3)} median of the pairs (goal >= 0.9: ${mark(r.goals.ratio)})`,
      `  doctor RSS per round (fresh child; before doctor -> peak, growth): ${r.memory
        .map((m) => `${m.startMb.toFixed(0)} -> ${m.peakMb.toFixed(0)} MB (+${m.growthMb.toFixed(0)})`)
        .join('; ')}`,
      `    V8 heap right after doctor(), per round: ${r.memory.map((m) => `${m.endHeapUsedMb.toFixed(0)} used of ${m.endHeapTotalMb.toFixed(0)} MB`).join('; ')}`,
      `  peak RSS ${r.peakRssMb.toFixed(0)} MB (goal < 150 MB: ${mark(r.goals.peakRss)})`,
      `  heap capped (${r.capped.flags.join(' ')}), one more run: ${r.capped.perSecond.toFixed(0)}/s (${r.capped.seconds.toFixed(2)} s), ` +
        `RSS ${r.capped.memory.startMb.toFixed(0)} -> ${r.capped.memory.peakMb.toFixed(0)} MB (+${r.capped.memory.growthMb.toFixed(0)})`,
      `  matrix-reset doctor --json (the CLI from ${process.env['MATRIX_RESET_CLI_FROM'] === 'dist' ? 'dist/, as installed' : 'source'}, with its shebang's Node flags; no Kubernetes, no ssm:), per round: ${r.cli
        .map((c) => `peak RSS ${c.maxRssMb.toFixed(0)} MB, ${c.seconds.toFixed(2)} s wall, ${c.cpuSeconds.toFixed(2)} s CPU`)
        .join('; ')}`,
      `    heavy modules loaded: ${[...new Set(r.cli.flatMap((c) => c.heavyModules))].join(', ') || 'none'}; peak ${r.cliPeakRssMb.toFixed(0)} MB (goal < 150 MB: ${mark(r.goals.cliPeakRss)})`,
      ...r.variants.map(
        (v) =>
          `  with ${v.flags.join(' ')}: doctor() ${v.perSecond.toFixed(0)}/s, RSS ${v.memory.startMb.toFixed(0)} -> ${v.memory.peakMb.toFixed(0)} MB; ` +
          `matrix-reset doctor ${v.cli.seconds.toFixed(2)} s wall, ${v.cli.cpuSeconds.toFixed(2)} s CPU, peak RSS ${v.cli.maxRssMb.toFixed(0)} MB`,
      ),
      '',
    ].join('\n'),
  );
  return 0;
}

async function doctorDatabaseBench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      credentials: { type: 'string', default: '1000000' },
      minted: { type: 'string', default: '1000' },
      'api-sample': { type: 'string', default: '10000' },
      'cross-check': { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    },
  });
  const r = await runDoctorDatabaseBench({
    credentials: positive('credentials', values.credentials),
    minted: positive('minted', values.minted),
    apiSample: positive('api-sample', values['api-sample']),
    crossCheck: positive('cross-check', values['cross-check']),
    rounds: positive('rounds', values.rounds),
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const flags = (f: readonly string[]) => (f.length === 0 ? "Node's default flags" : f.join(' '));
  process.stdout.write(
    [
      `doctor-database: ${r.credentials} stored credentials (${r.minted} minted through the API, the rest generated: ${mixDescription()}), ` +
        `${r.tenants} tenant schemas, Synapse ${r.synapseVersion} on Postgres`,
      `  minted in ${r.mintSeconds.toFixed(1)} s; generated into Synapse's tables in ${r.generateSeconds.synapse.toFixed(1)} s, the app side in ${r.generateSeconds.app.toFixed(1)} s`,
      `  totals found (exactly the mix): ${Object.entries(r.mix).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ')}`,
      '  database evidence, every credential, each run in a fresh child:',
      ...r.database.map(
        (d) =>
          `    ${flags(d.flags)}: ${d.seconds.toFixed(2)} s, ${d.perSecond.toFixed(0)} rows/s; RSS ${d.rssStartMb.toFixed(0)} -> peak ${d.rssPeakMb.toFixed(0)} MB ` +
          `(sampled every 10 ms), kernel high-water mark ${d.maxRssMb.toFixed(0)} MB; ${d.httpRequests} HTTP requests`,
      ),
      `  API evidence on an evenly spaced sample of ${r.api.examined}: ${r.api.seconds.toFixed(2)} s, ${r.api.perSecond.toFixed(0)} rows/s, ${r.api.httpRequests} HTTP requests ` +
        `(the database path on the same sample: the same totals, ${r.api.sampleDatabaseSeconds.toFixed(2)} s)`,
      `  cross-check through whoami: ${r.crossCheck.checked} of ${r.crossCheck.requested} requested checked, ${r.crossCheck.disagreements} disagreements, ` +
        `${r.crossCheck.httpRequests} HTTP requests, ${r.crossCheck.seconds.toFixed(2)} s for the whole run`,
      `  removed from Synapse's tables after the run: ${Object.entries(r.removed).map(([table, n]) => `${n} ${table}`).join(', ')}`,
      `  ratio database / API rate: ${r.ratio.toFixed(1)} (goal >= 50: ${mark(r.goals.ratio)})`,
      `  slowest full database run ${Math.max(...r.database.map((d) => d.seconds)).toFixed(1)} s (goal < 60 s for 1,000,000: ${mark(r.goals.under60s)})`,
      `  peak RSS ${Math.max(...r.database.map((d) => d.maxRssMb)).toFixed(0)} MB, the highest of the runs (goal < 150 MB in every run: ${mark(r.goals.peakRss)})`,
      `  HTTP requests of the database runs: ${r.database.map((d) => d.httpRequests).join(', ')} (goal 0: ${mark(r.goals.noHttp)})`,
      `  cross-check: ${mark(r.goals.crossCheck)} (every requested row checked, no disagreement)`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function fullResetBench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      shape: { type: 'string', default: 'sqlite' },
      rounds: { type: 'string', default: '3' },
      users: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!(FULL_RESET_SHAPES as readonly string[]).includes(values.shape)) throw new Error(`--shape takes ${FULL_RESET_SHAPES.join(', ')}, not '${values.shape}'`);
  const r = await runFullResetBench({
    shape: values.shape as FullResetShapeName,
    rounds: positive('rounds', values.rounds),
    usersPerTenant: positive('users', values.users),
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const s = (ms: number) => (ms / 1000).toFixed(3);
  const row = (label: string, t: Timing, waitsOn: string) =>
    [label.padEnd(25), s(t.wallMs).padStart(8), s(t.cpuMs).padStart(8), s(t.loopActiveMs).padStart(8), s(t.waitMs).padStart(8), `  ${waitsOn}`].join('');
  const header = ['step'.padEnd(25), 'wall s'.padStart(8), 'own s'.padStart(8), 'loop s'.padStart(8), 'wait s'.padStart(8), '  waiting on'].join('');
  const summary = {
    shape: r.shape,
    rounds: r.rounds.length,
    users: r.users,
    apply: r.medianApply,
    overhead: r.medianOverhead,
    steps: Object.fromEntries(r.medianSteps.map((x) => [x.kind, { wallMs: x.wallMs, cpuMs: x.cpuMs, loopActiveMs: x.loopActiveMs, waitMs: x.waitMs }])),
    applyPerRound: r.rounds.map((x) => ({ runId: x.runId, wallMs: x.apply.wallMs, cpuMs: x.apply.cpuMs, waitMs: x.apply.waitMs })),
    cli: r.cli,
    goals: r.goals,
  };
  process.stdout.write(
    [
      `full-reset --shape ${r.shape}: ${r.rounds.length} rounds on kube-sim ${r.scenario} (real Synapse pod), ${r.users} app users, a fresh incident each round`,
      `medians over the rounds; own = this process's CPU time (user + system), loop = main-thread busy time, wait = wall - own`,
      '',
      header,
      ...r.medianSteps.map((x) => row(x.kind, x, x.waitsOn)),
      row('(lock, checks, journal)', r.medianOverhead, 'Postgres, Kubernetes API (stale-plan check, Lease)'),
      row('apply, total', r.medianApply, ''),
      '',
      `per round, apply: ${r.rounds.map((x) => `${s(x.apply.wallMs)} s wall, ${s(x.apply.cpuMs)} s own`).join('; ')}`,
      `before apply (observe, doctor, plan), median: ${s(r.medianPlan.wallMs)} s wall, ${s(r.medianPlan.cpuMs)} s own`,
      `own time of the whole reset < 5 s in every round: ${r.goals.ownUnder5s ? 'met' : 'NOT met'}`,
      `through the CLI (processes from source, Node start and module loading included): ${r.cli
        .map((c) => `${c.command} ${s(c.wallMs)} s wall, ${s(c.cpuMs)} s own, ${c.maxRssMb.toFixed(0)} MB peak RSS`)
        .join('; ')}; own time together < 5 s: ${r.goals.cliOwnUnder5s ? 'met' : 'NOT met'}`,
      '',
      JSON.stringify(summary),
      '',
    ].join('\n'),
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
