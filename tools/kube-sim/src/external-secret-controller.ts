import { createHash } from 'node:crypto';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { KindsReconciler } from './controller-loop.ts';
import { parseGoDuration } from './go-duration.ts';
import type { Kinds } from './kinds.ts';
import { controllerRef, record, records, timestamp, type KubeObject } from './kube-object.ts';
import type { ObjectStore } from './object-store.ts';
import type { ResourceType } from './resource-types.ts';

/** The label External Secrets Operator puts on the Secrets it manages. */
export const MANAGED_LABEL = 'reconcile.external-secrets.io/managed';

/** ESO's default `spec.refreshInterval`. */
const DEFAULT_REFRESH_MS = 3_600_000;
/** How soon a failed sync is retried. */
const RETRY_AFTER_ERROR_MS = 5_000;

/** Makes the SSM client for a store's region. */
export type SsmClientFactory = (region: string) => SSMClient;

/**
 * An SSM client from the environment, as the sandbox exports it: `AWS_ENDPOINT_URL_SSM` (moto), `AWS_REGION`,
 * and `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (dummy `testing` when unset). Read at call time, so a Vitest
 * global setup that sets them later is seen.
 *
 * @example
 * new ExternalSecretController(store, kinds, ssmClientFromEnv);
 */
export function ssmClientFromEnv(region: string): SSMClient {
  const env = process.env;
  const endpoint = env['AWS_ENDPOINT_URL_SSM'];
  return new SSMClient({
    region,
    ...(endpoint ? { endpoint } : {}),
    credentials: { accessKeyId: env['AWS_ACCESS_KEY_ID'] || 'testing', secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] || 'testing' },
    maxAttempts: 2,
  });
}

class SyncError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** ESO's `syncedResourceVersion`: the generation plus a hash of labels and annotations (so `force-sync` changes it). */
function syncVersion(es: KubeObject): string {
  const meta = JSON.stringify({ annotations: es.metadata.annotations ?? {}, labels: es.metadata.labels ?? {} });
  return `${es.metadata.generation ?? 0}-${createHash('sha256').update(meta).digest('hex').slice(0, 32)}`;
}

function withReady(conditions: unknown, ready: boolean, reason: string, message: string): Record<string, unknown>[] {
  const previous = records(conditions).find((c) => c['type'] === 'Ready');
  const status = ready ? 'True' : 'False';
  const lastTransitionTime = previous?.['status'] === status ? previous['lastTransitionTime'] : timestamp();
  return [...records(conditions).filter((c) => c['type'] !== 'Ready'), { type: 'Ready', status, reason, message, lastTransitionTime }];
}

function propertyOf(value: string, property: string, key: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new SyncError('SecretSyncedError', `key ${key}: property ${property} asked, but the value is not JSON`);
  }
  let current: unknown = parsed;
  for (const part of record(parsed)[property] !== undefined ? [property] : property.split('.')) current = record(current)[part];
  if (current === undefined) throw new SyncError('SecretSyncedError', `key ${key}: property ${property} does not exist`);
  return typeof current === 'string' ? current : JSON.stringify(current);
}

/**
 * The External Secrets Operator, for AWS Parameter Store: each `ExternalSecret` whose `spec.secretStoreRef` names a
 * `SecretStore`/`ClusterSecretStore` with `spec.provider.aws.service: ParameterStore` gets its target Secret
 * (`spec.target.name`, else its own name) filled from SSM (`spec.data[].remoteRef.key`, `.property` for a JSON
 * field), labelled `reconcile.external-secrets.io/managed=true` and owned by the ExternalSecret. It syncs on
 * create, on any spec/label/annotation change (`force-sync`), and every `spec.refreshInterval` (`0` = never);
 * status carries `refreshTime`, `syncedResourceVersion` and a `Ready` condition. The Secret is rewritten only
 * when its data changes. Syncs run in the background so a slow SSM never stalls the other controllers.
 *
 * @example
 * new ControllerLoop(store, [new ExternalSecretController(store, kinds, ssmClientFromEnv)], log).start();
 */
export class ExternalSecretController extends KindsReconciler {
  readonly name = 'external-secret-controller';
  readonly #ssm: SsmClientFactory;
  readonly #clients = new Map<string, SSMClient>();
  readonly #inFlight = new Set<string>();
  /** uid -> when a failed sync may be retried, and for which version. */
  readonly #failed = new Map<string, { version: string; retryAt: number }>();
  readonly #onError: (error: unknown) => void;

  constructor(store: ObjectStore, kinds: Kinds, ssm: SsmClientFactory, onError: (error: unknown) => void = () => undefined) {
    super(store, kinds);
    this.#ssm = ssm;
    this.#onError = onError;
  }

  reconcile(): void {
    const externalSecrets = this.store.registry.find('external-secrets.io', 'v1', 'externalsecrets');
    if (externalSecrets === undefined) return;
    const now = Date.now();
    for (const es of this.store.list(externalSecrets, undefined)) {
      const uid = es.metadata.uid ?? '';
      if (es.metadata.deletionTimestamp !== undefined || this.#inFlight.has(uid) || !this.#due(es, now)) continue;
      this.#inFlight.add(uid);
      this.#sync(externalSecrets, es)
        .catch((error: unknown) => this.#onError(error))
        .finally(() => this.#inFlight.delete(uid));
    }
  }

  #due(es: KubeObject, now: number): boolean {
    const version = syncVersion(es);
    const failed = this.#failed.get(es.metadata.uid ?? '');
    if (failed !== undefined && failed.version === version) return now >= failed.retryAt;
    const status = record(es['status']);
    if (status['syncedResourceVersion'] !== version) return true;
    const intervalText = record(es['spec'])['refreshInterval'];
    const interval = intervalText === undefined ? DEFAULT_REFRESH_MS : parseGoDuration(String(intervalText)) ?? DEFAULT_REFRESH_MS;
    if (interval === 0) return false;
    const last = Date.parse(String(status['refreshTime'] ?? ''));
    return Number.isNaN(last) || now - last >= interval;
  }

  #storeOf(es: KubeObject): KubeObject {
    const ref = record(record(es['spec'])['secretStoreRef']);
    const kind = String(ref['kind'] ?? 'SecretStore');
    const name = String(ref['name'] ?? '');
    const type = kind === 'ClusterSecretStore'
      ? this.store.registry.find('external-secrets.io', 'v1', 'clustersecretstores')
      : this.store.registry.find('external-secrets.io', 'v1', 'secretstores');
    const found = type === undefined ? undefined : this.store.tryGet(type, kind === 'ClusterSecretStore' ? undefined : es.metadata.namespace, name);
    if (found === undefined) throw new SyncError('SecretSyncedError', `could not get store: ${kind} "${name}" not found`);
    return found;
  }

  async #fetch(es: KubeObject): Promise<Record<string, string>> {
    const aws = record(record(record(this.#storeOf(es)['spec'])['provider'])['aws']);
    if (String(aws['service'] ?? '') !== 'ParameterStore') {
      throw new SyncError('SecretSyncedError', 'kube-sim serves only SecretStores with spec.provider.aws.service: ParameterStore');
    }
    // The sandbox's region wins: kube-sim talks to the sandbox's moto, whatever region the store was written for.
    const region = process.env['AWS_REGION'] || String(aws['region'] ?? 'us-east-1');
    let client = this.#clients.get(region);
    if (client === undefined) {
      client = this.#ssm(region);
      this.#clients.set(region, client);
    }
    const data: Record<string, string> = {};
    const entries = records(record(es['spec'])['data']);
    for (const [index, entry] of entries.entries()) {
      const remote = record(entry['remoteRef']);
      const key = String(remote['key'] ?? '');
      let value: string;
      try {
        const answer = await client.send(new GetParameterCommand({ Name: key, WithDecryption: true }));
        value = answer.Parameter?.Value ?? '';
      } catch (error) {
        const name = (error as Error).name;
        throw new SyncError('SecretSyncedError', `error retrieving secret at .data[${index}], key: ${key}, err: ${name}: ${(error as Error).message}`);
      }
      const property = remote['property'];
      data[String(entry['secretKey'])] = Buffer.from(property === undefined ? value : propertyOf(value, String(property), key)).toString('base64');
    }
    return data;
  }

  async #sync(type: ResourceType, es: KubeObject): Promise<void> {
    const namespace = es.metadata.namespace;
    const version = syncVersion(es);
    const target = String(record(record(es['spec'])['target'])['name'] ?? es.metadata.name);
    let data: Record<string, string>;
    try {
      data = await this.#fetch(es);
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      this.#failed.set(es.metadata.uid ?? '', { version, retryAt: Date.now() + RETRY_AFTER_ERROR_MS });
      this.store.mutate(type, namespace, es.metadata.name, (object) => {
        const status = record(object['status']);
        object['status'] = { ...status, conditions: withReady(status['conditions'], false, error.reason, error.message) };
      }, { subresource: 'status' });
      return;
    }
    const current = this.store.tryGet(type, namespace, es.metadata.name);
    if (current === undefined || current.metadata.uid !== es.metadata.uid) return;
    this.#writeSecret(current, target, data);
    this.#failed.delete(es.metadata.uid ?? '');
    this.store.mutate(type, namespace, es.metadata.name, (object) => {
      const status = record(object['status']);
      object['status'] = {
        ...status,
        refreshTime: timestamp(),
        syncedResourceVersion: version,
        binding: { name: target },
        conditions: withReady(status['conditions'], true, 'SecretSynced', 'secret synced'),
      };
    }, { subresource: 'status' });
  }

  #writeSecret(es: KubeObject, target: string, data: Record<string, string>): void {
    const namespace = es.metadata.namespace;
    const owner = controllerRef(es);
    const existing = this.store.tryGet(this.kinds.secret, namespace, target);
    if (existing === undefined) {
      this.store.create(this.kinds.secret, namespace, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: target, namespace, labels: { [MANAGED_LABEL]: 'true' }, ownerReferences: [owner] },
        type: 'Opaque',
        data,
      });
      return;
    }
    this.store.mutate(this.kinds.secret, namespace, target, (secret) => {
      secret['data'] = data;
      secret.metadata.labels = { ...secret.metadata.labels, [MANAGED_LABEL]: 'true' };
      const others = (secret.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== owner.uid && ref.controller !== true);
      secret.metadata.ownerReferences = [...others, owner];
    });
  }
}
