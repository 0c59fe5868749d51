import { ApiStatusError } from './api-status.ts';

type Json = unknown;
type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function patchError(message: string, code = 422): ApiStatusError {
  return new ApiStatusError({ code, reason: code === 422 ? 'Invalid' : 'BadRequest', message });
}

/**
 * RFC 7396 JSON merge patch: objects merge, `null` deletes, anything else (arrays too) replaces.
 *
 * @example
 * applyMergePatch({ spec: { replicas: 1, x: 1 } }, { spec: { replicas: 0, x: null } }); // { spec: { replicas: 0 } }
 */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw patchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolveParent(document: Json, tokens: string[], op: string): { parent: JsonObject | Json[]; key: string } {
  let current: Json = document;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isObject(current)) current = current[token];
    else current = undefined;
    if (current === undefined) throw patchError(`${op} operation does not apply: doc is missing path: /${tokens.join('/')}`);
  }
  if (!Array.isArray(current) && !isObject(current)) throw patchError(`${op} operation does not apply: doc is missing path: /${tokens.join('/')}`);
  return { parent: current, key: tokens[tokens.length - 1] ?? '' };
}

function getAt(document: Json, pointer: string): Json {
  let current: Json = document;
  for (const token of decodePointer(pointer)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isObject(current)) current = current[token];
    else return undefined;
  }
  return current;
}

function addAt(document: Json, pointer: string, value: Json, op: string): Json {
  const tokens = decodePointer(pointer);
  if (tokens.length === 0) return clone(value);
  const { parent, key } = resolveParent(document, tokens, op);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw patchError(`${op} operation: index out of range: ${key}`);
    parent.splice(index, 0, clone(value));
  } else parent[key] = clone(value);
  return document;
}

function removeAt(document: Json, pointer: string, op: string): Json {
  const tokens = decodePointer(pointer);
  const { parent, key } = resolveParent(document, tokens, op);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) throw patchError(`${op} operation does not apply: doc is missing path: ${pointer}`);
    parent.splice(index, 1);
  } else {
    if (!(key in parent)) throw patchError(`${op} operation does not apply: doc is missing path: ${pointer}`);
    delete parent[key];
  }
  return document;
}

/**
 * RFC 6902 JSON patch (add, remove, replace, move, copy, test).
 *
 * @example
 * applyJsonPatch({ spec: { replicas: 1 } }, [{ op: 'replace', path: '/spec/replicas', value: 0 }]);
 */
export function applyJsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw new ApiStatusError({ code: 400, reason: 'BadRequest', message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' });
  let document = clone(target);
  for (const operation of operations as JsonObject[]) {
    const op = String(operation['op']);
    const path = String(operation['path'] ?? '');
    switch (op) {
      case 'add':
        document = addAt(document, path, operation['value'], op);
        break;
      case 'remove':
        document = removeAt(document, path, op);
        break;
      case 'replace':
        if (getAt(document, path) === undefined) throw patchError(`replace operation does not apply: doc is missing key: ${path}`);
        document = addAt(removeAt(document, path, op), path, operation['value'], op);
        break;
      case 'move': {
        const value = getAt(document, String(operation['from']));
        document = addAt(removeAt(document, String(operation['from']), op), path, value, op);
        break;
      }
      case 'copy':
        document = addAt(document, path, getAt(document, String(operation['from'])), op);
        break;
      case 'test':
        if (JSON.stringify(getAt(document, path)) !== JSON.stringify(operation['value'])) {
          throw patchError(`testing value ${path} failed: test failed`);
        }
        break;
      default:
        throw new ApiStatusError({ code: 400, reason: 'BadRequest', message: `Unexpected kind: ${op}` });
    }
  }
  return document;
}

/** Merge keys for lists of objects (strategic merge), by the field that holds the list. */
const MERGE_KEYS: Readonly<Record<string, string>> = Object.freeze({
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  secrets: 'name',
});

/** Lists of scalars that merge as sets. */
const MERGED_PRIMITIVE_LISTS: ReadonlySet<string> = new Set(['finalizers']);

function portMergeKey(items: JsonObject[]): string {
  return items.some((item) => 'containerPort' in item) ? 'containerPort' : 'port';
}

function mergeList(field: string, original: Json[], patch: Json[]): Json[] {
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const result = [...original];
    for (const item of patch) if (!result.some((existing) => JSON.stringify(existing) === JSON.stringify(item))) result.push(item);
    return result;
  }
  const objects = patch.filter(isObject);
  const key = field === 'ports' ? portMergeKey(objects) : MERGE_KEYS[field];
  if (key === undefined || objects.length !== patch.length) {
    if (patch.some((item) => isObject(item) && item['$patch'] === 'replace')) return patch.filter((item) => !(isObject(item) && item['$patch'] === 'replace'));
    return clone(patch);
  }
  if (objects.some((item) => item['$patch'] === 'replace')) return objects.filter((item) => item['$patch'] !== 'replace').map(clone);
  const result = original.map(clone);
  for (const item of objects) {
    const index = result.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
    if (item['$patch'] === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) result[index] = applyStrategicMergePatch(result[index], item);
    else result.push(applyStrategicMergePatch({}, item));
  }
  return result;
}

/**
 * Strategic merge patch, as far as the kinds here need: maps merge (`null` deletes), lists of containers, env,
 * volumes, ports, conditions… merge by their key, `$patch: delete|replace` directives, finalizers merge as a set,
 * `$setElementOrder/…`, `$retainKeys` and `$deleteFromPrimitiveList/…` are honoured or ignored.
 *
 * @example
 * applyStrategicMergePatch(sts, { spec: { template: { spec: { containers: [{ name: 'synapse', image: 'x' }] } } } });
 */
export function applyStrategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch['$patch'] === 'replace') {
    const { $patch: _directive, ...rest } = patch;
    return clone(rest);
  }
  if (patch['$patch'] === 'delete') return undefined;
  const result: JsonObject = isObject(target) ? { ...target } : {};
  const retainKeys = Array.isArray(patch['$retainKeys']) ? (patch['$retainKeys'] as string[]) : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$setElementOrder/') || key === '$retainKeys' || key === '$patch') continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) result[field] = current.filter((item) => !value.includes(item));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const current = result[key];
    if (Array.isArray(value)) result[key] = mergeList(key, Array.isArray(current) ? current : [], value);
    else if (isObject(value)) {
      const merged = applyStrategicMergePatch(current, value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else result[key] = value;
  }
  if (retainKeys) for (const key of Object.keys(result)) if (!retainKeys.includes(key) && !(key in patch)) delete result[key];
  return result;
}
