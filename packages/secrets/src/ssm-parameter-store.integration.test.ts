import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { GetParameterCommand, LabelParameterVersionCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, describe, expect, it } from 'vitest';
import { ssmParameterStore } from './ssm-parameter-store.ts';
import { SecretsError } from './secrets-error.ts';
import { sandboxSsmClient, sandboxSsmEndpoint, uniqueParameterName } from './test-support/ssm-env.ts';

const client = sandboxSsmClient();
afterAll(() => client.destroy());

async function labelsByVersion(store: ReturnType<typeof ssmParameterStore>): Promise<Map<string, readonly string[]>> {
  const out = new Map<string, readonly string[]>();
  for await (const v of store.history()) out.set(v.version, v.labels);
  return out;
}

describe('ssmParameterStore against moto', () => {
  it('creates a SecureString, reads it back decrypted, labels it current', async () => {
    const name = uniqueParameterName();
    const store = ssmParameterStore({ client, name, keyId: 'alias/matrix-reset-test' });
    const result = await store.write('syt_first');
    expect(result).toEqual({ changed: true, version: '1', previousVersion: undefined });
    const raw = await client.send(new GetParameterCommand({ Name: name, WithDecryption: false }));
    expect(raw.Parameter?.Type).toBe('SecureString');
    expect((await store.read()).value?.reveal()).toBe('syt_first');
    expect(await labelsByVersion(store)).toEqual(new Map([['1', ['current']]]));
  });

  it('takes a client factory, called once at the first request and not before', async () => {
    let made = 0;
    const store = ssmParameterStore({
      client: async () => {
        made++;
        return client;
      },
      name: uniqueParameterName(),
    });
    expect(made).toBe(0);
    expect(await store.read()).toEqual({ exists: false, value: undefined, version: undefined });
    await store.write('syt_lazy');
    expect((await store.read()).value?.reveal()).toBe('syt_lazy');
    expect(made).toBe(1);
  });

  it('reports a failing client factory as a typed error, and asks it again at the next request', async () => {
    let attempts = 0;
    const store = ssmParameterStore({
      client: () => {
        attempts++;
        if (attempts === 1) throw new Error('no credentials in this environment');
        return client;
      },
      name: uniqueParameterName(),
    });
    await expect(store.read()).rejects.toMatchObject({ code: 'store_error' });
    expect((await store.read()).exists).toBe(false);
    expect(attempts).toBe(2);
  });

  it('writes only when the value differs', async () => {
    const store = ssmParameterStore({ client, name: uniqueParameterName() });
    await store.write('same');
    expect(await store.write('same')).toEqual({ changed: false, version: '1', previousVersion: undefined });
  });

  it('moves current and previous forward on every rotation', async () => {
    const store = ssmParameterStore({ client, name: uniqueParameterName() });
    await store.write('v1');
    await store.write('v2');
    await store.write('v3');
    expect(await labelsByVersion(store)).toEqual(new Map([['1', []], ['2', ['previous']], ['3', ['current']]]));
    expect((await store.readPrevious()).value?.reveal()).toBe('v2');
  });

  it('restores the previous value as a new version, keeping the audit trail', async () => {
    const store = ssmParameterStore({ client, name: uniqueParameterName() });
    await store.write('good');
    await store.write('bad');
    const restored = await store.restorePrevious();
    expect(restored).toEqual({ changed: true, version: '3', previousVersion: '2' });
    expect((await store.read()).value?.reveal()).toBe('good');
    expect((await store.readPrevious()).value?.reveal()).toBe('bad');
    expect([...(await labelsByVersion(store)).keys()]).toEqual(['1', '2', '3']);
  });

  it('restorePrevious without a previous version is no_previous_version', async () => {
    const store = ssmParameterStore({ client, name: uniqueParameterName() });
    await store.write('only');
    await expect(store.restorePrevious()).rejects.toMatchObject({ code: 'no_previous_version' });
  });

  it('refuses a stale expectedVersion with version_conflict', async () => {
    const store = ssmParameterStore({ client, name: uniqueParameterName() });
    await store.write('a');
    const { version } = await store.read();
    await store.write('b');
    await expect(store.write('c', { expectedVersion: version })).rejects.toMatchObject({ code: 'version_conflict' });
  });

  it('survives more than 100 rotations (labels never stay on the oldest version) and pages the history', async () => {
    const store = ssmParameterStore({ client, name: uniqueParameterName() });
    for (let i = 1; i <= 105; i++) await store.write(`value-${i}`);
    const history = await labelsByVersion(store);
    expect(history.size).toBe(100);
    expect([...history.keys()][0]).toBe('6');
    expect(history.get('105')).toEqual(['current']);
    expect(history.get('104')).toEqual(['previous']);
    expect((await store.read()).value?.reveal()).toBe('value-105');
  }, 120_000);

  it('reports a label someone left on the oldest version as version_limit with next steps', async () => {
    const name = uniqueParameterName();
    await client.send(new PutParameterCommand({ Name: name, Value: 'v', Type: 'SecureString' }));
    await client.send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: 1, Labels: ['pinned'] }));
    const store = ssmParameterStore({ client, name });
    let error: unknown;
    for (let i = 2; i <= 101 && error === undefined; i++) error = await store.write(`value-${i}`).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SecretsError);
    expect(error).toMatchObject({ code: 'version_limit' });
    expect((error as SecretsError).nextSteps.join(' ')).toContain('unlabel-parameter-version');
  }, 120_000);

  it('describe() and the readings never show the value', async () => {
    const store = ssmParameterStore({ client, name: uniqueParameterName() });
    await store.write('syt_visible_nowhere');
    const reading = await store.read();
    expect(`${store.describe()} ${String(store)} ${JSON.stringify(reading)} ${inspect(reading)}`).not.toContain('syt_visible_nowhere');
  });
});

type Intercept = (request: { count: number; target: string; body: string }) => { type: string; message: string } | undefined;

/** A real HTTP proxy in front of moto: `intercept` may answer an AWS JSON error instead of forwarding. */
async function ssmProxy(intercept: Intercept): Promise<{ url: string; server: Server }> {
  const target = sandboxSsmEndpoint();
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      const answer = intercept({ count, target: String(req.headers['x-amz-target'] ?? ''), body: Buffer.concat(chunks).toString('utf8') });
      if (answer !== undefined) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': answer.type });
        res.end(JSON.stringify({ __type: answer.type, message: answer.message }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers[k] = v;
      fetch(new URL(req.url ?? '/', target), { method: req.method, headers, body: Buffer.concat(chunks) })
        .then(async (upstream) => {
          res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
          res.end(Buffer.from(await upstream.arrayBuffer()));
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function throttlingProxy(throttle: number): Promise<{ url: string; throttled: () => number; server: Server }> {
  let throttled = 0;
  const proxy = await ssmProxy(({ count }) => (count <= throttle ? (throttled++, { type: 'ThrottlingException', message: 'Rate exceeded' }) : undefined));
  return { ...proxy, throttled: () => throttled };
}

describe('ssmParameterStore under throttling', () => {
  it('rides out throttling with the client retry strategy', async () => {
    const proxy = await throttlingProxy(2);
    const throttledClient = sandboxSsmClient({ endpoint: proxy.url, maxAttempts: 4 });
    try {
      const store = ssmParameterStore({ client: throttledClient, name: uniqueParameterName() });
      expect((await store.write('after-throttling')).changed).toBe(true);
      expect(proxy.throttled()).toBe(2);
    } finally {
      throttledClient.destroy();
      proxy.server.close();
    }
  });

  it('fails with a typed throttled error when the retries run out', async () => {
    const proxy = await throttlingProxy(1000);
    const throttledClient = sandboxSsmClient({ endpoint: proxy.url, maxAttempts: 2 });
    try {
      const store = ssmParameterStore({ client: throttledClient, name: uniqueParameterName() });
      await expect(store.write('never')).rejects.toMatchObject({ code: 'throttled', name: 'SecretsError' });
    } finally {
      throttledClient.destroy();
      proxy.server.close();
    }
  });
});

describe('ssmParameterStore redaction', () => {
  it('never puts the value in an error, its cause or its inspection, even when the server echoes it', async () => {
    const value = 'syt_value_the_server_echoes_back';
    // AWS validation errors quote the offending input ("Value '...' at 'value' failed to satisfy constraint").
    const proxy = await ssmProxy(({ target, body }) =>
      target.endsWith('.PutParameter')
        ? { type: 'ValidationException', message: `1 validation error detected: Value '${(JSON.parse(body) as { Value: string }).Value}' at 'value' failed to satisfy constraint` }
        : undefined,
    );
    const echoing = sandboxSsmClient({ endpoint: proxy.url, maxAttempts: 1 });
    try {
      const error = await ssmParameterStore({ client: echoing, name: uniqueParameterName() })
        .write(value)
        .then(() => undefined, (e: unknown) => e as SecretsError);
      expect(error).toMatchObject({ code: 'invalid_request' });
      expect(error?.message).toContain('[redacted]');
      const everything = `${String(error)} ${error?.stack} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`;
      expect(everything).not.toContain(value);
    } finally {
      echoing.destroy();
      proxy.server.close();
    }
  });
});
