import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { parseAllDocuments } from 'yaml';
import { customResourceSetOf, enableCustomResources, type CustomResourceSet } from './custom-resources.ts';
import { ssmClientFromEnv } from './external-secret-controller.ts';
import { KubeSimError } from './kube-sim-error.ts';
import type { KubeObject } from './kube-object.ts';
import type { ObjectStore } from './object-store.ts';
import { createScenarioDatabase, dropScenarioDatabases, postgresServerFromEnv, type ScenarioDatabase } from './scenario-postgres.ts';

/** Scenarios shipped with kube-sim (`src/scenarios/<name>.yaml`). */
export const BUILTIN_SCENARIOS: readonly string[] = Object.freeze(['openmeet-dev', 'synapse-ananace', 'synapse-ess']);

/** The YAML file of a scenario: a built-in name or a path to a file. */
export function scenarioFile(nameOrPath: string): string {
  if (BUILTIN_SCENARIOS.includes(nameOrPath)) return fileURLToPath(new URL(`./scenarios/${nameOrPath}.yaml`, import.meta.url));
  if (existsSync(nameOrPath)) return nameOrPath;
  throw new KubeSimError({
    code: 'BAD_INPUT',
    message: `no scenario ${JSON.stringify(nameOrPath)}`,
    nextSteps: [`Use one of: ${BUILTIN_SCENARIOS.join(', ')}`, 'Or pass the path of a multi-document YAML file'],
  });
}

/** A scenario document that is not a Kubernetes object: SSM parameters to create in the sandbox's moto when missing. */
const SSM_SEED_KIND = 'SsmParameterSeed';

interface SsmSeed {
  name: string;
  value: string;
  type?: 'String' | 'SecureString';
}

/**
 * Creates the seed parameters that do not exist yet, in the SSM at `AWS_ENDPOINT_URL_SSM` (never real AWS: without
 * that variable nothing is written and the ExternalSecrets stay not Ready).
 */
async function seedSsm(seeds: readonly SsmSeed[], log: (line: string) => void): Promise<void> {
  if (seeds.length === 0) return;
  if ((process.env['AWS_ENDPOINT_URL_SSM'] ?? '') === '') {
    log(`kube-sim: AWS_ENDPOINT_URL_SSM is not set; not seeding ${seeds.map((s) => s.name).join(', ')}`);
    return;
  }
  const client = ssmClientFromEnv(process.env['AWS_REGION'] || 'us-east-1');
  try {
    for (const seed of seeds) {
      try {
        await client.send(new PutParameterCommand({ Name: seed.name, Value: seed.value, Type: seed.type ?? 'SecureString', Overwrite: false }));
      } catch (error) {
        if ((error as Error).name !== 'ParameterAlreadyExists') throw error;
      }
    }
  } finally {
    client.destroy();
  }
}

/** A scenario document that is not a Kubernetes object: databases to create on the sandbox's Postgres. */
const POSTGRES_SEED_KIND = 'PostgresDatabaseSeed';

/** A loaded scenario: its first namespace, the databases made for it, and how to drop them. */
export interface AppliedScenario {
  /** The first namespace it declares (the natural kubeconfig default). */
  namespace: string | undefined;
  /** The databases its `PostgresDatabaseSeed` documents asked for (no passwords: those are in its Secrets). */
  postgresDatabases: readonly ScenarioDatabase[];
  /** Drops those databases and their roles. Idempotent. */
  release(): Promise<void>;
}

/** A Synapse signing key file (`ed25519 a_XXXX <seed>`), the format `generate_signing_key` writes. */
function synapseSigningKey(): string {
  return `ed25519 a_${randomBytes(3).toString('base64url').slice(0, 4)} ${randomBytes(32).toString('base64').replace(/=+$/, '')}\n`;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][\w.-]*)\s*\}\}/g;

/**
 * Replaces `{{ name }}` in every string of the documents. A string that is one placeholder takes the value's type
 * (a port stays a number); an unknown name is an error.
 */
function substitute(value: unknown, resolve: (name: string) => string | number): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*([A-Za-z][\w.-]*)\s*\}\}$/.exec(value);
    if (whole !== null) return resolve(whole[1] ?? '');
    return value.replace(PLACEHOLDER, (_match, name: string) => String(resolve(name)));
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, resolve));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, resolve)]));
  return value;
}

/**
 * Creates every object of a scenario (multi-document YAML), namespaces first, switching on the CRD sets its
 * objects use (an ExternalSecret switches on `external-secrets`), and seeds the SSM parameters of its
 * `kind: SsmParameterSeed` documents (`parameters: [{name, value, type?}]`) when they are missing.
 *
 * A `kind: PostgresDatabaseSeed` document (`databases: [{key}]`) makes, on the Postgres server of
 * `KUBE_SIM_POSTGRES_URL` (else `DATABASE_URL`'s), a database and a login role with CREATEDB owning it, both named
 * `ks_<8 hex>_<key>` (fresh for every load, so scenarios on one server never share one), UTF8 with C collation
 * from template0. Strings in the objects may name them: `{{ postgres.<key>.database }}`, `.user`, `.password`,
 * `.host`, `.port` (the server's, for an Endpoints object); also `{{ random.<name> }}` (a random secret, the same
 * for one name within a load) and `{{ signingKey.<name> }}` (a Synapse signing key).
 *
 * @example
 * const scenario = await loadScenario(store, 'synapse-ananace');
 * scenario.postgresDatabases[0]?.database; // "ks_1a2b3c4d_synapse"
 * await scenario.release();
 */
export async function loadScenario(store: ObjectStore, nameOrPath: string, log: (line: string) => void = () => undefined): Promise<AppliedScenario> {
  const file = scenarioFile(nameOrPath);
  const documents = parseAllDocuments(await readFile(file, 'utf8'))
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null && typeof object === 'object');
  const seeds = documents.filter((d) => d.kind === SSM_SEED_KIND).flatMap((d) => (Array.isArray(d['parameters']) ? (d['parameters'] as SsmSeed[]) : []));
  const databaseKeys = documents.filter((d) => d.kind === POSTGRES_SEED_KIND).flatMap((d) => (Array.isArray(d['databases']) ? (d['databases'] as { key: string }[]) : [])).map((d) => String(d.key));
  const server = databaseKeys.length === 0 ? undefined : postgresServerFromEnv();
  const databases: ScenarioDatabase[] = [];
  const values = new Map<string, string | number>();
  let released = false;
  const release = async (): Promise<void> => {
    if (released || server === undefined) return;
    released = true;
    await dropScenarioDatabases(server, databases);
  };
  const objects: KubeObject[] = [];
  try {
    for (const key of databaseKeys) {
      const { database, password } = await createScenarioDatabase(server as NonNullable<typeof server>, key);
      databases.push(database);
      log(`kube-sim: scenario database ${database.database} (role ${database.user}) on ${database.host}:${database.port}`);
      for (const [field, value] of Object.entries({ database: database.database, user: database.user, password, host: database.host, port: database.port })) values.set(`postgres.${key}.${field}`, value);
    }
    const resolve = (name: string): string | number => {
      const known = values.get(name);
      if (known !== undefined) return known;
      const generated = name.startsWith('random.') ? randomBytes(24).toString('base64url') : name.startsWith('signingKey.') ? synapseSigningKey() : undefined;
      if (generated === undefined) {
        throw new KubeSimError({ code: 'SCENARIO_INVALID', message: `${file}: unknown placeholder {{ ${name} }}`, nextSteps: ['Use postgres.<key>.(database|user|password|host|port), random.<name> or signingKey.<name>'] });
      }
      values.set(name, generated);
      return generated;
    };
    for (const document of documents) {
      if (document.kind !== SSM_SEED_KIND && document.kind !== POSTGRES_SEED_KIND) objects.push(substitute(document, resolve) as KubeObject);
    }
  } catch (error) {
    await release();
    throw error;
  }
  const sets = new Set<CustomResourceSet>();
  for (const object of objects) {
    const set = customResourceSetOf(object.apiVersion, object.kind);
    if (set !== undefined) sets.add(set);
  }
  enableCustomResources(store, [...sets]);
  await seedSsm(seeds, log);
  objects.sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
  for (const object of objects) {
    const resource = store.registry.byKind(object.apiVersion, object.kind);
    if (resource === undefined) {
      throw new KubeSimError({ code: 'SCENARIO_INVALID', message: `${file}: kind ${object.apiVersion}/${object.kind} is not served`, nextSteps: ['Remove it or use a served kind (kubectl api-resources)'] });
    }
    store.create(resource, object.metadata.namespace, object);
  }
  return { namespace: objects.find((object) => object.kind === 'Namespace')?.metadata.name, postgresDatabases: Object.freeze([...databases]), release };
}

/**
 * {@link loadScenario} for a scenario without Postgres databases; returns its first namespace.
 *
 * @example
 * await applyScenario(store, 'openmeet-dev'); // "openmeet-dev"
 */
export async function applyScenario(store: ObjectStore, nameOrPath: string, log: (line: string) => void = () => undefined): Promise<string | undefined> {
  return (await loadScenario(store, nameOrPath, log)).namespace;
}
