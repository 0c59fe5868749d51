export { runWhoamiBench, type RoundResult, type WhoamiBenchOptions, type WhoamiBenchResult } from './synapse-whoami-bench.ts';
export { mintTokens, type MintedTokens, type MintTokensOptions } from './mint-tokens.ts';
export { benchSynapse, type BenchSynapse } from './bench-services.ts';
