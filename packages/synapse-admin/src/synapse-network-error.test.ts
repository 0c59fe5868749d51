import { createServer as createHttpServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createSynapseClient } from './synapse-client.ts';
import { SynapseNetworkError } from './synapse-network-error.ts';
import { closedPort, rejectionOf } from './test-support/fixtures.ts';


describe('network failures', () => {
  it('a closed port is connection_refused, with the token nowhere in the error', async () => {
    const port = await closedPort();
    const client = createSynapseClient({ baseUrl: `http://127.0.0.1:${port}`, accessToken: 'tok-never-shown-1' });
    const error = (await rejectionOf(client.whoami())) as SynapseNetworkError;
    expect(error).toBeInstanceOf(SynapseNetworkError);
    expect(error.code).toBe('connection_refused');
    expect(error.systemCode).toBe('ECONNREFUSED');
    expect(error.path).toBe('/_matrix/client/v3/account/whoami');
    expect(`${String(error)} ${error.stack} ${JSON.stringify(error)} ${(error.cause as Error).stack}`).not.toContain('tok-never-shown-1');
  });

  it('a server that never answers is a timeout', async () => {
    const server = createHttpServer(() => {
      // never respond
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const client = createSynapseClient({ baseUrl: `http://127.0.0.1:${port}`, accessToken: 'tok-x-12345', timeoutMs: 200, retry: { maxRetries: 0 } });
      const error = (await rejectionOf(client.whoami())) as SynapseNetworkError;
      expect(error.code).toBe('timeout');
      expect(error.systemCode).toBe('UND_ERR_HEADERS_TIMEOUT');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
