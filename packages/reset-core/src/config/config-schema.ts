import { z } from 'zod';
import { defineLayout, isUserCredsError, openmeetLayout, runbookLayout, type CredentialLayout } from '@matrix-reset/user-creds';
import { checkConfigReference } from './config-secret-reference.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const ENVIRONMENT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const LOCALPART = /^[a-z0-9._=/+-]+$/;

const dnsLabel = (what: string) => z.string().regex(DNS_LABEL, `${what} must be a DNS label (a-z, 0-9 and -, at most 63 characters)`);
const dnsName = (what: string) => z.string().regex(DNS_SUBDOMAIN, `${what} must be a DNS name (a-z, 0-9, - and ., at most 253 characters)`);
/** How an adminToken list reads, for the messages about an empty or malformed one. */
const ADMIN_TOKEN_EXAMPLE =
  'e.g. adminToken: [{ token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN }] or adminToken: [{ token: ssm:/openmeet/dev/matrix-admin-access-token, user: ssm:/openmeet/dev/matrix-admin-user }]';
const port = z.number().int().min(1).max(65_535);
/** k8s-ops' WorkloadKind, spelled out here: importing k8s-ops would load @kubernetes/client-node with the config. */
const WORKLOAD_KIND_NAMES = ['StatefulSet', 'Deployment'] as const;
const workloadKind = z.enum(WORKLOAD_KIND_NAMES, { error: 'kind must be StatefulSet or Deployment (case-sensitive)' });

/**
 * A secret reference field, normalized against the config's directory; a pasted value is refused, an empty one is
 * answered with `example` (what such a reference looks like).
 */
function secretReference(baseDir: string, what: string, example: string, writable = false) {
  return z.string().transform((text, ctx) => {
    const check = checkConfigReference(text, { baseDir, what, writable, example });
    if (check.ok) return check.reference;
    ctx.addIssue({ code: 'custom', message: check.problem });
    return z.NEVER;
  });
}

const schemaSelector = z.strictObject({
  like: z.array(z.string().min(1)).optional(),
  names: z.array(z.string().min(1)).optional(),
});

const presetName = z.enum(['runbook', 'openmeet']);

const customLayout = z.strictObject({
  name: z.string().min(1).optional(),
  schemas: schemaSelector.optional(),
  table: z.string().min(1),
  keyColumn: z.string().min(1),
  columns: z.strictObject({ userId: z.string().min(1), accessToken: z.string().min(1), deviceId: z.string().min(1) }),
  extraClearColumns: z.array(z.string().min(1)).optional(),
  jsonbKeys: z.array(z.strictObject({ column: z.string().min(1), key: z.string().min(1) })).optional(),
  relatedRoomColumns: z.array(z.strictObject({ table: z.string().min(1), column: z.string().min(1) })).optional(),
  localpartTemplate: z.string().min(1).optional(),
});

/**
 * `layout:` is a preset name (`runbook`, `openmeet`), a preset with other schemas (`{ preset: openmeet, schemas:
 * { like: [...] } }`), or a custom mapping as user-creds' `defineLayout` takes it. Resolved to a checked layout here,
 * so a bad mapping is a config error with its YAML path.
 */
const layout = z
  .union([presetName, z.strictObject({ preset: presetName, schemas: schemaSelector.optional() }), customLayout], {
    error: 'expected runbook, openmeet, { preset, schemas } or a custom mapping { table, keyColumn, columns: { userId, accessToken, deviceId } }',
  })
  .transform((value, ctx): CredentialLayout => {
    try {
      if (typeof value === 'string') return value === 'openmeet' ? openmeetLayout() : runbookLayout();
      if ('preset' in value) {
        const schemas = value.schemas;
        return value.preset === 'openmeet' ? openmeetLayout(schemas ? { schemas } : {}) : runbookLayout(schemas ? { schemas } : {});
      }
      return defineLayout({ ...value, name: value.name ?? 'custom' });
    } catch (error) {
      if (!isUserCredsError(error)) throw error;
      ctx.addIssue({ code: 'custom', message: `${error.message}. ${error.nextSteps.join(' ')}` });
      return z.NEVER;
    }
  });

const homeserverConfig = z.union(
  [
    z.strictObject({ pod: z.string().startsWith('/', 'pod: an absolute path inside the Synapse pod, e.g. /data/homeserver.yaml') }),
    z.strictObject({ configMap: dnsName('configMap'), key: z.string().min(1).default('homeserver.yaml') }),
    z.strictObject({ secret: dnsName('secret'), key: z.string().min(1).default('homeserver.yaml') }),
    z.strictObject({ file: z.string().min(1) }),
  ],
  { error: 'expected { pod: /data/homeserver.yaml }, { configMap: name, key: homeserver.yaml }, { secret: name, key: homeserver.yaml } or { file: path }' },
);

/**
 * `synapse.database`: how matrix-reset reaches a Postgres-backed Synapse's database from where it runs. Each field
 * given replaces homeserver.yaml's `database.args` value (Synapse's host is often a cluster DNS name); `url`, a
 * reference to a whole `postgres://` URL, replaces all of them. The password is only ever a reference.
 */
function synapseDatabase(baseDir: string) {
  return z
    .strictObject({
      url: secretReference(baseDir, "Synapse's database URL (it may hold a password)", 'env:SYNAPSE_DATABASE_URL, dotenv:.env#SYNAPSE_DATABASE_URL or ssm:/app/synapse-database-url').optional(),
      host: z.string().min(1).optional(),
      port: port.optional(),
      user: z.string().min(1).optional(),
      password: secretReference(baseDir, "the password of Synapse's database", 'env:SYNAPSE_DATABASE_PASSWORD, file:/run/secrets/synapse-db-password or k8s-secret:namespace/name#password').optional(),
      dumpDirectory: z.string().trim().min(1, 'dumpDirectory: a directory where matrix-reset runs, e.g. /var/backups/matrix-reset').optional(),
    })
    .superRefine((database, ctx) => {
      const alongside = (['host', 'port', 'user', 'password'] as const).filter((key) => database[key] !== undefined);
      if (database.url !== undefined && alongside.length > 0) {
        ctx.addIssue({ code: 'custom', path: ['url'], message: `url gives the whole connection: leave out ${alongside.join(', ')}, or give them without url` });
      }
    });
}

function environmentSchema(baseDir: string) {
  return z
    .strictObject({
      protected: z.boolean().default(false),
      kubernetes: z
        .strictObject({
          context: z.string().min(1),
          kubeconfig: z.string().min(1).optional(),
          namespace: dnsLabel('namespace'),
          workload: z.strictObject({ kind: workloadKind, name: dnsName('name') }).optional(),
          statefulSet: dnsName('statefulSet').optional(),
          workers: z
            .strictObject({
              selector: z
                .string()
                .trim()
                .min(1, "selector: a label selector naming Synapse's worker Deployments and StatefulSets, e.g. app.kubernetes.io/component=synapse-worker"),
            })
            .optional(),
          pvc: dnsName('pvc').optional(),
          restart: z.array(z.strictObject({ kind: workloadKind, name: dnsName('name') })).default([]),
        })
        .superRefine((kubernetes, ctx) => {
          if (kubernetes.workload !== undefined && kubernetes.statefulSet !== undefined) {
            ctx.addIssue({ code: 'custom', path: ['statefulSet'], message: `statefulSet: ${kubernetes.statefulSet} is the short form of workload: { kind: StatefulSet, name: ${kubernetes.statefulSet} }: give one of them, not both` });
          } else if (kubernetes.workload === undefined && kubernetes.statefulSet === undefined) {
            ctx.addIssue({ code: 'custom', path: [], message: `names no Synapse workload: add workload: { kind: Deployment, name: matrix-synapse } (or StatefulSet), or statefulSet: <name>` });
          }
        })
        .optional(),
      synapse: z.strictObject({
        url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL, e.g. http://127.0.0.1:8008' }).optional(),
        portForward: z.strictObject({ pod: dnsName('pod').optional(), port: port.default(8008) }).optional(),
        serverName: z.string().min(1),
        sharedSecret: secretReference(baseDir, 'the registration shared secret', 'file:/data/registration_shared_secret, k8s-secret:namespace/name#key or ssm:/app/registration-shared-secret').optional(),
        adminUser: z.string().min(1).default('admin'),
        homeserverConfig: homeserverConfig.optional(),
        database: synapseDatabase(baseDir).optional(),
      }),
      adminToken: z
        .array(
          z.strictObject({
            token: secretReference(baseDir, 'the admin access token', 'dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN, ssm:/app/matrix-admin-access-token or k8s-secret:namespace/name#key', true),
            user: secretReference(baseDir, 'the admin user id', 'dotenv:.env#MATRIX_ADMIN_USER, ssm:/app/matrix-admin-user or k8s-secret:namespace/name#key', true).optional(),
          }),
          { error: `expected a list of the places the admin token is written, one { token: <reference> } each: ${ADMIN_TOKEN_EXAMPLE}` },
        )
        .min(1, `lists no place to keep the admin token: write at least one, ${ADMIN_TOKEN_EXAMPLE}`),
      appDatabase: z.strictObject({
        url: secretReference(baseDir, 'the database URL (it may hold a password)', 'env:DATABASE_URL, dotenv:.env#DATABASE_URL or ssm:/app/database-url'),
        layout,
      }),
    })
    .superRefine((env, ctx) => {
      const { synapse, kubernetes } = env;
      if ((synapse.url === undefined) === (synapse.portForward === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['synapse'], message: 'give exactly one of url or portForward' });
      }
      if (synapse.portForward !== undefined && kubernetes === undefined) {
        ctx.addIssue({ code: 'custom', path: ['synapse', 'portForward'], message: 'portForward needs a kubernetes: section' });
      }
      if (synapse.homeserverConfig !== undefined && !('file' in synapse.homeserverConfig) && kubernetes === undefined) {
        ctx.addIssue({ code: 'custom', path: ['synapse', 'homeserverConfig'], message: 'pod, configMap and secret need a kubernetes: section; use { file: path } for a local Synapse' });
      }
      const admin = synapse.adminUser;
      const localpart = admin.startsWith('@') ? admin.slice(1, admin.indexOf(':') < 0 ? undefined : admin.indexOf(':')) : admin;
      if (!LOCALPART.test(localpart) || (admin.startsWith('@') && admin.slice(admin.indexOf(':') + 1) !== synapse.serverName)) {
        ctx.addIssue({
          code: 'custom',
          path: ['synapse', 'adminUser'],
          message: `expected a localpart (admin) or a user id on ${synapse.serverName} (@admin:${synapse.serverName})`,
        });
      }
    });
}

const SERVICE_SCOPE_NAMES = ['credentials:ensure', 'credentials:read', 'runs:write', 'read'] as const;
const TOKEN_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** A host name the service answers to: lower-case DNS labels, optionally behind `*.` (any name under it). */
const ALLOWED_HOST = /^(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `service:`: the HTTP service (apps/http). Bearer tokens appear only as SHA-256 hashes of the token. */
function serviceSchema(baseDir: string) {
  return z
    .strictObject({
      environment: z.string().regex(ENVIRONMENT_NAME, 'environment names are a-z, 0-9, - and _ (at most 63)').optional(),
      listen: z.strictObject({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(8080) }).default({ host: '127.0.0.1', port: 8080 }),
      allowedHosts: z
        .array(z.string().regex(ALLOWED_HOST, 'allowedHosts entries are lower-case host names without scheme or port, e.g. reset.example.org or *.example.org'))
        .default([]),
      tokens: z
        .array(
          z.strictObject({
            name: z.string().regex(TOKEN_NAME, 'token names are a-z, 0-9, ., _ and - (at most 63), e.g. openmeet-api'),
            sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 is the 64 lower-case hex digits `matrix-reset service token` printed (never the token itself)'),
            scopes: z.array(z.enum(SERVICE_SCOPE_NAMES, `scopes are ${SERVICE_SCOPE_NAMES.join(', ')}`)).min(1, 'give the token at least one scope'),
          }),
        )
        .min(1, 'add at least one token: `matrix-reset service token --name <name> --scope <scope> --out <file>` prints the entry'),
      rateLimit: z
        .strictObject({ perMinute: z.number().int().min(1).default(600), burst: z.number().int().min(1).default(60) })
        .default({ perMinute: 600, burst: 60 }),
      bodyLimitBytes: z.number().int().min(256).max(16 * 1024 * 1024).default(65_536),
      drift: z.strictObject({ maxAgeSeconds: z.number().int().min(0).default(300) }).default({ maxAgeSeconds: 300 }),
      databasePoolSize: z.number().int().min(2, 'databasePoolSize must be at least 2 (provisioning holds one connection while it locks)').max(200).default(16),
      sessionSecret: secretReference(baseDir, 'the session signing key', 'env:MATRIX_RESET_SESSION_SECRET or file:/run/secrets/session-key').optional(),
    })
    .superRefine((service, ctx) => {
      const names = new Set<string>();
      const hashes = new Set<string>();
      service.tokens.forEach((token, index) => {
        if (names.has(token.name)) ctx.addIssue({ code: 'custom', path: ['tokens', index, 'name'], message: `token name ${token.name} is used twice` });
        if (hashes.has(token.sha256)) ctx.addIssue({ code: 'custom', path: ['tokens', index, 'sha256'], message: 'the same token hash is listed twice' });
        names.add(token.name);
        hashes.add(token.sha256);
      });
    });
}

/** The zod schema of `matrix-reset.yaml`; secret references and paths are resolved against `baseDir`. */
export function resetConfigSchema(baseDir: string) {
  return z
    .strictObject({
      version: z.literal(1, 'version must be 1 (the only format this matrix-reset reads)'),
      environments: z
        .record(z.string().regex(ENVIRONMENT_NAME, 'environment names are a-z, 0-9, - and _ (at most 63)'), environmentSchema(baseDir))
        .refine((environments) => Object.keys(environments).length > 0, 'define at least one environment'),
      service: serviceSchema(baseDir).optional(),
    })
    .superRefine((config, ctx) => {
      const wanted = config.service?.environment;
      if (wanted !== undefined && !Object.hasOwn(config.environments, wanted)) {
        ctx.addIssue({
          code: 'custom',
          path: ['service', 'environment'],
          message: `no environment ${wanted} under environments: (it defines ${Object.keys(config.environments).join(', ')})`,
        });
      }
    });
}

/** What the schema produces for `service:`. */
export type ParsedService = z.output<ReturnType<typeof serviceSchema>>;

/** What the schema produces for one environment (before it is frozen into an `EnvironmentConfig`). */
export type ParsedEnvironment = z.output<ReturnType<typeof environmentSchema>>;
