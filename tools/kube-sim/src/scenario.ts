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

/** Scenarios shipped with kube-sim (`src/scenarios/<name>.yaml`). */
export const BUILTIN_SCENARIOS: readonly string[] = Object.freeze(['openmeet-dev']);

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

/**
 * Creates every object of a scenario (multi-document YAML), namespaces first, switching on the CRD sets its
 * objects use (an ExternalSecret switches on `external-secrets`), and seeds the SSM parameters of its
 * `kind: SsmParameterSeed` documents (`parameters: [{name, value, type?}]`) when they are missing. Returns the
 * first namespace it declares (the natural kubeconfig default).
 *
 * @example
 * await applyScenario(store, 'openmeet-dev'); // "openmeet-dev"
 */
export async function applyScenario(store: ObjectStore, nameOrPath: string, log: (line: string) => void = () => undefined): Promise<string | undefined> {
  const file = scenarioFile(nameOrPath);
  const documents = parseAllDocuments(await readFile(file, 'utf8'))
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null && typeof object === 'object');
  const seeds = documents.filter((d) => d.kind === SSM_SEED_KIND).flatMap((d) => (Array.isArray(d['parameters']) ? (d['parameters'] as SsmSeed[]) : []));
  const objects = documents.filter((d) => d.kind !== SSM_SEED_KIND);
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
  return objects.find((object) => object.kind === 'Namespace')?.metadata.name;
}
