import { sql } from 'kysely';
import { affectedColumns, anyPresent, usableSchemas, type UserCredsContext } from './affected-columns.ts';
import { renderLocalpart } from './credential-layout.ts';
import { discoverLayout } from './discover-layout.ts';

/**
 * One row's stored Matrix credentials. `accessToken` is a live secret: do not log these objects.
 * Columns missing from the schema read as `null`.
 */
export interface StoredCredential {
  readonly schema: string;
  /** The key column's value, as text. */
  readonly key: string;
  readonly userId: string | null;
  readonly accessToken: string | null;
  readonly deviceId: string | null;
  /** From the layout's localpart template, when it has one and the row has every placeholder. */
  readonly localpart: string | undefined;
}

export interface StreamCredentialsOptions {
  /** Rows fetched per query (default 1000): memory stays bounded by one page. */
  pageSize?: number;
  /** Also yield rows holding no credential at all (default false). */
  includeEmpty?: boolean;
  /** Only these schemas. */
  schemas?: readonly string[];
}

/**
 * Streams stored credentials schema by schema, in key order, by keyset pagination on the key column (never OFFSET),
 * holding one page in memory at a time.
 *
 * @example
 * ```ts
 * let withToken = 0;
 * for await (const credential of streamCredentials(ctx, { pageSize: 2000 })) {
 *   if (credential.accessToken !== null) withToken += 1;
 * }
 * ```
 */
export async function* streamCredentials(ctx: UserCredsContext, options: StreamCredentialsOptions = {}): AsyncGenerator<StoredCredential> {
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
  const discovery = await discoverLayout(ctx.db, ctx.layout, { rowCounts: 'estimate' });
  const template = ctx.layout.localpartTemplate;
  for (const schema of usableSchemas(discovery.schemas, ctx.layout)) {
    if (options.schemas !== undefined && !options.schemas.includes(schema.schema)) continue;
    const columns = affectedColumns(schema);
    const key = sql.id('t', ctx.layout.keyColumn);
    const nullText = sql`NULL::text`;
    const pick = (present: boolean, name: string) => (present ? sql`${sql.id('t', name)}::text` : nullText);
    const templateColumns = schema.templateColumns.filter((c) => c.present).map((c) => sql`${sql.id('t', c.name)}::text AS ${sql.id(`tpl_${c.name}`)}`);
    const where = options.includeEmpty ? sql`true` : anyPresent(columns);
    let last: unknown = undefined;
    for (;;) {
      const after = last === undefined ? sql`true` : sql`${key} > ${last}`;
      const page = await sql<Record<string, unknown> & { k: unknown; key_text: string; user_id: string | null; access_token: string | null; device_id: string | null }>`
        SELECT ${key} AS k, ${key}::text AS key_text,
               ${pick(schema.userId.present, schema.userId.name)} AS user_id,
               ${pick(schema.accessToken.present, schema.accessToken.name)} AS access_token,
               ${pick(schema.deviceId.present, schema.deviceId.name)} AS device_id
               ${templateColumns.length ? sql`, ${sql.join(templateColumns, sql`, `)}` : sql``}
        FROM ${sql.id(schema.schema, schema.table)} t
        WHERE ${where} AND ${after}
        ORDER BY ${key} LIMIT ${pageSize}`.execute(ctx.db);
      for (const row of page.rows) {
        const templateRow: Record<string, unknown> = {};
        for (const c of schema.templateColumns) templateRow[c.name] = row[`tpl_${c.name}`];
        yield Object.freeze({
          schema: schema.schema,
          key: row.key_text,
          userId: row.user_id,
          accessToken: row.access_token,
          deviceId: row.device_id,
          localpart: template === undefined ? undefined : renderLocalpart(template, templateRow, schema.schema),
        });
      }
      if (page.rows.length < pageSize) break;
      last = page.rows[page.rows.length - 1]?.k;
    }
  }
}
