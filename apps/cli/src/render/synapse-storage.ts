import type { SynapseDatabaseEndpoint, SynapseDatabaseObservation, SynapseStorage } from '@matrix-reset/reset-core';

/** `12.3 MB`: bytes in the largest unit of 1024 that keeps the number at least 1. */
function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `synapse@127.0.0.1:5432/synapse (homeserver.yaml, host from matrix-reset.yaml; password from homeserver.yaml)` */
function describeEndpoint(endpoint: SynapseDatabaseEndpoint): string {
  const where = `${endpoint.user === undefined ? '' : `${endpoint.user}@`}${endpoint.host ?? '(default host)'}${endpoint.port === undefined ? '' : `:${endpoint.port}`}/${endpoint.database ?? '(default database)'}`;
  const from =
    endpoint.from === 'url'
      ? 'from synapse.database.url'
      : `from homeserver.yaml${endpoint.overridden.length === 0 ? '' : `, ${endpoint.overridden.join(', ')} from synapse.database`}`;
  const password = endpoint.password === 'none' ? 'no password' : `password from ${endpoint.password}`;
  return `${where} (${from}; ${password}${endpoint.tls === 'off' ? '' : `; TLS ${endpoint.tls}`})`;
}

/**
 * Lines describing a Postgres-backed Synapse's database as observed (doctor and plan show the same): where it is,
 * its server, shape, the connecting role's rights, its sessions, Synapse's schema version and the other databases
 * on the server; or why it could not be reached. Never a password.
 */
export function renderSynapseDatabase(database: SynapseDatabaseObservation, indent = '  '): string[] {
  if (!database.reachable) {
    return [
      ...(database.endpoint === undefined ? [] : [`${indent}Database: ${describeEndpoint(database.endpoint)}`]),
      `${indent}Not reachable: ${database.error.code}: ${database.error.message}`,
    ];
  }
  const { database: db, role, schema, otherDatabases } = database;
  const rights = role.superuser
    ? 'superuser'
    : [role.ownsDatabase ? 'owns the database' : 'does not own the database', role.createDatabase ? 'CREATEDB' : 'no CREATEDB'].join(', ');
  const schemaText = schema.state === 'present' ? `schema version ${schema.version}` : schema.state === 'absent' ? 'no Synapse schema (empty database)' : `schema version unreadable (${schema.code})`;
  const others = otherDatabases.count === 0 ? 'none' : `${otherDatabases.count}: ${otherDatabases.names.join(', ')}${otherDatabases.count > otherDatabases.names.length ? ', ...' : ''}`;
  return [
    `${indent}Database: ${describeEndpoint(database.endpoint)}`,
    `${indent}PostgreSQL ${database.server.version}; ${db.name}: ${formatBytes(db.sizeBytes)}, owner ${db.owner}, encoding ${db.encoding}, collate ${db.collate}, ctype ${db.ctype}`,
    `${indent}Role ${role.name}: ${rights}; ${database.connections} other session${database.connections === 1 ? '' : 's'} on it now; ${schemaText}`,
    `${indent}Other databases on the server: ${others}`,
  ];
}

/** doctor's lines on where Synapse keeps its data: the engine, what deleting the PVC does, and the database. */
export function renderSynapseStorage(storage: SynapseStorage, database: SynapseDatabaseObservation | undefined): string[] {
  let head: string;
  if (storage.engine === 'sqlite3') {
    const wipes = storage.pvcDeletionWipesUsers === true ? 'deleting the PVC wipes users and tokens' : storage.pvcDeletionWipesUsers === false ? 'not on the PVC' : 'on the PVC or not: unknown';
    head = `SQLite ${storage.databasePath} (${wipes})`;
  } else if (storage.engine === 'psycopg2') {
    head = 'Postgres (deleting the PVC invalidates no token)';
  } else {
    head = `unknown: ${storage.reason}`;
  }
  return [`Synapse's data: ${head}${storage.source === undefined ? '' : `, from ${storage.source}`}`, ...(database === undefined ? [] : renderSynapseDatabase(database))];
}
