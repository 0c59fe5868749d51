import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareServiceSandbox, psql, unique, type ServiceSandbox } from './test-support/service-fixture.ts';
import { spawnServiceProcess, type ServiceProcess } from './test-support/service-process.ts';

// The load test: two instances of the real service (separate processes on one config and one Postgres),
// 100 app users whose stored tokens died, 1,000 concurrent ensure calls. Half the users still exist on Synapse with a
// logged-out token (ensure must mint one with login-as), half do not exist at all, as after a Synapse database reset
// (ensure must create them). Both kinds, because they take different paths under the advisory lock (getUser then
// login-as, or getUser then create then login-as) and both must be provisioned exactly once.

const exec = promisify(execFile);
const USERS = 100;
const CALLS_PER_USER = 10;

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (value === undefined || value === '') throw new Error(`${name} is not set: run through apps/http/vitest.config.ts (the sandbox global setup exports it)`);
  return value;
}

interface PlantedUser {
  readonly id: string;
  readonly userId: string;
  /** 'login-as': the Matrix user exists, its stored token was logged out; 'created': the Matrix user does not exist. */
  readonly expected: 'login-as' | 'created';
  readonly deadToken: string;
}

interface Answer {
  readonly status: number;
  readonly instance: number;
  readonly body: { userId?: string; accessToken?: string; source?: string; deviceId?: string | null };
  readonly text: string;
}

async function synapseAdmin(adminToken: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${required('SYNAPSE_URL')}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path.replace(/\?.*/, '')} answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Runs `items` through `work`, at most `limit` at a time. */
async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const at = next++;
        results[at] = await work(items[at] as T);
      }
    }),
  );
  return results;
}

/** SQL through psql's stdin (the tokens it carries stay out of process arguments). */
async function psqlStdin(sqlText: string): Promise<string[]> {
  const child = spawn('psql', [required('DATABASE_URL'), '-v', 'ON_ERROR_STOP=1', '-qAt', '-F', '\t'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', resolve);
    child.stdin.end(sqlText);
  });
  if (code !== 0) throw new Error(`psql exited ${String(code)}: ${stderr}`);
  return stdout.split('\n').filter((line) => line !== '');
}

/** Matrix users whose id contains `prefix`, through the admin API (`GET /_synapse/admin/v2/users?name=`), paginated. */
async function matrixUsersNamed(adminToken: string, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let from: string | undefined = '0';
  while (from !== undefined) {
    const page = await synapseAdmin(adminToken, 'GET', `/_synapse/admin/v2/users?name=${encodeURIComponent(prefix)}&guests=false&limit=250&from=${from}`);
    names.push(...(page.users as { name: string }[]).map((user) => user.name));
    from = typeof page.next_token === 'string' ? page.next_token : typeof page.next_token === 'number' ? String(page.next_token) : undefined;
  }
  return names.filter((name) => name.startsWith(`@${prefix}`));
}

/**
 * Synapse's own record: rows of its `access_tokens` table per user starting with `@<prefix>` (the user a token acts
 * as: `puppets_user_id` for login-as tokens, whose `user_id` is the admin's), read from the
 * database homeserver.yaml names (SQLite read-only, or Postgres), with the Synapse venv's Python.
 */
async function accessTokensPerUser(prefix: string): Promise<Map<string, number>> {
  const script = [
    'import sys, yaml',
    'db = yaml.safe_load(open(sys.argv[1]))["database"]',
    // A login-as token's row names the admin in user_id and the user it acts for in puppets_user_id.
    'query = "SELECT COALESCE(puppets_user_id, user_id) AS owner, COUNT(*) FROM access_tokens WHERE COALESCE(puppets_user_id, user_id) LIKE ? GROUP BY owner"',
    'if db["name"] == "sqlite3":',
    '    import sqlite3',
    '    conn = sqlite3.connect("file:" + db["args"]["database"] + "?mode=ro", uri=True, timeout=30)',
    'else:',
    '    import psycopg2',
    '    names = {"database": "dbname", "user": "user", "password": "password", "host": "host", "port": "port"}',
    '    conn = psycopg2.connect(**{names[k]: v for k, v in db["args"].items() if k in names})',
    '    query = query.replace("?", "%s")',
    'cur = conn.cursor()',
    'cur.execute(query, (sys.argv[2] + "%",))',
    'for user_id, count in cur.fetchall(): print(f"{user_id}\\t{count}")',
  ].join('\n');
  const python = join(required('MATRIX_RESET_SYNAPSE_VENV'), 'bin', 'python');
  const { stdout } = await exec(python, ['-c', script, required('SYNAPSE_CONFIG_FILE'), `@${prefix}`]);
  const counts = new Map<string, number>();
  for (const line of stdout.split('\n').filter((l) => l !== '')) {
    const [userId = '', count = '0'] = line.split('\t');
    counts.set(userId, Number(count));
  }
  return counts;
}

/** Sums `matrix_reset_ensure_credentials_total` by source and outcome from a Prometheus text. */
function ensureCounters(metricsText: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const match of metricsText.matchAll(/^matrix_reset_ensure_credentials_total\{source="([^"]+)",outcome="([^"]+)"\} (\d+)$/gm)) {
    const key = `${match[1]}/${match[2]}`;
    sums.set(key, (sums.get(key) ?? 0) + Number(match[3]));
  }
  return sums;
}

describe('two service instances, 1,000 concurrent ensure calls for 100 users whose tokens died', () => {
  let sandbox: ServiceSandbox;
  let instances: ServiceProcess[] = [];
  const prefix = `ld${unique()}u`;
  const users: PlantedUser[] = [];
  const answers: Answer[] = [];
  let burstMs = 0;

  beforeAll(async () => {
    // Per-token rate limits are per instance; the load is one token's, so the bucket must hold it.
    sandbox = await prepareServiceSandbox({ serviceYaml: ['  rateLimit: { perMinute: 600000, burst: 5000 }'] });
    const serverName = required('SYNAPSE_SERVER_NAME');
    const planted = Array.from({ length: USERS }, (_, i) => ({
      userId: `@${prefix}${String(i).padStart(3, '0')}:${serverName}`,
      expected: i % 2 === 0 ? ('login-as' as const) : ('created' as const),
    }));
    // Existing users: created with the admin API, given a token with login-as, and that token logged out.
    const deadTokens = await inBatches(planted, 8, async (user) => {
      if (user.expected === 'created') return `syt_dead_${randomBytes(12).toString('hex')}`;
      await synapseAdmin(sandbox.adminToken, 'PUT', `/_synapse/admin/v2/users/${encodeURIComponent(user.userId)}`, {});
      const login = await synapseAdmin(sandbox.adminToken, 'POST', `/_synapse/admin/v1/users/${encodeURIComponent(user.userId)}/login`, {});
      const token = String(login.access_token);
      const logout = await fetch(`${required('SYNAPSE_URL')}/_matrix/client/v3/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      if (!logout.ok) throw new Error(`logout answered ${logout.status}`);
      return token;
    });
    const values = planted.map((user, i) => `('${user.userId.slice(1).split(':')[0]}', '${user.userId}', '${deadTokens[i]}', 'OLDDEVICE')`);
    const ids = await psqlStdin(
      `INSERT INTO "${sandbox.schema}".users (slug, "matrixUserId", "matrixAccessToken", "matrixDeviceId") VALUES ${values.join(',\n')} RETURNING id;\n`,
    );
    expect(ids).toHaveLength(USERS);
    planted.forEach((user, i) => users.push({ ...user, id: ids[i] as string, deadToken: deadTokens[i] as string }));

    instances = await Promise.all([0, 1].map(() => spawnServiceProcess(sandbox, { env: { MATRIX_RESET_LOG_LEVEL: 'debug' } })));
    const pids = instances.map((instance) => instance.child.pid);
    expect(new Set(pids).size).toBe(2);

    // What Synapse holds before: the 50 existing users, none of them with a token (their stored ones were logged out).
    expect(await matrixUsersNamed(sandbox.adminToken, prefix)).toHaveLength(USERS / 2);
    expect([...(await accessTokensPerUser(prefix)).values()].reduce((a, b) => a + b, 0)).toBe(0);

    // Ten calls per user, alternating instances, all in flight at once, in an order that mixes users.
    const jobs = Array.from({ length: CALLS_PER_USER }, (_, round) => users.map((user, u) => ({ user, instance: (round + u) % 2 }))).flat();
    const started = performance.now();
    answers.push(
      ...(await Promise.all(
        jobs.map(async ({ user, instance }): Promise<Answer> => {
          const response = await fetch(`${instances[instance]!.url}/v1/users/${user.id}/matrix-credentials`, {
            method: 'POST',
            headers: { authorization: `Bearer ${sandbox.tokens.reader}`, 'content-type': 'application/json' },
            body: '{}',
          });
          const text = await response.text();
          let body: Answer['body'] = {};
          try {
            body = JSON.parse(text) as Answer['body'];
          } catch {
            // Kept as text for the failure message.
          }
          return { status: response.status, instance, body, text };
        }),
      )),
    );
    burstMs = performance.now() - started;
    process.stderr.write(`ensure-load: ${jobs.length} calls on 2 instances in ${burstMs.toFixed(0)} ms\n`);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
  });

  it('answers every one of the 1,000 calls with 200, half of them from each instance', () => {
    expect(answers).toHaveLength(USERS * CALLS_PER_USER);
    const failed = answers.filter((answer) => answer.status !== 200).map((answer) => `${answer.status} ${answer.text}`);
    expect(failed).toEqual([]);
    expect(answers.filter((answer) => answer.instance === 0)).toHaveLength((USERS * CALLS_PER_USER) / 2);
  });

  it('gives all ten callers of a user the same user id and the same token, and each user a token of its own', () => {
    const byUser = new Map<string, Answer[]>();
    answers.forEach((answer, i) => {
      const user = users[i % USERS]!;
      byUser.set(user.id, [...(byUser.get(user.id) ?? []), answer]);
    });
    for (const user of users) {
      const mine = byUser.get(user.id) ?? [];
      expect(mine).toHaveLength(CALLS_PER_USER);
      expect(new Set(mine.map((answer) => answer.body.userId))).toEqual(new Set([user.userId]));
      expect(new Set(mine.map((answer) => answer.body.accessToken)).size).toBe(1);
      // Those that shared the provisioning report how it was done; calls after it (or waiting on the other instance) kept it.
      const sources = new Set(mine.map((answer) => answer.body.source));
      expect([...sources].filter((source) => source !== 'kept')).toEqual([user.expected]);
    }
    const tokens = new Set(answers.map((answer) => answer.body.accessToken));
    expect(tokens.size).toBe(USERS);
    expect([...tokens].every((token) => typeof token === 'string' && token.length > 0 && !users.some((user) => user.deadToken === token))).toBe(true);
  });

  it('stores each handed-out token in its row, and Synapse accepts it for the row’s user', async () => {
    const handedOut = new Map(answers.map((answer, i) => [users[i % USERS]!.id, answer.body.accessToken]));
    const rows = await psql(`SELECT id, "matrixUserId", "matrixAccessToken", "matrixDeviceId" IS NULL FROM "${sandbox.schema}".users ORDER BY id`);
    expect(rows).toHaveLength(USERS);
    const byId = new Map(rows.map((row) => row.split('\t')).map(([id = '', userId = '', token = '', noDevice = '']) => [id, { userId, token, noDevice }]));
    for (const user of users) {
      expect(byId.get(user.id)).toEqual({ userId: user.userId, token: handedOut.get(user.id), noDevice: 't' });
    }
    const whoami = await inBatches(users, 16, async (user) => {
      const response = await fetch(`${required('SYNAPSE_URL')}/_matrix/client/v3/account/whoami`, { headers: { authorization: `Bearer ${byId.get(user.id)?.token ?? ''}` } });
      return { status: response.status, userId: ((await response.json()) as { user_id?: string }).user_id };
    });
    expect(whoami).toEqual(users.map((user) => ({ status: 200, userId: user.userId })));
  });

  it('created exactly the 50 missing Matrix users and minted exactly one token per user (Synapse’s own tables)', async () => {
    const names = await matrixUsersNamed(sandbox.adminToken, prefix);
    expect(names.toSorted()).toEqual(users.map((user) => user.userId).toSorted());
    const perUser = await accessTokensPerUser(prefix);
    expect(Object.fromEntries(perUser)).toEqual(Object.fromEntries(users.map((user) => [user.userId, 1])));
  });

  it('provisioned once per user across both instances: 50 login-as and 50 created decisions, no write conflict, counters match', async () => {
    const events = instances.flatMap((instance) => instance.logEntries().filter((entry) => entry.msg === 'ensure-credentials'));
    const provisioned = events.filter((event) => event.type === 'ensured' && event.source !== 'kept');
    expect(provisioned.filter((event) => event.source === 'login-as')).toHaveLength(USERS / 2);
    expect(provisioned.filter((event) => event.source === 'created')).toHaveLength(USERS / 2);
    expect(new Set(provisioned.map((event) => event.key)).size).toBe(USERS);
    expect(events.filter((event) => event.type !== 'ensured')).toEqual([]);

    const counters = new Map<string, number>();
    for (const instance of instances) {
      const response = await fetch(`${instance.url}/metrics`, { headers: { authorization: `Bearer ${sandbox.tokens.ops}` } });
      expect(response.status).toBe(200);
      for (const [key, value] of ensureCounters(await response.text())) counters.set(key, (counters.get(key) ?? 0) + value);
    }
    // The counters count calls (callers sharing one provisioning each count it), all of them ok.
    expect([...counters.keys()].every((key) => key.endsWith('/ok'))).toBe(true);
    expect([...counters.values()].reduce((a, b) => a + b, 0)).toBe(USERS * CALLS_PER_USER);
    expect((counters.get('login-as/ok') ?? 0) + (counters.get('created/ok') ?? 0) + (counters.get('kept/ok') ?? 0)).toBe(USERS * CALLS_PER_USER);
    expect(counters.get('login-as/ok') ?? 0).toBeGreaterThanOrEqual(USERS / 2);
    expect(counters.get('created/ok') ?? 0).toBeGreaterThanOrEqual(USERS / 2);
  });

  it('writes no token (handed out, stored dead, or bearer) and no other secret into either instance’s output', () => {
    const secrets = [...sandbox.secrets, ...users.map((user) => user.deadToken), ...answers.map((answer) => answer.body.accessToken ?? '')].filter((secret) => secret.length >= 8);
    expect(secrets.length).toBeGreaterThan(2 * USERS);
    for (const instance of instances) {
      const output = instance.output();
      expect(output).toContain('"msg":"listening"');
      const leaked = secrets.filter((secret) => output.includes(secret));
      expect(leaked).toHaveLength(0);
    }
  });
});
