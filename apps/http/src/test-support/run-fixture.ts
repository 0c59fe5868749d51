import { spawn } from 'node:child_process';
import { call, insertUserWithDeadToken, prepareServiceSandbox, psql, startSandboxService, unique, type CapturedLog, type FixtureTokenName } from './service-fixture.ts';
import type { RunningService } from '../start-service.ts';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (value === undefined || value === '') throw new Error(`${name} is not set: run through apps/http/vitest.config.ts (the sandbox global setup exports it)`);
  return value;
}

/** One running instance of the service over a run sandbox, with its log captured. */
export interface Instance {
  readonly service: RunningService;
  readonly url: string;
  readonly log: CapturedLog;
  close(): Promise<void>;
}

/**
 * A tenant planted for a repair, driven over HTTP: three app users on the sandbox Synapse — one whose token works,
 * one whose token was logged out, one whose Matrix user does not exist — in the service sandbox's OpenMeet schema
 * (`prepareServiceSandbox`: an environment with a unique name, the four fixture tokens, a shared session key), and
 * any number of instances started on its config.
 */
export interface RunSandbox {
  readonly environment: string;
  readonly schema: string;
  readonly configPath: string;
  readonly tokens: Readonly<Record<FixtureTokenName, string>>;
  readonly rows: { readonly valid: string; readonly killed: string; readonly gone: string };
  /** Every secret in play: bearer tokens, admin token, shared secret, session key, the users' tokens (tests add minted ones). */
  readonly secrets: string[];
  /** The first instance (it planted the users). */
  readonly first: Instance;
  /** Starts another instance on the same config and database. */
  startInstance(): Promise<Instance>;
  /** The tokens now stored in the tenant (to scan for them too). */
  storedTokens(): Promise<string[]>;
  close(): Promise<void>;
}

async function logout(accessToken: string): Promise<void> {
  const response = await fetch(`${required('SYNAPSE_URL')}/_matrix/client/v3/logout`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, body: '{}' });
  if (!response.ok) throw new Error(`logout answered ${response.status}`);
}

/**
 * Plants a {@link RunSandbox}. Users are provisioned through the service's own `POST /v1/users/{id}/matrix-credentials`
 * (real Synapse users and tokens); one token is then logged out on Synapse, one row names a user that never existed.
 */
export async function plantRunSandbox(options: { protected?: boolean } = {}): Promise<RunSandbox> {
  const sandbox = await prepareServiceSandbox({ environment: `runs${unique()}`, protected: options.protected === true, sessionSecret: true });
  const instances: Instance[] = [];
  const startInstance = async (): Promise<Instance> => {
    const instance = await startSandboxService(sandbox);
    instances.push(instance);
    return instance;
  };
  const first = await startInstance();

  const { schema, tokens } = sandbox;
  const valid = await insertUserWithDeadToken(schema);
  const killed = await insertUserWithDeadToken(schema);
  const gone = await insertUserWithDeadToken(schema);
  const userTokens: string[] = [valid.deadToken, killed.deadToken, gone.deadToken];
  for (const row of [valid, killed]) {
    const ensured = await call(first, `/v1/users/${row.id}/matrix-credentials`, { token: tokens.reader, json: {} });
    if (ensured.status !== 200) throw new Error(`ensure for row ${row.id} answered ${ensured.status}: ${ensured.text}`);
    userTokens.push((ensured.json() as { accessToken: string }).accessToken);
  }
  await logout(userTokens[4]!);
  await psql(`UPDATE "${schema}".users SET preferences = '{"matrix": {"connected": true}}'::jsonb`);

  return {
    environment: sandbox.environment,
    schema,
    configPath: sandbox.configPath,
    tokens,
    rows: { valid: valid.id, killed: killed.id, gone: gone.id },
    secrets: [...sandbox.secrets, ...userTokens].filter((secret) => secret.length >= 8),
    first,
    startInstance,
    storedTokens: async () => (await psql(`SELECT "matrixAccessToken" FROM "${schema}".users WHERE "matrixAccessToken" IS NOT NULL`)).filter((t) => t !== ''),
    close: async () => {
      await Promise.all(instances.map((i) => i.close()));
    },
  };
}

/** One Server-Sent Event as a client parses it. */
export interface ParsedEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/**
 * Reads a run's event stream to its end (or until `until` returns true) with fetch, parsing the SSE text; returns
 * the events, the comments seen, and the raw text (to scan for secrets).
 */
export async function readEvents(
  url: string,
  options: { token?: string; cookie?: string; lastEventId?: string; until?: (event: ParsedEvent) => boolean; timeoutMs?: number } = {},
): Promise<{ status: number; contentType: string | null; events: ParsedEvent[]; comments: string[]; raw: string }> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs ?? 60_000);
  const events: ParsedEvent[] = [];
  const comments: string[] = [];
  let raw = '';
  try {
    const response = await fetch(url, { headers, signal: abort.signal });
    if (response.body === null || response.status !== 200) return { status: response.status, contentType: response.headers.get('content-type'), events, comments, raw: await response.text() };
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      raw += text;
      buffer += text;
      let at: number;
      let stop = false;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        let id: string | undefined;
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (data === '') continue;
        const parsed = { id, event, data: JSON.parse(data) as Record<string, unknown> };
        events.push(parsed);
        if (options.until?.(parsed) === true) stop = true;
      }
      if (stop) {
        await reader.cancel();
        break;
      }
    }
    return { status: response.status, contentType: response.headers.get('content-type'), events, comments, raw };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Holds a row lock on one app user (`SELECT ... FOR UPDATE` in an open transaction of a psql session) so that a
 * repair run stops at the step that writes that row (clear-missing-users for the gone row) until `release()`.
 * Reads are not blocked, so planning and the steps before it go on. Keep it under ~5 s: the clear retries its
 * 2 s lock timeout three times.
 */
export async function holdRowLock(schema: string, id: string): Promise<{ release: () => Promise<void> }> {
  const child = spawn('psql', [required('DATABASE_URL'), '-v', 'ON_ERROR_STOP=1', '-qAt'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    void exited.then((code) => reject(new Error(`psql exited (${String(code)}) before taking the lock: ${stderr}`)));
    child.stdin.write(`BEGIN;\nSELECT 1 FROM "${schema}".users WHERE id = ${Number(id)} FOR UPDATE;\n`);
  });
  return {
    release: async () => {
      child.stdin.end('COMMIT;\n');
      await exited;
    },
  };
}
