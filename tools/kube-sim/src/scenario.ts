import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
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

/**
 * Creates every object of a scenario (multi-document YAML), namespaces first. Returns the first namespace it
 * declares (the natural kubeconfig default).
 *
 * @example
 * await applyScenario(store, 'openmeet-dev'); // "openmeet-dev"
 */
export async function applyScenario(store: ObjectStore, nameOrPath: string): Promise<string | undefined> {
  const file = scenarioFile(nameOrPath);
  const objects = parseAllDocuments(await readFile(file, 'utf8'))
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null && typeof object === 'object');
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
