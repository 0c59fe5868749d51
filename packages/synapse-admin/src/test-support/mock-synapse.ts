import { MockAgent } from 'undici';
import { createSynapseClient, type SynapseClient, type SynapseClientOptions } from '../synapse-client.ts';

export const MOCK_ORIGIN = 'http://synapse.mock';

/** A MockAgent that refuses real network access, and a client wired to it. */
export function mockSynapse(options: Partial<SynapseClientOptions> = {}): {
  agent: MockAgent;
  pool: ReturnType<MockAgent['get']>;
  client: SynapseClient;
} {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const client = createSynapseClient({ baseUrl: MOCK_ORIGIN, dispatcher: agent, retry: { backoffBaseMs: 1, backoffMaxMs: 5 }, ...options });
  return { agent, pool: agent.get(MOCK_ORIGIN), client };
}

export const JSON_HEADERS = { headers: { 'content-type': 'application/json' } };
