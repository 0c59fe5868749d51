import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** True for the official Postgres image (`postgres:17-alpine`, `docker.io/library/postgres:15`). */
export function isPostgresImage(image: string): boolean {
  return /(^|\/)postgres(:|@|$)/.test(image);
}

/**
 * The directory of the machine's Postgres programs (`postgres`, `initdb`, `pg_ctl`, `psql`): `KUBE_SIM_POSTGRES_BIN`,
 * else the newest `/usr/lib/postgresql/<version>/bin` (Debian's packages).
 *
 * @example
 * postgresBinDir(); // "/usr/lib/postgresql/15/bin"
 */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env['KUBE_SIM_POSTGRES_BIN'];
  if (configured !== undefined && configured !== '') return configured;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/**
 * What the image's `docker-entrypoint.sh` does, for the machine's Postgres run inside the pod as the `postgres`
 * user: the pod gets its own `/var/run/postgresql` (a tmpfs in its mount namespace, unless a volume is mounted
 * there); an empty `$PGDATA` (default `/var/lib/postgresql/data`, on the pod's volume) is initialised with
 * `initdb` (`POSTGRES_USER`, the password from `POSTGRES_PASSWORD` or `POSTGRES_PASSWORD_FILE` through a file,
 * `POSTGRES_INITDB_ARGS`; the locale from `LC_COLLATE`/`LC_CTYPE`), remote connections need
 * `POSTGRES_HOST_AUTH_METHOD` (default scram-sha-256), `POSTGRES_DB` is created and the `*.sh`/`*.sql` files of
 * `/docker-entrypoint-initdb.d` run against a server listening on the socket only; then `postgres` runs on every
 * address with the container's args (`-c max_connections=…`).
 */
const ENTRYPOINT = String.raw`set -eu
PGDATA="${'$'}{PGDATA:-/var/lib/postgresql/data}"
export PGDATA
mkdir -p /var/run/postgresql
mountpoint -q /var/run/postgresql || mount -t tmpfs -o mode=2775 kube-sim-pg-run /var/run/postgresql
chown postgres:postgres /var/run/postgresql
mkdir -p "$PGDATA"
chown postgres:postgres "$PGDATA"
chmod 700 "$PGDATA"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  password="${'$'}{POSTGRES_PASSWORD:-}"
  if [ -n "${'$'}{POSTGRES_PASSWORD_FILE:-}" ]; then password="$(cat "$POSTGRES_PASSWORD_FILE")"; fi
  if [ -z "$password" ] && [ "${'$'}{POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
    echo 'Error: Database is uninitialized and superuser password is not specified (POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE).' >&2
    exit 1
  fi
  pwfile=/var/run/postgresql/.initdb-password
  (umask 077 && printf '%s\n' "$password" > "$pwfile")
  chown postgres "$pwfile"
  # shellcheck disable=SC2086
  as_postgres initdb --username="${'$'}{POSTGRES_USER:-postgres}" --pwfile="$pwfile" ${'$'}{POSTGRES_INITDB_ARGS:-}
  rm -f "$pwfile"
  printf '\nhost all all all %s\n' "${'$'}{POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"
  as_postgres pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" start
  export PGUSER="${'$'}{POSTGRES_USER:-postgres}" PGHOST=/var/run/postgresql
  database="${'$'}{POSTGRES_DB:-$PGUSER}"
  if [ "$database" != postgres ]; then as_postgres psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"$database\""; fi
  for file in /docker-entrypoint-initdb.d/*; do
    case "$file" in
      *.sh) echo "running $file"; as_postgres sh "$file" ;;
      *.sql) echo "running $file"; as_postgres psql -X -q -v ON_ERROR_STOP=1 -d "$database" -f "$file" ;;
    esac
  done
  as_postgres pg_ctl -D "$PGDATA" -m fast -w stop
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups -- postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql "$@"
`;

/**
 * The command the kubelet runs for a Postgres container: the entrypoint above with the container's args, or the
 * container's own `command` (a sidecar using the image's tools), with the machine's Postgres programs on `PATH`.
 *
 * @example
 * const { command, args } = postgresCommand({ command: [], args: ['-c', 'max_connections=50'] });
 */
export function postgresCommand(options: { command: readonly string[]; args: readonly string[] }): { command: string; args: string[] } {
  if (options.command.length > 0) return { command: options.command[0] ?? 'true', args: [...options.command.slice(1), ...options.args] };
  const args = options.args[0] === 'postgres' ? options.args.slice(1) : options.args;
  return { command: 'sh', args: ['-c', ENTRYPOINT, 'docker-entrypoint.sh', ...args] };
}
