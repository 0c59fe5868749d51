import { parseArgs } from 'node:util';
import { runWhoamiBench } from './synapse-whoami-bench.ts';

const usage = `usage: bench <name> [options]

benchmarks:
  synapse-whoami   validate real tokens with the synapse-admin client vs autocannon on whoami, one run
                   --tokens N (10000)  --concurrency N (32)  --rounds N (3)  --json

Uses the Synapse in SYNAPSE_URL / SYNAPSE_SHARED_SECRET_FILE (a running sandbox) or starts one.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
