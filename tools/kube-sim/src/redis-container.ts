/**
 * True for the Redis images charts deploy: the official one (`redis:7`, `docker.io/library/redis:7.4-alpine`) and
 * Bitnami's (`bitnami/redis`, `docker.io/bitnamilegacy/redis:7.4.2`), as the ananace chart's Redis subchart runs.
 *
 * @example
 * isRedisImage('docker.io/bitnamilegacy/redis:7.4.2-debian-12-r0'); // true
 */
export function isRedisImage(image: string): boolean {
  return /(^|\/)redis(:|@|$)/.test(image);
}

/** The machine's Redis server, which a Redis image's container runs (`KUBE_SIM_REDIS_SERVER` overrides it). */
export function redisServerPath(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['KUBE_SIM_REDIS_SERVER'];
  return configured !== undefined && configured !== '' ? configured : '/usr/bin/redis-server';
}

/**
 * The image's start-up, for the machine's `redis-server` inside the pod: a cache that keeps nothing on disk
 * (`--save ''`, `--appendonly no`) listening on every address of the pod (`--bind * -::*`, `--protected-mode no`,
 * as the official image is built to) on `REDIS_PORT_NUMBER` (Bitnami's variable,
 * default 6379); the container's args follow and win. `REDIS_PASSWORD` set (Bitnami's variable, from the chart's
 * Secret) turns authentication on: the password reaches `redis-server` as a `requirepass` line of the config it
 * reads on stdin (`redis-server -`, a here-document), so it is on no command line; `redis-server` is the
 * container's process (exec), so the kubelet's SIGTERM reaches it.
 */
const ENTRYPOINT = String.raw`set -eu
server="$1"; shift
if [ -n "${'$'}{REDIS_PASSWORD:-}" ]; then
  password="$(printf '%s' "$REDIS_PASSWORD" | sed 's/[\\"]/\\&/g')"
  exec "$server" - "$@" <<CONFIG
requirepass "$password"
CONFIG
fi
exec "$server" "$@"
`;

/**
 * The command the kubelet runs for a Redis container: the container's own `command` when it names one (a sidecar
 * using the image's tools), else {@link ENTRYPOINT} with the container's args (a leading `redis-server`, as the
 * official image accepts, dropped).
 *
 * @example
 * const { command, args } = redisCommand({ command: [], args: [], env: { REDIS_PORT_NUMBER: '6379' } });
 * // command: 'sh', args: ['-c', '…', 'redis-entrypoint.sh', '/usr/bin/redis-server', '--port', '6379', …]
 */
export function redisCommand(options: { command: readonly string[]; args: readonly string[]; env: Record<string, string> }): { command: string; args: string[] } {
  if (options.command.length > 0) return { command: options.command[0] ?? 'true', args: [...options.command.slice(1), ...options.args] };
  const args = options.args[0] === 'redis-server' ? options.args.slice(1) : options.args;
  const port = options.env['REDIS_PORT_NUMBER'] || '6379';
  const defaults = ['--port', port, '--bind', '* -::*', '--protected-mode', 'no', '--save', '', '--appendonly', 'no'];
  return { command: 'sh', args: ['-c', ENTRYPOINT, 'redis-entrypoint.sh', redisServerPath(), ...defaults, ...args] };
}
