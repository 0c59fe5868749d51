import { UserCredsError } from './user-creds-error.ts';

/**
 * Which schemas a layout covers: `LIKE` patterns (`tenant_%`, where `_` is any one character) and exact names.
 * With neither, `public`; with only patterns, no exact names.
 */
export interface SchemaSelector {
  like?: readonly string[];
  names?: readonly string[];
}

/** A jsonb key that holds Matrix state and is removed with the credentials (`preferences - 'matrix'`). */
export interface JsonbKeyRef {
  column: string;
  key: string;
}

/** A column elsewhere in the schema that refers to a Matrix room (reported, never cleared by this package). */
export interface RoomColumnRef {
  table: string;
  column: string;
}

/**
 * Where an app keeps its users' Matrix credentials. Frozen; build one with {@link defineLayout} or a preset.
 */
export interface CredentialLayout {
  readonly name: string;
  readonly schemas: Readonly<Required<SchemaSelector>>;
  readonly table: string;
  /** A column with a single-column unique index (usually the primary key): keyset pagination and restore use it. */
  readonly keyColumn: string;
  readonly columns: Readonly<{ userId: string; accessToken: string; deviceId: string }>;
  /** Other columns set to NULL with the credentials. */
  readonly extraClearColumns: readonly string[];
  readonly jsonbKeys: readonly JsonbKeyRef[];
  readonly relatedRoomColumns: readonly RoomColumnRef[];
  /**
   * How the Matrix localpart is derived from a row: `{column}` placeholders, plus `{schema}` and `{tenant}` (the
   * schema name without its `tenant_` prefix). Undefined when the stored user id is the only source.
   */
  readonly localpartTemplate: string | undefined;
}

/** What {@link defineLayout} accepts: everything but `name`, `table`, `keyColumn` and `columns` is optional. */
export interface LayoutDefinition {
  name: string;
  schemas?: SchemaSelector;
  table: string;
  keyColumn: string;
  columns: { userId: string; accessToken: string; deviceId: string };
  extraClearColumns?: readonly string[];
  jsonbKeys?: readonly JsonbKeyRef[];
  relatedRoomColumns?: readonly RoomColumnRef[];
  localpartTemplate?: string;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;

function invalid(problem: string, example: string): UserCredsError {
  return new UserCredsError({
    code: 'invalid_layout',
    message: `Invalid credential layout: ${problem}`,
    nextSteps: [`For example: ${example}`],
  });
}

function checkName(what: string, value: unknown, example: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 63 || value.includes('\0')) {
    throw invalid(`${what} must be a non-empty identifier of at most 63 characters, got ${JSON.stringify(value)}`, example);
  }
  return value;
}

/**
 * The placeholders of a localpart template, in order (`{slug}_{tenant}` -> `['slug', 'tenant']`).
 *
 * @example
 * ```ts
 * templatePlaceholders('{slug}_{tenant}'); // ['slug', 'tenant']
 * ```
 */
export function templatePlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
}

/**
 * Validates a custom mapping and returns a frozen {@link CredentialLayout}. Identifiers are used quoted, exactly as
 * spelled (`matrixUserId` is the camelCase column, not `matrixuserid`).
 *
 * @example
 * ```ts
 * const layout = defineLayout({
 *   name: 'acme',
 *   schemas: { like: ['org_%'] },
 *   table: 'accounts',
 *   keyColumn: 'id',
 *   columns: { userId: 'mx_user', accessToken: 'mx_token', deviceId: 'mx_device' },
 *   extraClearColumns: ['mx_sync_token'],
 *   relatedRoomColumns: [{ table: 'channels', column: 'mx_room' }],
 *   localpartTemplate: '{handle}_{schema}',
 * });
 * ```
 */
export function defineLayout(definition: LayoutDefinition): CredentialLayout {
  const example = "defineLayout({ name: 'app', table: 'users', keyColumn: 'id', columns: { userId: 'matrix_user_id', accessToken: 'matrix_access_token', deviceId: 'matrix_device_id' } })";
  const name = checkName('name', definition.name, example);
  const table = checkName('table', definition.table, example);
  const keyColumn = checkName('keyColumn', definition.keyColumn, example);
  const columns = definition.columns as Partial<LayoutDefinition['columns']> | undefined;
  const userId = checkName('columns.userId', columns?.userId, example);
  const accessToken = checkName('columns.accessToken', columns?.accessToken, example);
  const deviceId = checkName('columns.deviceId', columns?.deviceId, example);
  const like = [...(definition.schemas?.like ?? [])].map((p) => checkName('schemas.like pattern', p, "schemas: { like: ['tenant_%'] }"));
  const names = [...(definition.schemas?.names ?? (like.length === 0 ? ['public'] : []))].map((n) => checkName('schemas.names entry', n, "schemas: { names: ['public'] }"));
  if (like.length === 0 && names.length === 0) {
    throw invalid('schemas selects nothing: give at least one LIKE pattern or schema name', "schemas: { like: ['tenant_%'], names: ['public'] }");
  }
  const extraClearColumns = [...(definition.extraClearColumns ?? [])].map((c) => checkName('extraClearColumns entry', c, "extraClearColumns: ['matrix_sync_token']"));
  const jsonbKeys = (definition.jsonbKeys ?? []).map((ref) => ({
    column: checkName('jsonbKeys column', ref.column, "jsonbKeys: [{ column: 'preferences', key: 'matrix' }]"),
    key: checkName('jsonbKeys key', ref.key, "jsonbKeys: [{ column: 'preferences', key: 'matrix' }]"),
  }));
  const relatedRoomColumns = (definition.relatedRoomColumns ?? []).map((ref) => ({
    table: checkName('relatedRoomColumns table', ref.table, "relatedRoomColumns: [{ table: 'events', column: 'matrixRoomId' }]"),
    column: checkName('relatedRoomColumns column', ref.column, "relatedRoomColumns: [{ table: 'events', column: 'matrixRoomId' }]"),
  }));
  const credentialColumns = [keyColumn, userId, accessToken, deviceId, ...extraClearColumns, ...jsonbKeys.map((j) => j.column)];
  if (new Set(credentialColumns).size !== credentialColumns.length) {
    throw invalid(`a column is named twice among keyColumn, columns, extraClearColumns and jsonbKeys (${credentialColumns.join(', ')})`, example);
  }
  const template = definition.localpartTemplate;
  if (template !== undefined) {
    const placeholders = templatePlaceholders(template);
    if (placeholders.length === 0 || placeholders.some((p) => p === '') || /[{}]/.test(template.replace(PLACEHOLDER, ''))) {
      throw invalid(`localpartTemplate ${JSON.stringify(template)} must use {column}, {schema} or {tenant} placeholders with balanced braces`, "localpartTemplate: '{slug}_{tenant}'");
    }
  }
  return Object.freeze({
    name,
    schemas: Object.freeze({ like: Object.freeze(like), names: Object.freeze(names) }),
    table,
    keyColumn,
    columns: Object.freeze({ userId, accessToken, deviceId }),
    extraClearColumns: Object.freeze(extraClearColumns),
    jsonbKeys: Object.freeze(jsonbKeys.map((j) => Object.freeze(j))),
    relatedRoomColumns: Object.freeze(relatedRoomColumns.map((r) => Object.freeze(r))),
    localpartTemplate: template,
  });
}

/**
 * The runbook's shape: one `"user"` table in `public` with `matrix_user_id`, `matrix_access_token`,
 * `matrix_device_id`, keyed by `id`. Override `schemas` to point at another schema.
 *
 * @example
 * ```ts
 * const layout = runbookLayout();
 * const elsewhere = runbookLayout({ schemas: { names: ['app'] } });
 * ```
 */
export function runbookLayout(options: { schemas?: SchemaSelector; keyColumn?: string } = {}): CredentialLayout {
  return defineLayout({
    name: 'runbook',
    schemas: options.schemas ?? { names: ['public'] },
    table: 'user',
    keyColumn: options.keyColumn ?? 'id',
    columns: { userId: 'matrix_user_id', accessToken: 'matrix_access_token', deviceId: 'matrix_device_id' },
  });
}

/**
 * OpenMeet's shape: one schema per tenant (`tenant_%`) plus `public`, table `users` keyed by `id`, camelCase columns
 * `"matrixUserId"`, `"matrixAccessToken"`, `"matrixDeviceId"` (some may be missing in some schemas), `preferences`
 * jsonb key `matrix` cleared with them, `events`/`groups` `"matrixRoomId"` as room references, localparts
 * `{slug}_{tenant}`.
 *
 * @example
 * ```ts
 * const layout = openmeetLayout();
 * const oneTenant = openmeetLayout({ schemas: { names: ['tenant_acme'] } });
 * ```
 */
export function openmeetLayout(options: { schemas?: SchemaSelector } = {}): CredentialLayout {
  return defineLayout({
    name: 'openmeet',
    schemas: options.schemas ?? { like: ['tenant_%'], names: ['public'] },
    table: 'users',
    keyColumn: 'id',
    columns: { userId: 'matrixUserId', accessToken: 'matrixAccessToken', deviceId: 'matrixDeviceId' },
    jsonbKeys: [{ column: 'preferences', key: 'matrix' }],
    relatedRoomColumns: [
      { table: 'events', column: 'matrixRoomId' },
      { table: 'groups', column: 'matrixRoomId' },
    ],
    localpartTemplate: '{slug}_{tenant}',
  });
}

/**
 * Renders a localpart template for one row. Returns undefined when a placeholder's column is NULL or absent.
 *
 * @example
 * ```ts
 * renderLocalpart('{slug}_{tenant}', { slug: 'alice' }, 'tenant_acme'); // 'alice_acme'
 * ```
 */
export function renderLocalpart(template: string, row: Readonly<Record<string, unknown>>, schema: string): string | undefined {
  let missing = false;
  const out = template.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = name === 'schema' ? schema : name === 'tenant' ? schema.replace(/^tenant_/, '') : row[name];
    if (value === null || value === undefined) {
      missing = true;
      return '';
    }
    return String(value);
  });
  return missing ? undefined : out.toLowerCase();
}
