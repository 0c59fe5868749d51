import { randomBytes } from 'node:crypto';
import { createSynapseClient, mapConcurrent, type SynapseClient } from '@matrix-reset/synapse-admin';
import type { Dispatcher } from 'undici';

export interface MintTokensOptions {
  baseUrl: string;
  sharedSecret: string;
  dispatcher: Dispatcher;
  /** How many access tokens to mint. */
  count: number;
  /** Tokens per user (login-as mints one token per call); users = ceil(count / tokensPerUser). */
  tokensPerUser?: number;
}

export interface MintedTokens {
  admin: SynapseClient;
  tokens: string[];
  /** The user id each token belongs to: `owners[i]` owns `tokens[i]`. */
  owners: string[];
  users: string[];
}

/**
 * Mints `count` real access tokens on a Synapse: registers an admin and a set of users through shared-secret
 * registration, then issues tokens with admin login-as (not rate limited, unlike password login).
 *
 * @example
 * const { tokens } = await mintTokens({ baseUrl, sharedSecret, dispatcher, count: 10_000 });
 */
export async function mintTokens(options: MintTokensOptions): Promise<MintedTokens> {
  const perUser = options.tokensPerUser ?? 100;
  const run = randomBytes(4).toString('hex');
  const client = createSynapseClient({ baseUrl: options.baseUrl, dispatcher: options.dispatcher });
  const password = () => randomBytes(18).toString('base64url');
  const registered = await client.registerWithSharedSecret({
    sharedSecret: options.sharedSecret,
    username: `bench-admin-${run}`,
    password: password(),
    admin: true,
  });
  if (!registered.accessToken) throw new Error('shared-secret registration of the bench admin returned no token');
  const admin = client.withAccessToken(registered.accessToken);

  const userCount = Math.ceil(options.count / perUser);
  const users: string[] = [];
  for await (const r of mapConcurrent(Array.from({ length: userCount }, (_, i) => i), 8, (i) =>
    client.registerWithSharedSecret({ sharedSecret: options.sharedSecret, username: `bench-${run}-${i}`, password: password() }),
  )) {
    if (r.status === 'rejected') throw r.reason;
    users.push(r.value.userId);
  }

  const jobs = Array.from({ length: options.count }, (_, i) => users[i % users.length] as string);
  const tokens: string[] = [];
  const owners: string[] = [];
  for await (const r of mapConcurrent(jobs, 16, (userId) => admin.admin.loginAsUser(userId))) {
    if (r.status === 'rejected') throw r.reason;
    tokens.push(r.value.accessToken);
    owners.push(r.input);
  }
  return { admin, tokens, owners, users };
}
