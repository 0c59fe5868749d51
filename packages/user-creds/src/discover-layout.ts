import type { AnyKysely } from './any-kysely.ts';
import { sql } from 'kysely';
import { templatePlaceholders, type CredentialLayout } from './credential-layout.ts';

/** One column the layout names, and whether this schema's table has it. */
export interface ColumnPresence {
  readonly name: string;
  readonly present: boolean;
  /** `format_type` of the column, when present (`character varying(255)`, `jsonb`, ...). */
  readonly type: string | undefined;
}

/** A room-reference column in another table of the schema. */
export interface RoomColumnPresence {
  readonly table: string;
  readonly column: string;
  readonly present: boolean;
}

/** What discovery found in one schema. */
export interface DiscoveredSchema {
  readonly schema: string;
  readonly table: string;
  readonly tableFound: boolean;
  readonly key: ColumnPresence & { readonly unique: boolean };
  readonly userId: ColumnPresence;
  readonly accessToken: ColumnPresence;
  readonly deviceId: ColumnPresence;
  readonly extraClearColumns: readonly ColumnPresence[];
  readonly jsonbKeys: readonly (ColumnPresence & { readonly key: string })[];
  readonly templateColumns: readonly ColumnPresence[];
  readonly relatedRoomColumns: readonly RoomColumnPresence[];
  /** Row count of the table (undefined when the table is missing): exact, or the planner's estimate. */
  readonly rowCount: number | undefined;
  readonly rowCountExact: boolean;
  /** True when the table, a unique key and at least one credential column are there: operations cover it. */
  readonly usable: boolean;
  /** Human-readable findings: missing columns, wrong types, no unique key. Never values. */
  readonly problems: readonly string[];
}

/** The result of inspecting the catalog for a layout: nothing has been written when you hold one. */
export interface Discovery {
  readonly layout: CredentialLayout;
  readonly schemas: readonly DiscoveredSchema[];
}

interface ColumnRow {
  schema: string;
  table: string;
  column: string;
  type: string;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const TEMPLATE_BUILTINS = new Set(['schema', 'tenant']);

/** The schemas a layout selects, from `pg_namespace`, sorted by name. */
async function selectSchemas(db: AnyKysely, layout: CredentialLayout): Promise<string[]> {
  const likes = [...layout.schemas.like];
  const names = [...layout.schemas.names];
  const result = await sql<{ schema: string }>`
    SELECT nspname AS schema FROM pg_catalog.pg_namespace
    WHERE nspname LIKE ANY(${likes}::text[]) OR nspname = ANY(${names}::text[])
    ORDER BY nspname`.execute(db);
  return result.rows.map((r) => r.schema);
}

/**
 * Inspects the catalog (`pg_namespace`, `pg_class`, `pg_attribute`, `pg_index`) for `layout` and reports, per
 * selected schema, the table, which columns are present or missing, the unique key and the row count (exact by
 * default; `rowCounts: 'estimate'` reads `pg_class.reltuples` instead of scanning). Reads only.
 *
 * @example
 * ```ts
 * const discovery = await discoverLayout(db, openmeetLayout());
 * for (const s of discovery.schemas) console.error(s.schema, s.usable, s.problems);
 * ```
 */
export async function discoverLayout(db: AnyKysely, layout: CredentialLayout, options: { rowCounts?: 'exact' | 'estimate' } = {}): Promise<Discovery> {
  const exact = options.rowCounts !== 'estimate';
  const schemas = await selectSchemas(db, layout);
  const tables = [layout.table, ...layout.relatedRoomColumns.map((r) => r.table)];
  const columnRows =
    schemas.length === 0
      ? []
      : (
          await sql<ColumnRow>`
            SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY(${schemas}::text[]) AND c.relname = ANY(${tables}::text[])
              AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`.execute(db)
        ).rows;
  const uniqueRows =
    schemas.length === 0
      ? []
      : (
          await sql<{ schema: string; column: string }>`
            SELECT n.nspname AS schema, a.attname AS column
            FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
            WHERE i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL
              AND n.nspname = ANY(${schemas}::text[]) AND c.relname = ${layout.table}`.execute(db)
        ).rows;
  const columns = new Map<string, ColumnRow>();
  for (const row of columnRows) columns.set(`${row.schema}\0${row.table}\0${row.column}`, row);
  const unique = new Set(uniqueRows.map((r) => `${r.schema}\0${r.column}`));

  const found: DiscoveredSchema[] = [];
  for (const schema of schemas) {
    const presence = (column: string, table = layout.table): ColumnPresence => {
      const row = columns.get(`${schema}\0${table}\0${column}`);
      return Object.freeze({ name: column, present: row !== undefined, type: row?.type });
    };
    const tableFound = columnRows.some((r) => r.schema === schema && r.table === layout.table);
    const key = Object.freeze({ ...presence(layout.keyColumn), unique: unique.has(`${schema}\0${layout.keyColumn}`) });
    const userId = presence(layout.columns.userId);
    const accessToken = presence(layout.columns.accessToken);
    const deviceId = presence(layout.columns.deviceId);
    const extraClearColumns = layout.extraClearColumns.map((c) => presence(c));
    const jsonbKeys = layout.jsonbKeys.map((j) => Object.freeze({ ...presence(j.column), key: j.key }));
    const templateColumns = templatePlaceholders(layout.localpartTemplate ?? '')
      .filter((p) => !TEMPLATE_BUILTINS.has(p))
      .map((c) => presence(c));
    const relatedRoomColumns = layout.relatedRoomColumns.map((r) =>
      Object.freeze({ table: r.table, column: r.column, present: presence(r.column, r.table).present }),
    );
    const problems: string[] = [];
    if (!tableFound) problems.push(`table ${schema}.${layout.table} not found`);
    else {
      if (!key.present) problems.push(`key column ${layout.keyColumn} missing`);
      else if (!key.unique) problems.push(`key column ${layout.keyColumn} has no single-column unique index`);
      for (const c of [userId, accessToken, deviceId, ...extraClearColumns]) {
        if (!c.present) problems.push(`column ${c.name} missing`);
      }
      for (const j of jsonbKeys) {
        if (!j.present) problems.push(`jsonb column ${j.name} missing`);
        else if (j.type !== 'jsonb') problems.push(`column ${j.name} is ${j.type}, not jsonb: key ${j.key} is left alone`);
      }
      for (const c of templateColumns) if (!c.present) problems.push(`localpart template column ${c.name} missing`);
      for (const r of relatedRoomColumns) if (!r.present) problems.push(`room column ${r.table}.${r.column} missing`);
    }
    const anyCredential = [userId, accessToken, deviceId, ...extraClearColumns].some((c) => c.present) || jsonbKeys.some((j) => j.present && j.type === 'jsonb');
    const usable = tableFound && key.present && key.unique && anyCredential;
    let rowCount: number | undefined;
    if (tableFound && exact) {
      const count = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.id(schema, layout.table)}`.execute(db);
      rowCount = Number(count.rows[0]?.n ?? 0);
    } else if (tableFound) {
      const estimate = await sql<{ n: number }>`
        SELECT greatest(reltuples, 0)::float8 AS n FROM pg_catalog.pg_class WHERE oid = ${`${quoteIdent(schema)}.${quoteIdent(layout.table)}`}::regclass`.execute(db);
      rowCount = Math.round(Number(estimate.rows[0]?.n ?? 0));
    }
    found.push(
      Object.freeze({
        schema,
        table: layout.table,
        tableFound,
        key,
        userId,
        accessToken,
        deviceId,
        extraClearColumns: Object.freeze(extraClearColumns),
        jsonbKeys: Object.freeze(jsonbKeys),
        templateColumns: Object.freeze(templateColumns),
        relatedRoomColumns: Object.freeze(relatedRoomColumns),
        rowCount,
        rowCountExact: exact,
        usable,
        problems: Object.freeze(problems),
      }),
    );
  }
  return Object.freeze({ layout, schemas: Object.freeze(found) });
}
