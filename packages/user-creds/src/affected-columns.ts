import { randomBytes } from 'node:crypto';
import type { AnyKysely } from './any-kysely.ts';
import { sql, type RawBuilder } from 'kysely';
import type { CredentialLayout } from './credential-layout.ts';
import type { DiscoveredSchema } from './discover-layout.ts';
import { UserCredsError } from './user-creds-error.ts';

/** What every operation needs: the database, the layout and our own schema's name. */
export interface UserCredsContext {
  readonly db: AnyKysely;
  readonly layout: CredentialLayout;
  readonly ownSchema: string;
}

/** One affected value of a row: a column, or one key of a jsonb column. Stored in snapshots under `alias`. */
export interface AffectedColumn {
  readonly alias: string;
  readonly kind: 'userId' | 'accessToken' | 'deviceId' | 'extra' | 'jsonbKey';
  readonly column: string;
  /** The jsonb key, for `jsonbKey`. */
  readonly key?: string;
}

/** The affected values present in one discovered schema, in a fixed order (the checksum depends on it). */
export function affectedColumns(schema: DiscoveredSchema): AffectedColumn[] {
  const out: AffectedColumn[] = [];
  if (schema.userId.present) out.push({ alias: 'user_id', kind: 'userId', column: schema.userId.name });
  if (schema.accessToken.present) out.push({ alias: 'access_token', kind: 'accessToken', column: schema.accessToken.name });
  if (schema.deviceId.present) out.push({ alias: 'device_id', kind: 'deviceId', column: schema.deviceId.name });
  schema.extraClearColumns.forEach((c, i) => {
    if (c.present) out.push({ alias: `x${i}`, kind: 'extra', column: c.name });
  });
  schema.jsonbKeys.forEach((j, i) => {
    if (j.present && j.type === 'jsonb') out.push({ alias: `j${i}`, kind: 'jsonbKey', column: j.name, key: j.key });
  });
  return out;
}

/** A SQL string literal for a trusted, configuration-supplied text (jsonb keys). */
export function textLiteral(text: string): RawBuilder<unknown> {
  return sql.raw(`'${text.replaceAll("'", "''")}'`);
}

/** The live value of an affected column of table alias `t`: `t."col"` or `(t."col" -> 'key')`. */
export function liveValue(column: AffectedColumn, tableAlias = 't'): RawBuilder<unknown> {
  return column.kind === 'jsonbKey'
    ? sql`(${sql.id(tableAlias, column.column)} -> ${textLiteral(column.key ?? '')})`
    : sql`${sql.id(tableAlias, column.column)}`;
}

/** `(v1 IS NOT NULL OR v2 IS NOT NULL ...)`: the row holds something this package would clear. */
export function anyPresent(columns: readonly AffectedColumn[], tableAlias = 't'): RawBuilder<unknown> {
  return sql`(${sql.join(columns.map((c) => sql`${liveValue(c, tableAlias)} IS NOT NULL`), sql` OR `)})`;
}

/** `(v1 IS NULL AND ...)`: the row is in the cleared state. */
export function allCleared(columns: readonly AffectedColumn[], tableAlias = 't'): RawBuilder<unknown> {
  return sql`(${sql.join(columns.map((c) => sql`${liveValue(c, tableAlias)} IS NULL`), sql` AND `)})`;
}

/** `t.v IS NOT DISTINCT FROM s.alias AND ...`: the live row still holds what the snapshot recorded. */
export function unchangedSince(columns: readonly AffectedColumn[]): RawBuilder<unknown> {
  return sql`(${sql.join(columns.map((c) => sql`${liveValue(c)} IS NOT DISTINCT FROM ${sql.id('s', c.alias)}`), sql` AND `)})`;
}

/** The SET list that clears: columns to NULL, jsonb keys removed (`col - 'key'`). */
export function clearAssignments(columns: readonly AffectedColumn[]): RawBuilder<unknown> {
  const plain = columns.filter((c) => c.kind !== 'jsonbKey').map((c) => sql`${sql.id(c.column)} = NULL`);
  const byJsonColumn = new Map<string, string[]>();
  for (const c of columns) if (c.kind === 'jsonbKey') byJsonColumn.set(c.column, [...(byJsonColumn.get(c.column) ?? []), c.key ?? '']);
  const json = [...byJsonColumn].map(([column, keys]) => {
    let expr = sql`${sql.id('t', column)}`;
    for (const key of keys) expr = sql`(${expr} - ${textLiteral(key)})`;
    return sql`${sql.id(column)} = ${expr}`;
  });
  return sql.join([...plain, ...json], sql`, `);
}

/** The SET list that restores from snapshot alias `s`: columns from the snapshot, jsonb keys merged back. */
export function restoreAssignments(columns: readonly AffectedColumn[]): RawBuilder<unknown> {
  const plain = columns.filter((c) => c.kind !== 'jsonbKey').map((c) => sql`${sql.id(c.column)} = ${sql.id('s', c.alias)}`);
  const byJsonColumn = new Map<string, AffectedColumn[]>();
  for (const c of columns) if (c.kind === 'jsonbKey') byJsonColumn.set(c.column, [...(byJsonColumn.get(c.column) ?? []), c]);
  const json = [...byJsonColumn].map(([column, keys]) => {
    let expr = sql`${sql.id('t', column)}`;
    for (const c of keys) {
      const saved = sql.id('s', c.alias);
      expr = sql`(CASE WHEN ${saved} IS NULL THEN ${expr} ELSE coalesce(${expr}, '{}'::jsonb) || jsonb_build_object(${textLiteral(c.key ?? '')}, ${saved}) END)`;
    }
    return sql`${sql.id(column)} = ${expr}`;
  });
  return sql.join([...plain, ...json], sql`, `);
}

/**
 * An order-independent checksum aggregate: `count:bit_xor(row hash)`, where a row hash xors the key's and each
 * value's 64-bit hash (`hashtextextended` of the text form, `jsonb_hash_extended` for jsonb keys), each seeded with
 * its position so that swapped values change it; NULLs hash to a per-position constant. PostgreSQL 14+.
 * `valueOf` gives the SQL for a column: the live table's value, or the backup table's alias.
 */
export function checksumAggregate(
  key: RawBuilder<unknown>,
  columns: readonly AffectedColumn[],
  valueOf: (column: AffectedColumn) => RawBuilder<unknown>,
): RawBuilder<string> {
  const parts = [
    sql`hashtextextended((${key})::text, 0)`,
    ...columns.map((c, i) => {
      const seed = sql.raw(String(i + 1));
      const hashed = c.kind === 'jsonbKey' ? sql`jsonb_hash_extended(${valueOf(c)}, ${seed})` : sql`hashtextextended((${valueOf(c)})::text, ${seed})`;
      return sql`coalesce(${hashed}, -${seed})`;
    }),
  ];
  return sql<string>`(count(*)::text || ':' || coalesce(bit_xor(${sql.join(parts, sql` # `)}), 0)::text)`;
}

/** The usable schemas of a discovery, or a typed error when there are none. */
export function usableSchemas(schemas: readonly DiscoveredSchema[], layout: CredentialLayout): DiscoveredSchema[] {
  const usable = schemas.filter((s) => s.usable);
  if (usable.length === 0) {
    const findings = schemas.map((s) => `${s.schema}: ${s.problems.join('; ') || 'no credential column'}`);
    throw new UserCredsError({
      code: 'no_usable_schema',
      message: `No schema matches layout ${layout.name} (table ${layout.table})${findings.length ? `: ${findings.join(' | ')}` : ': no schema selected'}`,
      nextSteps: ['Check the layout (schemas, table, key column) against the database, or define a custom mapping with defineLayout().'],
    });
  }
  return usable;
}

const RUN_ID = /^[a-z0-9][a-z0-9_]{0,31}$/;

/** Checks a run id: 1-32 of a-z, 0-9 and `_`, starting with a letter or digit. */
export function checkRunId(runId: string): string {
  if (!RUN_ID.test(runId)) {
    throw new UserCredsError({
      code: 'invalid_run_id',
      message: `Run id ${JSON.stringify(runId)} is not valid: use 1-32 of a-z, 0-9 and _, starting with a letter or digit`,
      nextSteps: ["For example: 'reset_20250101' or newRunId()."],
    });
  }
  return runId;
}

/**
 * A fresh run id: `r`, the UTC time to the second, and 8 hex digits of crypto randomness (4 bytes), so ids made in
 * the same second by several processes do not collide and still sort by time when read. Passes {@link checkRunId}.
 *
 * @example
 * ```ts
 * newRunId(); // 'r20250101t120000_3fa9c2d1'
 * ```
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  return `r${stamp}_${randomBytes(4).toString('hex')}`;
}
