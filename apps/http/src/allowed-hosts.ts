import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './http-errors.ts';
import type { AppEnv } from './service-context.ts';

/**
 * The host name of a Host or X-Forwarded-Host value, lower-case, without its port and an IPv6 literal's brackets;
 * undefined for a value that is not one.
 */
function hostName(value: string): string | undefined {
  const text = value.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d+)?$/.exec(text);
  if (bracketed !== null) return bracketed[1];
  const match = /^([a-z0-9.-]+)(?::\d+)?$/.exec(text);
  return match?.[1]?.replace(/\.$/, '');
}

/**
 * Whether the service answers to `host` (a Host header's value): an IP address (what probes, scrapers and
 * port-forwards use; a DNS-rebinding page always names a domain), localhost, a cluster-internal name (no dot: a
 * Service's short name; or under `.svc`), the listen host, or a name in `allowed` (`*.example.org`: any name under it).
 *
 * @example
 * ```ts
 * hostAllowed('10.0.0.7:8080', { allowed: [], listenHost: '0.0.0.0' }); // true
 * hostAllowed('matrix-reset.openmeet-dev.svc.cluster.local:8080', { allowed: [], listenHost: '0.0.0.0' }); // true
 * hostAllowed('rebind.attacker.example', { allowed: ['reset.example.org'], listenHost: '0.0.0.0' }); // false
 * ```
 */
export function hostAllowed(host: string, options: { allowed: readonly string[]; listenHost: string }): boolean {
  const name = hostName(host);
  if (name === undefined || name === '') return false;
  if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
  if (!name.includes('.') || name.endsWith('.svc') || name.includes('.svc.')) return true;
  if (name === options.listenHost.toLowerCase()) return true;
  return options.allowed.some((entry) => (entry.startsWith('*.') ? name.endsWith(entry.slice(1)) : name === entry));
}

/**
 * Middleware: refuses a request whose Host (or X-Forwarded-Host, behind a proxy) names a host the service does not
 * answer to, with 421 `host_not_allowed` (see {@link hostAllowed}; `service.allowedHosts` adds names).
 */
export function allowedHostsOnly(options: { allowed: readonly string[]; listenHost: string }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = [c.req.header('host'), ...(c.req.header('x-forwarded-host')?.split(',') ?? [])].filter((value): value is string => value !== undefined && value.trim() !== '');
    const refused = given.find((value) => !hostAllowed(value, options));
    if (refused !== undefined) {
      throw new ApiError(421, 'host_not_allowed', `This service does not answer to the host ${refused.trim().slice(0, 100)} (Host or X-Forwarded-Host)`, {
        nextSteps: [
          'Call it by an address it answers to: an IP address, localhost, its Kubernetes Service name, or a name in service.allowedHosts.',
          "If this is the service's own public name (an Ingress or a proxy in front), add it to service.allowedHosts in matrix-reset.yaml.",
        ],
      });
    }
    await next();
  };
}
