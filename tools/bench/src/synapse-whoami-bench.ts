import { Agent } from 'undici';
import autocannon from 'autocannon';
import { createSynapseClient, mapConcurrent } from '@matrix-reset/synapse-admin';
import { benchSynapse } from './bench-services.ts';
import { mintTokens } from './mint-tokens.ts';

export interface WhoamiBenchOptions {
  tokens?: number;
  concurrency?: number;
  /** Measured rounds per contender, alternated (direct, client, direct, client, ...). */
  rounds?: number;
}

export interface RoundResult {
  contender: 'direct' | 'client';
  requests: number;
  failures: number;
  seconds: number;
  perSecond: number;
}

export interface WhoamiBenchResult {
  tokens: number;
  concurrency: number;
  synapseVersion: string;
  rounds: RoundResult[];
  medianDirectPerSecond: number;
  medianClientPerSecond: number;
  ratio: number;
}

const WHOAMI = '/_matrix/client/v3/account/whoami';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** autocannon hitting whoami directly: `connections` sockets, each request with the next token. */
export async function directRound(url: string, tokens: readonly string[], connections: number): Promise<RoundResult> {
  let next = 0;
  const started = performance.now();
  const result = await autocannon({
    url: url + WHOAMI,
    connections,
    pipelining: 1,
    amount: tokens.length,
    // autocannon notices that `amount` is done only on its next sample tick (default every 1000 ms), which would add
    // up to a second of idle time to a ~10 s round; a 10 ms tick keeps the wall time to within 10 ms of the last reply.
    sampleInt: 10,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => {
          const token = tokens[next++ % tokens.length] as string;
          return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
        },
      },
    ],
  });
  const seconds = (performance.now() - started) / 1000;
  const failures = result.non2xx + result.errors + result.timeouts;
  return { contender: 'direct', requests: result.requests.total, failures, seconds, perSecond: result.requests.total / seconds };
}

/** The synapse-admin client validating every token with whoami through `mapConcurrent` on one pool. */
async function clientRound(url: string, tokens: readonly string[], concurrency: number, dispatcher: Agent): Promise<RoundResult> {
  const client = createSynapseClient({ baseUrl: url, dispatcher });
  let failures = 0;
  let requests = 0;
  const started = performance.now();
  for await (const r of mapConcurrent(tokens, concurrency, (token) => client.withAccessToken(token).whoami())) {
    requests++;
    if (r.status === 'rejected') failures++;
  }
  const seconds = (performance.now() - started) / 1000;
  return { contender: 'client', requests, failures, seconds, perSecond: requests / seconds };
}

/**
 * Validates `tokens` real tokens with the synapse-admin client at `concurrency`, against autocannon hitting
 * whoami directly on the same Synapse with the same tokens and the same number of connections, in one run.
 *
 * @example
 * const result = await runWhoamiBench({ tokens: 10_000, concurrency: 32, rounds: 3 });
 * console.log(result.ratio); // client rate / direct rate
 */
export async function runWhoamiBench(options: WhoamiBenchOptions = {}): Promise<WhoamiBenchResult> {
  const count = options.tokens ?? 10_000;
  const concurrency = options.concurrency ?? 32;
  const roundsPerContender = options.rounds ?? 3;
  const synapse = await benchSynapse();
  const dispatcher = new Agent({ connections: concurrency, pipelining: 1 });
  try {
    const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
    log(`minting ${count} tokens on ${synapse.url}`);
    const mintStarted = performance.now();
    const { admin, tokens } = await mintTokens({ baseUrl: synapse.url, sharedSecret: synapse.sharedSecret, dispatcher, count });
    log(`minted in ${((performance.now() - mintStarted) / 1000).toFixed(1)} s`);
    const { serverVersion } = await admin.admin.serverVersion();

    // Warm-up, unmeasured: one pass over every token primes Synapse's token cache for both contenders (otherwise
    // whichever runs first pays for the cold lookups), then a short pass of each opens its connections.
    await clientRound(synapse.url, tokens, concurrency, dispatcher);
    const warm = tokens.slice(0, Math.min(1000, tokens.length));
    await directRound(synapse.url, warm, concurrency);
    await clientRound(synapse.url, warm, concurrency, dispatcher);

    const rounds: RoundResult[] = [];
    for (let i = 0; i < roundsPerContender; i++) {
      for (const round of [
        () => directRound(synapse.url, tokens, concurrency),
        () => clientRound(synapse.url, tokens, concurrency, dispatcher),
      ]) {
        const r = await round();
        log(`${r.contender.padEnd(6)} ${r.requests} requests in ${r.seconds.toFixed(2)} s = ${r.perSecond.toFixed(0)}/s, ${r.failures} failed`);
        if (r.failures > 0) throw new Error(`${r.failures} whoami calls failed in a ${r.contender} round: the figures would be meaningless`);
        rounds.push(r);
      }
    }
    const medianDirectPerSecond = median(rounds.filter((r) => r.contender === 'direct').map((r) => r.perSecond));
    const medianClientPerSecond = median(rounds.filter((r) => r.contender === 'client').map((r) => r.perSecond));
    return {
      tokens: count,
      concurrency,
      synapseVersion: serverVersion,
      rounds,
      medianDirectPerSecond,
      medianClientPerSecond,
      ratio: medianClientPerSecond / medianDirectPerSecond,
    };
  } finally {
    await dispatcher.close();
    await synapse.stop();
  }
}
