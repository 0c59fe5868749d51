import { createUserCreds, openmeetLayout, postgresKysely } from '@matrix-reset/user-creds';
import { sql } from 'kysely';

/**
 * One credential stream in a fresh Node process (forked by the user-creds benchmark), so every measurement starts
 * from the same heap and allocator state: `library` runs `creds.stream()`; `bare` runs the same keyset pagination
 * as a plain Kysely loop (the driver-stack baseline). Measures its own RSS from just before the first row to the
 * end, sampling between pages and after each tenth of the rows, and sends the figures to the parent.
 */
interface ChildInput {
  url: string;
  like: string;
  pageSize: number;
  mode: 'library' | 'bare';
  total: number;
}

const input = JSON.parse(process.env.MR_BENCH_STREAM ?? '{}') as ChildInput;
const db = postgresKysely({ connectionString: input.url, max: 1 });
const tenth = Math.max(1, Math.floor(input.total / 10));
const mb = (bytes: number) => bytes / 1024 / 1024;
try {
  const creds = createUserCreds({ db, layout: openmeetLayout({ schemas: { like: [input.like] } }) });
  const discovery = await creds.discover();
  const start = process.memoryUsage.rss();
  let peak = start;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const byTenth: number[] = [];
  let rows = 0;
  const count = () => {
    rows++;
    if (rows % tenth === 0) {
      const now = process.memoryUsage.rss();
      peak = Math.max(peak, now);
      byTenth.push(mb(now - start));
    }
  };
  const started = performance.now();
  if (input.mode === 'library') {
    for await (const credential of creds.stream({ pageSize: input.pageSize })) if (credential.accessToken !== null) count();
  } else {
    for (const schema of discovery.schemas) {
      let last = 0;
      for (;;) {
        const page = await sql<{ id: number; token: string | null }>`
          SELECT id, id::text AS key_text, "matrixUserId"::text AS user_id, "matrixAccessToken"::text AS token,
                 "matrixDeviceId"::text AS device_id, slug::text AS slug
          FROM ${sql.id(schema.schema, 'users')} WHERE id > ${last} ORDER BY id LIMIT ${input.pageSize}`.execute(db);
        for (const row of page.rows) if (row.token !== null) count();
        peak = Math.max(peak, process.memoryUsage.rss());
        if (page.rows.length < input.pageSize) break;
        last = page.rows[page.rows.length - 1]?.id ?? last;
      }
    }
  }
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  process.send?.({ rows, seconds: (performance.now() - started) / 1000, rssGrowthMb: mb(peak - start), rssGrowthByTenthMb: byTenth });
} finally {
  await db.destroy();
}
