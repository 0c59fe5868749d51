export interface ConfigTemplateOptions {
  /** The first environment's name (default `dev`). */
  environment?: string;
  /** Its Kubernetes namespace (default `openmeet-<environment>`). */
  namespace?: string;
}

/** A developer machine's environment: Synapse from docker compose, tokens in .env. */
const LOCAL_ENVIRONMENT = `  # A developer machine: Synapse from docker compose, tokens in .env, no Kubernetes.
  local:
    protected: false
    synapse:
      url: http://127.0.0.1:8008
      serverName: matrix-local.openmeet.test
      sharedSecret: env:MATRIX_REGISTRATION_SHARED_SECRET
      adminUser: admin
    # Where the admin token (and the admin user id) are written; any number of targets.
    adminToken:
      - { token: dotenv:.env#MATRIX_ADMIN_ACCESS_TOKEN, user: dotenv:.env#MATRIX_ADMIN_USER }
    appDatabase:
      url: env:DATABASE_URL        # a reference: the URL may hold a password
      layout: openmeet             # runbook | openmeet | { preset: openmeet, schemas: { like: [tenant_%] } } | a custom mapping

`;

/**
 * A commented starting `matrix-reset.yaml` (what `matrix-reset init` writes): a local environment (docker compose,
 * `.env`) and a Kubernetes one (SSM, Synapse as a StatefulSet on a PVC). `loadResetConfig` accepts it as it is.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 *
 * await writeFile('matrix-reset.yaml', configTemplate({ environment: 'dev' }), { flag: 'wx' });
 * ```
 */
export function configTemplate(options: ConfigTemplateOptions = {}): string {
  const name = options.environment ?? 'dev';
  const namespace = options.namespace ?? `openmeet-${name}`;
  const local = name === 'local' ? '' : LOCAL_ENVIRONMENT;
  return `# matrix-reset configuration.
# Secret values never go in this file: wherever one is needed, write a reference to where it lives:
#   env:VARIABLE            an environment variable (read-only)
#   file:/path/to/file      a whole file (read-only)
#   ssm:/parameter/name     an AWS SSM parameter (SecureString)
#   dotenv:.env#KEY         one key of a .env file (relative paths are relative to this file)
#   k8s-secret:ns/name#key  one key of a Kubernetes Secret
version: 1

environments:
${local}  ${name}:
    protected: false               # true: the operator must type "${name}" before anything is applied (--yes is not enough; without a terminal: --confirm-environment ${name})
    kubernetes:
      context: ${name}             # the kubeconfig context; every other context is refused
      namespace: ${namespace}
      workload: { kind: StatefulSet, name: matrix }   # Synapse's main process: a StatefulSet or a Deployment (statefulSet: matrix is short for this)
      # workers: { selector: app.kubernetes.io/component=synapse-worker }   # its workers, by label: scaled to 0 with it and back after
      # pvc: data-matrix-0         # default: the claim holding Synapse's data (the SQLite file's, else /data's or the media store's, else the only one)
      restart:                     # restarted after the admin token changes
        - { kind: Deployment, name: openmeet-api }
    synapse:
      portForward: { port: 8008 }  # to the workload's first ready pod (or { pod: matrix-0, port: 8008 }); or url: https://matrix.example.org
      serverName: matrix-${name}.openmeet.test
      sharedSecret: ssm:/openmeet/${name}/matrix-registration-shared-secret
      adminUser: admin
      # homeserverConfig: { pod: /data/homeserver.yaml }   # or { configMap: synapse-config, key: homeserver.yaml }, { secret: ..., key: ... }
      # When Synapse keeps its data in Postgres, matrix-reset reads homeserver.yaml's database.args (host, port,
      # database, user, password) to reach it; each field here replaces one, as seen from where matrix-reset runs:
      # database:
      #   host: 127.0.0.1            # e.g. a port-forward, when homeserver.yaml names a cluster DNS name
      #   port: 5432
      #   user: synapse
      #   password: ssm:/openmeet/${name}/synapse-database-password   # a reference, never the password
      #   # or, instead of the four: url: ssm:/openmeet/${name}/synapse-database-url (a whole postgres:// URL)
      #   dumpDirectory: /var/backups/matrix-reset   # pg_dump goes here when the role cannot rename the database
    adminToken:
      - { token: ssm:/openmeet/${name}/matrix-admin-access-token, user: ssm:/openmeet/${name}/matrix-admin-user }
    appDatabase:
      url: ssm:/openmeet/${name}/database-url
      layout: openmeet
`;
}
