import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { timingSafeEqual } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { ApiStatusError, badRequest, expired, forbidden, notFound } from './api-status.ts';
import type { FaultInjector, RequestFacts } from './fault-injection.ts';
import { record, type KubeObject } from './kube-object.ts';
import { ObjectStore, type StoreEvent } from './object-store.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.ts';
import { groupVersion, resourceVerbs, type ResourceRegistry, type ResourceType } from './resource-types.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { toTable, wantsTable } from './table-format.ts';

/** A parsed resource URL. */
export interface ResourceRequest {
  resource: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  query: URLSearchParams;
}

export interface ApiServerOptions {
  store: ObjectStore;
  registry: ResourceRegistry;
  faults: FaultInjector;
  /** The bearer token every request must carry. */
  token: string;
  /** The user name RBAC-shaped denials name. */
  userName: string;
  cert: string;
  key: string;
  /** Pod logs (`kubectl logs`). */
  readLogs?: (namespace: string, pod: string, container: string | undefined) => Promise<string>;
  /** Extra routes under `/_kube-sim/` (fault injection over HTTP); return false to fall through to 404. */
  adminRoute?: (request: IncomingMessage, response: ServerResponse, body: string) => Promise<boolean>;
}

/** Kinds whose DELETE answers the object rather than a `Status`, as their real registries do. */
const RETURNS_DELETED_OBJECT = new Set(['Pod', 'PersistentVolumeClaim', 'PersistentVolume', 'Service', 'Namespace']);

const SERVER_VERSION = Object.freeze({
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-kube-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
});

function sendJson(response: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, private' });
  response.end(text);
}

/** Sends a `Status` failure (with `Retry-After` when it has one). */
export function sendStatus(response: ServerResponse, error: ApiStatusError): void {
  if (error.retryAfterSeconds !== undefined) response.setHeader('retry-after', String(error.retryAfterSeconds));
  sendJson(response, error.code, error.toStatus());
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text.trim() === '') return {};
  if (contentType?.includes('protobuf') || text.startsWith('k8s\u0000')) {
    throw new ApiStatusError({
      code: 415,
      reason: 'UnsupportedMediaType',
      message: `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (kube-sim does not decode ${contentType ?? 'protobuf'})`,
    });
  }
  try {
    return contentType?.includes('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body of the request could not be decoded: ${(error as Error).message}`);
  }
}

/** The verb a request maps to, as RBAC and audit logs name it. */
export function requestVerb(method: string, named: boolean, query: URLSearchParams): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (query.get('watch') === 'true' || query.get('watch') === '1') return 'watch';
      return named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/**
 * Parses `/api/v1/namespaces/NS/pods/NAME/exec` and friends; `undefined` when the path is not a resource path.
 *
 * @example
 * parseResourcePath(registry, new URL('https://x/apis/apps/v1/namespaces/a/statefulsets/m/scale'));
 */
export function parseResourcePath(registry: ResourceRegistry, url: URL): ResourceRequest | { group: string; version: string } | undefined {
  const parts = url.pathname.split('/').filter((part) => part !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] ?? '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else return undefined;
  if (rest.length === 0) return { group, version };
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && registry.find(group, version, rest[2] ?? '')?.namespaced) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = registry.find(group, version, rest[0] ?? '');
  if (resource === undefined) return undefined;
  return { resource, namespace, name: rest[1], subresource: rest[2], query: url.searchParams };
}

function listKind(resource: ResourceType): string {
  return `${resource.kind}List`;
}

/** Where the next page starts (after this namespace/name) and the resourceVersion of the first page. */
interface ContinueToken {
  after: string;
  resourceVersion: number;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(text: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ContinueToken;
    if (typeof parsed.after !== 'string' || typeof parsed.resourceVersion !== 'number') throw new Error('bad token');
    return parsed;
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function scaleOf(object: KubeObject): KubeObject {
  const spec = record(object['spec']);
  const status = record(object['status']);
  const selector = record(spec['selector']);
  const matchLabels = record(selector['matchLabels']);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
      creationTimestamp: object.metadata.creationTimestamp,
    },
    spec: { replicas: Number(spec['replicas'] ?? 0) },
    status: {
      replicas: Number(status['replicas'] ?? 0),
      selector: Object.entries(matchLabels).map(([key, value]) => `${key}=${String(value)}`).join(','),
    },
  };
}

/**
 * The HTTPS Kubernetes API: discovery, CRUD with the API's semantics, list pagination, watches, patches, the
 * `scale` and `status` subresources, bearer-token auth and fault injection. Exec and port-forward upgrades are
 * attached by their own modules on the returned server's `upgrade` event.
 *
 * @example
 * const server = createApiServer({ store, registry, faults, token, userName: 'kube-sim-admin', cert, key });
 * server.listen(6443, '127.0.0.1');
 */
export function createApiServer(options: ApiServerOptions): Server {
  const { store, registry, faults } = options;
  const expectedToken = Buffer.from(options.token);

  const authorized = (request: IncomingMessage): boolean => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) return false;
    const presented = Buffer.from(match[1] ?? '');
    return presented.length === expectedToken.length && timingSafeEqual(presented, expectedToken);
  };

  const discovery = (url: URL, response: ServerResponse): boolean => {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/version') return sendJson(response, 200, SERVER_VERSION), true;
    if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('ok');
      return true;
    }
    if (path === '/openapi/v3') {
      const paths: Record<string, unknown> = {};
      for (const t of registry.all) {
        const prefix = t.group === '' ? `api/${t.version}` : `apis/${t.group}/${t.version}`;
        paths[prefix] = { serverRelativeURL: `/openapi/v3/${prefix}?hash=${registry.all.length}` };
      }
      sendJson(response, 200, { paths });
      return true;
    }
    if (path.startsWith('/openapi/v3/')) {
      const document = openApiDocument(path.slice('/openapi/v3/'.length));
      if (document === undefined) return false;
      sendJson(response, 200, document);
      return true;
    }
    if (path === '/api') {
      sendJson(response, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: url.host }] });
      return true;
    }
    if (path === '/apis') {
      sendJson(response, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: registry.groups().map((group) => {
          const versions = group.versions.map((version) => ({ groupVersion: `${group.name}/${version}`, version }));
          return { name: group.name, versions, preferredVersion: versions[0] };
        }),
      });
      return true;
    }
    return false;
  };

  /**
   * A minimal OpenAPI v3 document for one group/version: enough for kubectl's field-validation probe (each kind's
   * PATCH operation with its `x-kubernetes-group-version-kind` and the `fieldValidation` query parameter), so
   * kubectl leaves validation to the server instead of downloading schemas.
   */
  const openApiDocument = (prefix: string): Record<string, unknown> | undefined => {
    const parts = prefix.split('/');
    const [group, version] = parts[0] === 'api' ? ['', parts[1] ?? ''] : [parts[1] ?? '', parts[2] ?? ''];
    const types = registry.inGroupVersion(group, version);
    if (types.length === 0) return undefined;
    const paths: Record<string, unknown> = {};
    for (const t of types) {
      const base = `/${prefix}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`;
      const operation = (verb: string): Record<string, unknown> => ({
        operationId: `${verb}${t.kind}`,
        'x-kubernetes-action': verb,
        'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
        parameters: [
          { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
        ],
        responses: { '200': { description: 'OK' } },
      });
      paths[base] = { patch: operation('patch'), put: operation('put') };
      paths[`/${prefix}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`] = { post: operation('post') };
    }
    return { openapi: '3.0.0', info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion }, paths, components: { schemas: {} } };
  };

  const resourceList = (group: string, version: string): Record<string, unknown> | undefined => {
    const types = registry.inGroupVersion(group, version);
    const scaleTargets = group === 'autoscaling' ? [] : types.filter((t) => t.subresources.includes('scale'));
    if (types.length === 0) return undefined;
    const resources: Record<string, unknown>[] = [];
    for (const t of types) {
      resources.push({
        name: t.plural,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: resourceVerbs(t),
        ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
        ...(t.categories.length > 0 ? { categories: t.categories } : {}),
        storageVersionHash: Buffer.from(`${t.group}/${t.kind}`).toString('base64').slice(0, 11),
      });
      for (const sub of t.subresources) {
        const entry: Record<string, unknown> = { name: `${t.plural}/${sub}`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] };
        if (sub === 'scale') Object.assign(entry, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
        if (sub === 'exec' || sub === 'portforward') Object.assign(entry, { kind: sub === 'exec' ? 'PodExecOptions' : 'PodPortForwardOptions', verbs: ['create', 'get'] });
        if (sub === 'log') Object.assign(entry, { kind: 'Pod', verbs: ['get'] });
        if (sub === 'finalize') Object.assign(entry, { verbs: ['update'] });
        resources.push(entry);
      }
    }
    void scaleTargets;
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources };
  };

  const list = (request: IncomingMessage, response: ServerResponse, req: ResourceRequest): void => {
    const query = req.query;
    const all = store.list(req.resource, req.namespace, { labelSelector: query.get('labelSelector'), fieldSelector: query.get('fieldSelector') });
    const limit = Number(query.get('limit') ?? '0');
    const continueText = query.get('continue');
    const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    let items = all;
    let listVersion = store.resourceVersion;
    if (continueText) {
      const token = decodeContinue(continueText);
      if (store.isCompacted(token.resourceVersion)) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      listVersion = token.resourceVersion;
      items = items.filter((o) => keyOf(o) > token.after);
    }
    const metadata: Record<string, unknown> = { resourceVersion: String(listVersion) };
    if (limit > 0 && items.length > limit) {
      const page = items.slice(0, limit);
      const last = page[page.length - 1];
      metadata['continue'] = last === undefined ? undefined : encodeContinue({ after: keyOf(last), resourceVersion: listVersion });
      metadata['remainingItemCount'] = items.length - limit;
      items = page;
    }
    if (wantsTable(request.headers.accept)) {
      sendJson(response, 200, toTable(req.resource.kind, items, metadata), 'application/json;as=Table;v=v1;g=meta.k8s.io');
      return;
    }
    sendJson(response, 200, { kind: listKind(req.resource), apiVersion: groupVersion(req.resource), metadata, items });
  };

  const watch = (request: IncomingMessage, response: ServerResponse, req: ResourceRequest): void => {
    const query = req.query;
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'));
    const inScope = (object: KubeObject): boolean => req.namespace === undefined || !req.resource.namespaced || object.metadata.namespace === req.namespace;
    const matches = (object: KubeObject | undefined): boolean => object !== undefined && inScope(object) && ObjectStore.matches(object, labels, fields);
    const table = wantsTable(request.headers.accept);
    let sentColumns = false;
    const encode = (object: KubeObject): unknown => {
      if (!table) return object;
      const result = toTable(req.resource.kind, [object], { resourceVersion: object.metadata.resourceVersion }, !sentColumns);
      sentColumns = true;
      return result;
    };
    response.writeHead(200, { 'content-type': table ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    const write = (type: string, object: unknown): void => {
      if (!response.writableEnded) response.write(`${JSON.stringify({ type, object })}\n`);
    };
    const deliver = (event: StoreEvent): void => {
      const now = matches(event.object) && event.type !== 'DELETED';
      const before = matches(event.previous);
      if (event.type === 'DELETED') {
        if (matches(event.object) || before) write('DELETED', encode(event.object));
      } else if (now && before) write('MODIFIED', encode(event.object));
      else if (now) write('ADDED', encode(event.object));
      else if (before) write('DELETED', encode(event.object));
    };
    const rvText = query.get('resourceVersion') ?? '';
    const sendInitial = query.get('sendInitialEvents') === 'true';
    if (rvText === '' || rvText === '0' || sendInitial) {
      for (const object of store.list(req.resource, req.namespace, { labelSelector: query.get('labelSelector'), fieldSelector: query.get('fieldSelector') })) write('ADDED', encode(object));
      if (sendInitial) {
        write('BOOKMARK', { kind: req.resource.kind, apiVersion: groupVersion(req.resource), metadata: { resourceVersion: String(store.resourceVersion), annotations: { 'k8s.io/initial-events-end': 'true' } } });
      }
    } else {
      const since = Number(rvText);
      const replay = Number.isFinite(since) ? store.eventsSince(req.resource, since) : undefined;
      if (replay === undefined) {
        write('ERROR', store.tooOld(Number.isFinite(since) ? since : 0).toStatus());
        response.end();
        return;
      }
      for (const event of replay) deliver(event);
    }
    const unsubscribe = store.subscribe(deliver, { resource: req.resource });
    const timers: NodeJS.Timeout[] = [];
    const finish = (): void => {
      unsubscribe();
      untrack();
      for (const timer of timers) clearTimeout(timer);
      if (!response.writableEnded) response.end();
    };
    const untrack = faults.trackWatch(() => {
      finish();
      request.socket.destroy();
    });
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) timers.push(setTimeout(finish, timeoutSeconds * 1000));
    if (query.get('allowWatchBookmarks') === 'true') {
      const bookmark = setInterval(
        () => write('BOOKMARK', { kind: req.resource.kind, apiVersion: groupVersion(req.resource), metadata: { resourceVersion: String(store.resourceVersion) } }),
        5_000,
      );
      timers.push(bookmark);
    }
    request.on('close', finish);
    response.on('close', finish);
  };

  const patchObject = (current: KubeObject, body: string, contentType: string, resource: ResourceType): KubeObject => {
    const type = contentType.split(';')[0]?.trim() ?? '';
    const patch = parseBody(body, type.includes('yaml') ? 'yaml' : 'json');
    if (type === 'application/json-patch+json') return applyJsonPatch(current, patch) as KubeObject;
    if (type === 'application/merge-patch+json') return applyMergePatch(current, patch) as KubeObject;
    if (type === 'application/strategic-merge-patch+json' && !resource.custom) return applyStrategicMergePatch(current, patch) as KubeObject;
    throw new ApiStatusError({
      code: 415,
      reason: 'UnsupportedMediaType',
      message: `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json${resource.custom ? '' : ', application/strategic-merge-patch+json'}, application/apply-patch+yaml`,
    });
  };

  const named = async (request: IncomingMessage, response: ServerResponse, req: ResourceRequest, name: string, body: string): Promise<void> => {
    const method = request.method ?? 'GET';
    const dryRun = req.query.getAll('dryRun').includes('All');
    const { resource, namespace, subresource } = req;
    if (subresource === 'scale') {
      if (!resource.subresources.includes('scale')) throw notFound(resource, name);
      const parent = store.get(resource, namespace, name);
      if (method === 'GET') return sendJson(response, 200, scaleOf(parent));
      let desired: KubeObject;
      if (method === 'PUT') desired = parseBody(body, request.headers['content-type']) as KubeObject;
      else if (method === 'PATCH') desired = patchObject(scaleOf(parent), body, request.headers['content-type'] ?? '', { ...resource, custom: false });
      else throw new ApiStatusError({ code: 405, reason: 'MethodNotAllowed', message: `the server does not allow this method on the requested resource` });
      const replicas = record(desired['spec'])['replicas'];
      const next = { ...parent, spec: { ...record(parent['spec']), replicas } };
      next.metadata = { ...parent.metadata, resourceVersion: desired.metadata?.resourceVersion ?? parent.metadata.resourceVersion };
      const updated = store.update(resource, namespace, name, next, { dryRun });
      return sendJson(response, 200, scaleOf(updated));
    }
    if (subresource === 'log') {
      if (options.readLogs === undefined) throw notFound(resource, name);
      store.get(resource, namespace, name);
      const text = await options.readLogs(namespace ?? '', name, req.query.get('container') ?? undefined);
      const tail = Number(req.query.get('tailLines') ?? '0');
      const lines = tail > 0 ? text.split('\n').slice(-tail - 1).join('\n') : text;
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(lines);
      return;
    }
    if (subresource === 'exec' || subresource === 'portforward' || subresource === 'attach') {
      throw new ApiStatusError({ code: 400, reason: 'BadRequest', message: 'Upgrade request required' });
    }
    if (subresource !== undefined && subresource !== 'status') throw notFound(resource, name);
    const writeOptions = { dryRun, ...(subresource === 'status' ? { subresource: 'status' as const } : {}) };
    switch (method) {
      case 'GET':
      case 'HEAD':
        return sendJson(response, 200, store.get(resource, namespace, name));
      case 'PUT': {
        const input = parseBody(body, request.headers['content-type']) as KubeObject;
        return sendJson(response, 200, store.update(resource, namespace, name, input, writeOptions));
      }
      case 'PATCH': {
        const current = store.get(resource, namespace, name);
        const patched = patchObject(current, body, request.headers['content-type'] ?? '', resource);
        // A patch carrying a resourceVersion is a precondition; otherwise it applies to the latest.
        const patchedVersion = patched.metadata?.resourceVersion;
        const input = { ...patched, metadata: { ...patched.metadata, resourceVersion: patchedVersion ?? current.metadata.resourceVersion } };
        return sendJson(response, 200, store.update(resource, namespace, name, input, writeOptions));
      }
      case 'DELETE': {
        const deleteOptions = record(parseBody(body, request.headers['content-type']));
        const grace = req.query.get('gracePeriodSeconds') ?? deleteOptions['gracePeriodSeconds'];
        const policy = req.query.get('propagationPolicy') ?? deleteOptions['propagationPolicy'];
        const orphan = deleteOptions['orphanDependents'];
        const { object, removed } = store.delete(resource, namespace, name, {
          dryRun,
          ...(grace === undefined || grace === null ? {} : { gracePeriodSeconds: Number(grace) }),
          ...(typeof policy === 'string' ? { propagationPolicy: policy as 'Foreground' | 'Background' | 'Orphan' } : orphan === true ? { propagationPolicy: 'Orphan' as const } : {}),
          ...(deleteOptions['preconditions'] === undefined ? {} : { preconditions: record(deleteOptions['preconditions']) as { uid?: string; resourceVersion?: string } }),
        });
        if (removed && !RETURNS_DELETED_OBJECT.has(resource.kind) && !resource.custom) {
          return sendJson(response, 200, {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { name, ...(resource.group === '' ? {} : { group: resource.group }), kind: resource.plural, uid: object.metadata.uid },
          });
        }
        return sendJson(response, 200, object);
      }
      default:
        throw new ApiStatusError({ code: 405, reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource' });
    }
  };

  const collection = async (request: IncomingMessage, response: ServerResponse, req: ResourceRequest, body: string): Promise<void> => {
    const method = request.method ?? 'GET';
    const query = req.query;
    if (method === 'GET' || method === 'HEAD') {
      if (query.get('watch') === 'true' || query.get('watch') === '1') return watch(request, response, req);
      return list(request, response, req);
    }
    if (method === 'POST') {
      const input = parseBody(body, request.headers['content-type']) as KubeObject;
      const created = store.create(req.resource, req.namespace ?? input.metadata?.namespace, input, { dryRun: query.getAll('dryRun').includes('All') });
      return sendJson(response, 201, created);
    }
    if (method === 'DELETE') {
      const dryRun = query.getAll('dryRun').includes('All');
      const deleteOptions = record(parseBody(body, request.headers['content-type']));
      const policy = query.get('propagationPolicy') ?? deleteOptions['propagationPolicy'];
      const propagationPolicy = typeof policy === 'string' ? (policy as 'Foreground' | 'Background' | 'Orphan') : 'Background';
      const victims = store.list(req.resource, req.namespace, { labelSelector: query.get('labelSelector'), fieldSelector: query.get('fieldSelector') });
      const deleted = victims.map((victim) => store.delete(req.resource, victim.metadata.namespace, victim.metadata.name, { dryRun, propagationPolicy }).object);
      return sendJson(response, 200, { kind: listKind(req.resource), apiVersion: groupVersion(req.resource), metadata: { resourceVersion: String(store.resourceVersion) }, items: deleted });
    }
    throw new ApiStatusError({ code: 405, reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource' });
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', `https://${request.headers.host ?? 'localhost'}`);
    if (!authorized(request)) {
      sendStatus(response, new ApiStatusError({ code: 401, reason: 'Unauthorized', message: 'Unauthorized' }));
      return;
    }
    const body = await readBody(request);
    if (url.pathname.startsWith('/_kube-sim/') && options.adminRoute !== undefined && (await options.adminRoute(request, response, body))) return;
    if (discovery(url, response)) return;
    const parsed = parseResourcePath(registry, url);
    if (parsed === undefined) {
      sendStatus(response, new ApiStatusError({ code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' }));
      return;
    }
    if (!('resource' in parsed)) {
      const listBody = resourceList(parsed.group, parsed.version);
      if (listBody === undefined) sendStatus(response, new ApiStatusError({ code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' }));
      else sendJson(response, 200, listBody);
      return;
    }
    const facts: RequestFacts = {
      verb: requestVerb(request.method ?? 'GET', parsed.name !== undefined, parsed.query),
      resource: parsed.subresource === undefined ? parsed.resource.plural : `${parsed.resource.plural}/${parsed.subresource}`,
      namespace: parsed.namespace,
      name: parsed.name,
    };
    if (faults.isDenied(facts)) {
      throw forbidden({ resource: parsed.resource, verb: facts.verb, user: options.userName, ...(parsed.name === undefined ? {} : { name: parsed.name }), ...(parsed.namespace === undefined ? {} : { namespace: parsed.namespace }) });
    }
    const failure = faults.takeFailure(facts);
    if (failure?.kind === 'drop-connection') {
      request.socket.destroy();
      return;
    }
    if (failure?.kind === 'status') {
      const reasons: Record<number, string> = { 409: 'Conflict', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' };
      throw new ApiStatusError({
        code: failure.code,
        reason: reasons[failure.code] ?? 'InternalError',
        message: failure.message ?? (failure.code === 429 ? 'the server has received too many requests and has asked us to try again later' : failure.code === 409 ? `Operation cannot be fulfilled on ${facts.resource} "${parsed.name ?? ''}": the object has been modified; please apply your changes to the latest version and try again` : 'an error on the server ("injected fault") has prevented the request from succeeding'),
        ...(failure.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: failure.retryAfterSeconds }),
      });
    }
    if (parsed.name === undefined) await collection(request, response, parsed, body);
    else await named(request, response, parsed, parsed.name, body);
  };

  return createServer({ cert: options.cert, key: options.key }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof ApiStatusError) sendStatus(response, error);
      else sendStatus(response, new ApiStatusError({ code: 500, reason: 'InternalError', message: `Internal error occurred: ${(error as Error).message}` }));
    });
  });
}
