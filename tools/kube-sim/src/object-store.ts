import { randomBytes, randomUUID } from 'node:crypto';
import { ApiStatusError, alreadyExists, conflict, expired, notFound } from './api-status.ts';
import { applyDefaults } from './defaults.ts';
import { timestamp, type KubeObject } from './kube-object.ts';
import { groupVersion, type ResourceRegistry, type ResourceType } from './resource-types.ts';
import { fieldValue, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { validateObject } from './validation.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A change, as watches see it. `previous` is the object before the change (for selector transitions). */
export interface StoreEvent {
  readonly type: WatchEventType;
  readonly resource: ResourceType;
  readonly object: KubeObject;
  readonly previous: KubeObject | undefined;
  readonly resourceVersion: number;
}

export interface ListOptions {
  labelSelector?: string | null;
  fieldSelector?: string | null;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** `status` writes only `.status`; anything else (the object) leaves `.status` alone on kinds with a status subresource. */
  subresource?: 'status';
}

export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** How many changes a watch can replay before a `resourceVersion` is too old (410). */
const HISTORY_LIMIT = 5_000;

function clone<T>(value: T): T {
  return structuredClone(value);
}

function specOf(object: KubeObject): string {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return JSON.stringify(rest);
}

/**
 * The cluster state: every object, a monotonically increasing resourceVersion, the recent change history for
 * watches, and the API semantics of create / update / delete (finalizers, graceful pods, preconditions).
 * Objects handed out are copies.
 *
 * @example
 * const store = new ObjectStore(registry);
 * store.create(namespaceType, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
 */
export class ObjectStore {
  readonly registry: ResourceRegistry;
  #resourceVersion = 1;
  #objects = new Map<string, { resource: ResourceType; object: KubeObject }>();
  #history: StoreEvent[] = [];
  /** The newest resourceVersion dropped from the history; watches from before it get 410. */
  #compactedThrough = 0;
  #listeners = new Set<(event: StoreEvent) => void>();

  constructor(registry: ResourceRegistry) {
    this.registry = registry;
  }

  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  /**
   * Calls `listener` for every change (synchronously, after it is stored), or with `resource` only for the changes
   * of that resource (a watch: the API server never sends one resource's events on another's watch); returns the
   * unsubscribe function.
   */
  subscribe(listener: (event: StoreEvent) => void, options: { resource?: ResourceType } = {}): () => void {
    const { resource } = options;
    const subscribed =
      resource === undefined
        ? listener
        : (event: StoreEvent): void => {
            if (event.resource === resource) listener(event);
          };
    this.#listeners.add(subscribed);
    return () => this.#listeners.delete(subscribed);
  }

  /** Changes after `resourceVersion` for `resource`, or `undefined` when that version is too old. */
  eventsSince(resource: ResourceType, resourceVersion: number): StoreEvent[] | undefined {
    if (this.isCompacted(resourceVersion)) return undefined;
    return this.#history.filter((event) => event.resource === resource && event.resourceVersion > resourceVersion);
  }

  /** True when changes after `resourceVersion` are no longer all in the history (a watch or continue from it gets 410). */
  isCompacted(resourceVersion: number): boolean {
    return resourceVersion < this.#compactedThrough;
  }

  /** The 410 a watch from `resourceVersion` answers once it is compacted. */
  tooOld(resourceVersion: number): ApiStatusError {
    return expired(`too old resource version: ${resourceVersion} (${this.#compactedThrough + 1})`);
  }

  /** Drops the replay history (fault injection: every watch must relist). */
  compact(): void {
    this.#compactedThrough = this.#resourceVersion;
    this.#history = [];
  }

  #key(resource: ResourceType, namespace: string | undefined, name: string): string {
    return `${resource.group}/${resource.plural}/${resource.namespaced ? (namespace ?? '') : ''}/${name}`;
  }

  #emit(type: WatchEventType, resource: ResourceType, object: KubeObject, previous: KubeObject | undefined): void {
    const event: StoreEvent = { type, resource, object: clone(object), previous: previous && clone(previous), resourceVersion: this.#resourceVersion };
    this.#history.push(event);
    if (this.#history.length > HISTORY_LIMIT) {
      const dropped = this.#history.splice(0, this.#history.length - HISTORY_LIMIT);
      this.#compactedThrough = dropped[dropped.length - 1]?.resourceVersion ?? this.#compactedThrough;
    }
    for (const listener of this.#listeners) listener(event);
  }

  #nextVersion(): string {
    this.#resourceVersion += 1;
    return String(this.#resourceVersion);
  }

  #requireNamespace(resource: ResourceType, namespace: string | undefined, creating: boolean): void {
    if (!resource.namespaced) return;
    const namespaceType = this.registry.find('', 'v1', 'namespaces');
    if (namespaceType === undefined || namespace === undefined) throw new ApiStatusError({ code: 400, reason: 'BadRequest', message: 'a namespace is required' });
    const found = this.#objects.get(this.#key(namespaceType, undefined, namespace));
    if (found === undefined) throw notFound(namespaceType, namespace);
    if (creating && found.object.metadata.deletionTimestamp !== undefined) {
      throw new ApiStatusError({
        code: 403,
        reason: 'Forbidden',
        message: `${resource.plural} "${'x'}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      });
    }
  }

  /** The object, or `undefined`. */
  tryGet(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.#objects.get(this.#key(resource, namespace, name));
    return found && clone(found.object);
  }

  /** The object, or a 404 `ApiStatusError`. */
  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.tryGet(resource, namespace, name);
    if (found === undefined) throw notFound(resource, name);
    return found;
  }

  /** Objects of a kind (in a namespace, or all when `namespace` is undefined), ordered by namespace then name. */
  list(resource: ResourceType, namespace: string | undefined, options: ListOptions = {}): KubeObject[] {
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector);
    const prefix = `${resource.group}/${resource.plural}/`;
    const result: KubeObject[] = [];
    for (const [key, entry] of this.#objects) {
      if (!key.startsWith(prefix)) continue;
      const object = entry.object;
      if (resource.namespaced && namespace !== undefined && object.metadata.namespace !== namespace) continue;
      if (!ObjectStore.matches(object, labels, fields)) continue;
      result.push(clone(object));
    }
    return result.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`),
    );
  }

  /** True when the object satisfies both compiled selectors. */
  static matches(object: KubeObject, labels: ReturnType<typeof parseLabelSelector>, fields: ReturnType<typeof parseFieldSelector>): boolean {
    return labels((key) => object.metadata.labels?.[key]) && fields((path) => fieldValue(object, path));
  }

  /** Creates an object (defaults, validation, uid, resourceVersion); 409 AlreadyExists when the name is taken. */
  create(resource: ResourceType, namespace: string | undefined, input: KubeObject, options: WriteOptions = {}): KubeObject {
    const object = clone(input);
    object.apiVersion = groupVersion(resource);
    object.kind = resource.kind;
    object.metadata = { ...(object.metadata ?? {}) };
    const metadata = object.metadata;
    if ((metadata.name ?? '') === '' && metadata.generateName) metadata.name = `${metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    if ((metadata.name ?? '') === '') {
      throw new ApiStatusError({ code: 422, reason: 'Invalid', message: `${resource.kind} "" is invalid: metadata.name: Required value: name or generateName is required` });
    }
    if (resource.namespaced) {
      if (metadata.namespace !== undefined && namespace !== undefined && metadata.namespace !== namespace) {
        throw new ApiStatusError({ code: 400, reason: 'BadRequest', message: 'the namespace of the provided object does not match the namespace sent on the request' });
      }
      metadata.namespace = namespace ?? metadata.namespace;
    } else delete metadata.namespace;
    this.#requireNamespace(resource, metadata.namespace, true);
    const key = this.#key(resource, metadata.namespace, metadata.name);
    if (this.#objects.has(key)) throw alreadyExists(resource, metadata.name);
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']) delete metadata[field];
    applyDefaults(object);
    normalizeSecret(object);
    validateObject(resource, object);
    metadata.uid = randomUUID();
    metadata.creationTimestamp = timestamp();
    if ('spec' in object) metadata.generation = 1;
    if (options.dryRun) return { ...object, metadata: { ...metadata, resourceVersion: String(this.#resourceVersion) } };
    metadata.resourceVersion = this.#nextVersion();
    this.#objects.set(key, { resource, object });
    this.#emit('ADDED', resource, object, undefined);
    return clone(object);
  }

  /**
   * Replaces an object (PUT). A `metadata.resourceVersion` in `input` is a precondition: a stale one answers
   * 409 Conflict. `generation` moves only when the spec changes.
   */
  update(resource: ResourceType, namespace: string | undefined, name: string, input: KubeObject, options: WriteOptions = {}): KubeObject {
    const key = this.#key(resource, namespace, name);
    const entry = this.#objects.get(key);
    if (entry === undefined) throw notFound(resource, name);
    const current = entry.object;
    const expected = input.metadata?.resourceVersion;
    if (expected !== undefined && expected !== '' && expected !== current.metadata.resourceVersion) throw conflict(resource, name);
    if (input.metadata?.name !== undefined && input.metadata.name !== name) {
      throw new ApiStatusError({ code: 400, reason: 'BadRequest', message: `the name of the object (${input.metadata.name}) does not match the name on the URL (${name})` });
    }
    let next: KubeObject;
    const hasStatusSubresource = resource.subresources.includes('status');
    if (options.subresource === 'status') {
      next = { ...clone(current), status: clone(input['status']) };
    } else {
      next = clone(input);
      next.apiVersion = groupVersion(resource);
      next.kind = resource.kind;
      if (hasStatusSubresource && 'status' in current) next['status'] = clone(current['status']);
      else if (hasStatusSubresource) delete next['status'];
    }
    const metadata = { ...(next.metadata ?? {}) };
    for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'namespace']) {
      if (current.metadata[field] === undefined) delete metadata[field];
      else metadata[field] = current.metadata[field];
    }
    metadata.name = name;
    next.metadata = metadata;
    const keptStatus = next['status'];
    applyDefaults(next, { creating: false });
    if (keptStatus === undefined) delete next['status'];
    else next['status'] = keptStatus;
    normalizeSecret(next);
    validateObject(resource, next, current);
    if (current.metadata.deletionTimestamp !== undefined) {
      // Finalizers may only be removed once deletion started, never added.
      const added = (metadata.finalizers ?? []).filter((f) => !(current.metadata.finalizers ?? []).includes(f));
      if (added.length > 0) {
        throw new ApiStatusError({ code: 422, reason: 'Invalid', message: `${resource.kind} "${name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` });
      }
    }
    if (current.metadata.generation !== undefined && specOf(next) !== specOf(current)) metadata.generation = current.metadata.generation + 1;
    const unchanged = JSON.stringify({ ...next, metadata: { ...metadata, resourceVersion: undefined, managedFields: undefined } }) ===
      JSON.stringify({ ...current, metadata: { ...current.metadata, resourceVersion: undefined, managedFields: undefined } });
    if (unchanged || options.dryRun) return clone({ ...next, metadata: { ...metadata, resourceVersion: current.metadata.resourceVersion } });
    metadata.resourceVersion = this.#nextVersion();
    if (current.metadata.deletionTimestamp !== undefined && (metadata.finalizers ?? []).length === 0 && resource.kind !== 'Pod' && resource.kind !== 'Namespace') {
      this.#objects.delete(key);
      this.#emit('DELETED', resource, next, current);
      return clone(next);
    }
    entry.object = next;
    this.#emit('MODIFIED', resource, next, current);
    return clone(next);
  }

  /**
   * Read-modify-write for controllers: `change` edits a copy; nothing is written when it changes nothing.
   * Returns the stored object, or `undefined` when it does not exist.
   */
  mutate(resource: ResourceType, namespace: string | undefined, name: string, change: (object: KubeObject) => void, options: WriteOptions = {}): KubeObject | undefined {
    const current = this.tryGet(resource, namespace, name);
    if (current === undefined) return undefined;
    const next = clone(current);
    change(next);
    if (JSON.stringify(next) === JSON.stringify(current)) return current;
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    return this.update(resource, namespace, name, next, options);
  }

  /**
   * DELETE: with finalizers (or a pod's grace period) the object only gets `deletionTimestamp`; otherwise it goes.
   * Returns the object as a real server does (`removed` says whether it is gone).
   */
  delete(resource: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): { object: KubeObject; removed: boolean } {
    const key = this.#key(resource, namespace, name);
    const entry = this.#objects.get(key);
    if (entry === undefined) throw notFound(resource, name);
    const current = entry.object;
    const preconditions = options.preconditions ?? {};
    if (preconditions.uid !== undefined && preconditions.uid !== current.metadata.uid) {
      throw new ApiStatusError({
        code: 409,
        reason: 'Conflict',
        message: `Operation cannot be fulfilled on ${resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`} "${name}": Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid}`,
      });
    }
    if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== current.metadata.resourceVersion) throw conflict(resource, name);
    const finalizers = [...(current.metadata.finalizers ?? [])];
    if (options.propagationPolicy === 'Foreground' && current.metadata.deletionTimestamp === undefined) finalizers.push('foregroundDeletion');
    if (options.propagationPolicy === 'Orphan' && current.metadata.deletionTimestamp === undefined) finalizers.push('orphan');
    const isPod = resource.kind === 'Pod';
    const phase = String((current['status'] as { phase?: string } | undefined)?.phase ?? '');
    const podGrace = isPod
      ? (options.gracePeriodSeconds ?? Number((current['spec'] as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds ?? 30))
      : 0;
    const podNeedsKubelet = isPod && podGrace > 0 && phase !== 'Succeeded' && phase !== 'Failed' && (current['spec'] as { nodeName?: string } | undefined)?.nodeName !== undefined;
    const isNamespace = resource.kind === 'Namespace';
    if (finalizers.length === 0 && !isNamespace && !podNeedsKubelet && !(isPod && current.metadata.deletionTimestamp !== undefined && podGrace > 0)) {
      if (options.dryRun) return { object: clone(current), removed: true };
      return { object: this.remove(resource, namespace, name) ?? clone(current), removed: true };
    }
    if (current.metadata.deletionTimestamp !== undefined) {
      if (isPod && podGrace < (current.metadata.deletionGracePeriodSeconds ?? 0) && !options.dryRun) {
        return { object: this.#markDeleting(entry, resource, finalizers, podGrace), removed: false };
      }
      return { object: clone(current), removed: false };
    }
    if (options.dryRun) return { object: clone(current), removed: false };
    return { object: this.#markDeleting(entry, resource, finalizers, podGrace), removed: false };
  }

  #markDeleting(entry: { resource: ResourceType; object: KubeObject }, resource: ResourceType, finalizers: string[], grace: number): KubeObject {
    const previous = entry.object;
    const next = clone(previous);
    next.metadata.deletionTimestamp = timestamp(new Date(Date.now() + grace * 1000));
    next.metadata.deletionGracePeriodSeconds = grace;
    if (resource.kind === 'Namespace') next['status'] = { ...(next['status'] as Record<string, unknown> | undefined), phase: 'Terminating' };
    if (finalizers.length > 0) next.metadata.finalizers = finalizers;
    if (next.metadata.generation !== undefined) next.metadata.generation += 1;
    next.metadata.resourceVersion = this.#nextVersion();
    entry.object = next;
    this.#emit('MODIFIED', resource, next, previous);
    return clone(next);
  }

  /** Removes an object outright (the kubelet's final pod delete, a namespace's contents); DELETED event. */
  remove(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = this.#key(resource, namespace, name);
    const entry = this.#objects.get(key);
    if (entry === undefined) return undefined;
    this.#objects.delete(key);
    const object = clone(entry.object);
    object.metadata.resourceVersion = this.#nextVersion();
    this.#emit('DELETED', resource, object, entry.object);
    return object;
  }

  /** Every stored object with its kind (for the garbage collector and namespace cleanup). */
  all(): { resource: ResourceType; object: KubeObject }[] {
    return [...this.#objects.values()].map((entry) => ({ resource: entry.resource, object: clone(entry.object) }));
  }
}

/** `stringData` folds into base64 `data`, as the API server does on write. */
function normalizeSecret(object: KubeObject): void {
  if (object.kind !== 'Secret') return;
  const stringData = object['stringData'] as Record<string, string> | undefined;
  if (stringData === undefined) return;
  const data = { ...((object['data'] as Record<string, string> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(String(value)).toString('base64');
  object['data'] = data;
  delete object['stringData'];
}
