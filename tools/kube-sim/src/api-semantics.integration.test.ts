import { PatchStrategy, setHeaderOptions, type AppsV1Api, type CoreV1Api, type V1ConfigMap, type V1Deployment, type Watch } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeSim } from './kube-sim.ts';
import { sharedKubeSim } from './test-support/shared-kube-sim.ts';
import { clientsFor, eventually, failure, recordWatch } from './test-support/client-node.ts';
import { httpsJson } from './test-support/https-json.ts';

// API semantics (pagination, watches, writes, deletion) as client-node sees them. One sim for the file; each test
// has its own namespace. No pods here: ConfigMaps and a Deployment whose pods are never started (replicas 0).

const currentSim = sharedKubeSim();
let sim: KubeSim;
let core: CoreV1Api;
let apps: AppsV1Api;
let watch: Watch;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

async function namespace(name: string): Promise<string> {
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

function configMap(name: string, data: Record<string, string> = { key: 'value' }, labels?: Record<string, string>): V1ConfigMap {
  return { metadata: { name, ...(labels === undefined ? {} : { labels }) }, data };
}

function deployment(name: string): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'kube-sim/app' }] } },
    },
  };
}

/** The raw API URL of a path (for requests client-node cannot make, e.g. a wrong content type). */
const api = (path: string): string => `${sim.url}${path}`;

beforeAll(() => {
  sim = currentSim();
  ({ core, apps, watch } = clientsFor(sim.kubeconfigPath));
});

describe('list pagination', () => {
  it('limit + continue return every object exactly once, page by page', async () => {
    const ns = await namespace('page-all');
    const names = Array.from({ length: 7 }, (_, i) => `cm-${i}`);
    for (const name of names) await core.createNamespacedConfigMap({ namespace: ns, body: configMap(name) });
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let token: string | undefined;
    do {
      const page = await core.listNamespacedConfigMap({ namespace: ns, limit: 3, ...(token === undefined ? {} : { _continue: token }) });
      pageSizes.push(page.items.length);
      seen.push(...page.items.map((item) => item.metadata?.name ?? ''));
      token = page.metadata?._continue;
    } while (token !== undefined && token !== '');
    expect(pageSizes).toEqual([3, 3, 1]);
    expect(seen.sort()).toEqual(names);
  });

  it('a page that is not the last says how many items remain', async () => {
    const ns = await namespace('page-remaining');
    for (let i = 0; i < 5; i += 1) await core.createNamespacedConfigMap({ namespace: ns, body: configMap(`cm-${i}`) });
    const page = await core.listNamespacedConfigMap({ namespace: ns, limit: 2 });
    expect(page.metadata?.remainingItemCount).toBe(3);
  });

  it('a continue token that is not one answers 400 BadRequest', async () => {
    const ns = await namespace('page-invalid');
    const { code, status } = await failure(core.listNamespacedConfigMap({ namespace: ns, limit: 2, _continue: 'not-a-token' }));
    expect(code).toBe(400);
    expect(status.reason).toBe('BadRequest');
    expect(status.message).toMatch(/^continue key is not valid/);
  });

  it('a continue token older than the compacted history answers 410 Expired', async () => {
    const ns = await namespace('page-expired');
    for (let i = 0; i < 4; i += 1) await core.createNamespacedConfigMap({ namespace: ns, body: configMap(`cm-${i}`) });
    const first = await core.listNamespacedConfigMap({ namespace: ns, limit: 2 });
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('written-after-the-first-page') });
    sim.store.compact();
    const { code, status } = await failure(core.listNamespacedConfigMap({ namespace: ns, limit: 2, _continue: first.metadata?._continue ?? '' }));
    expect(code).toBe(410);
    expect(status.reason).toBe('Expired');
    expect(status.message).toMatch(/^The provided continue parameter is too old to display a consistent list result/);
  });
});

describe('watches', () => {
  const path = (ns: string): string => `/api/v1/namespaces/${ns}/configmaps`;

  /** Watches `ns`'s ConfigMaps with `query`, runs `act`, and answers the first `count` events as "TYPE name". */
  async function watched(ns: string, query: Record<string, string | number | boolean>, count: number, act: () => Promise<void> = async () => undefined): Promise<string[]> {
    const recorded = await recordWatch(watch, path(ns), query);
    try {
      await act();
      await eventually(() => (recorded.events.length >= count ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 200)); // nothing unexpected after them
      return recorded.events.map((e) => `${e.type} ${e.object.metadata?.name}`);
    } finally {
      recorded.stop();
    }
  }

  it('a watch without resourceVersion replays the current objects as ADDED', async () => {
    const ns = await namespace('watch-replay');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('one') });
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('two') });
    expect(await watched(ns, {}, 2)).toEqual(['ADDED one', 'ADDED two']);
  });

  it('a watch from resourceVersion "0" replays the current objects as ADDED', async () => {
    const ns = await namespace('watch-zero');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('one') });
    expect(await watched(ns, { resourceVersion: '0' }, 1)).toEqual(['ADDED one']);
  });

  it('a watch from a recent resourceVersion sees only the changes after it', async () => {
    const ns = await namespace('watch-from');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('before') });
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('after') });
    await core.patchNamespacedConfigMap({ namespace: ns, name: 'before', body: { data: { key: 'changed' } } }, merge);
    expect(await watched(ns, { resourceVersion: list.metadata?.resourceVersion ?? '' }, 2)).toEqual(['ADDED after', 'MODIFIED before']);
  });

  it('a watch from a compacted resourceVersion gets an ERROR event with a 410 Expired Status', async () => {
    const ns = await namespace('watch-expired');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('one') });
    const old = (await core.listNamespacedConfigMap({ namespace: ns })).metadata?.resourceVersion ?? '';
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('two') });
    sim.store.compact();
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('three') });
    const recorded = await recordWatch(watch, path(ns), { resourceVersion: old });
    await recorded.ended;
    expect(recorded.events).toHaveLength(1);
    expect(recorded.events[0]?.type).toBe('ERROR');
    expect(recorded.events[0]?.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(recorded.events[0]?.object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('timeoutSeconds ends the watch stream', async () => {
    const ns = await namespace('watch-timeout');
    const started = Date.now();
    const recorded = await recordWatch(watch, path(ns), { timeoutSeconds: 1 });
    await recorded.ended;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a labelSelector watch sees an object that stops matching as DELETED', async () => {
    const ns = await namespace('watch-labels');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('other', {}, { tier: 'db' }) });
    const events = await watched(ns, { labelSelector: 'tier=web' }, 3, async () => {
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap('web', {}, { tier: 'web' }) });
      await core.patchNamespacedConfigMap({ namespace: ns, name: 'web', body: { data: { key: 'v2' } } }, merge);
      await core.patchNamespacedConfigMap({ namespace: ns, name: 'web', body: { metadata: { labels: { tier: 'cache' } } } }, merge);
      await core.patchNamespacedConfigMap({ namespace: ns, name: 'other', body: { data: { key: 'v2' } } }, merge);
    });
    expect(events).toEqual(['ADDED web', 'MODIFIED web', 'DELETED web']);
  });

  it('a fieldSelector metadata.name watch sees only that object', async () => {
    const ns = await namespace('watch-fields');
    const events = await watched(ns, { fieldSelector: 'metadata.name=wanted' }, 2, async () => {
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap('unwanted') });
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap('wanted') });
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'unwanted' });
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'wanted' });
    });
    expect(events).toEqual(['ADDED wanted', 'DELETED wanted']);
  });

  it('allowWatchBookmarks sends BOOKMARK events carrying a resourceVersion', async () => {
    const ns = await namespace('watch-bookmarks');
    const recorded = await recordWatch(watch, path(ns), { allowWatchBookmarks: true, timeoutSeconds: 10 });
    try {
      const bookmark = await eventually(() => recorded.events.find((e) => e.type === 'BOOKMARK'), 9_000);
      expect(bookmark.object.kind).toBe('ConfigMap');
      expect(bookmark.object.metadata?.resourceVersion).toMatch(/^\d+$/);
    } finally {
      recorded.stop();
    }
  });
});

describe('writes', () => {
  it('a PUT with a stale resourceVersion answers 409 Conflict with the real message', async () => {
    const ns = await namespace('write-stale');
    const created = await core.createNamespacedConfigMap({ namespace: ns, body: configMap('settings') });
    await core.replaceNamespacedConfigMap({ namespace: ns, name: 'settings', body: { ...created, data: { key: 'first' } } });
    const { code, status } = await failure(core.replaceNamespacedConfigMap({ namespace: ns, name: 'settings', body: { ...created, data: { key: 'second' } } }));
    expect(code).toBe(409);
    expect(status.reason).toBe('Conflict');
    expect(status.message).toBe('Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again');
  });

  it('creating a name that exists answers 409 AlreadyExists', async () => {
    const ns = await namespace('write-exists');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('settings') });
    const { code, status } = await failure(core.createNamespacedConfigMap({ namespace: ns, body: configMap('settings') }));
    expect(code).toBe(409);
    expect(status.reason).toBe('AlreadyExists');
    expect(status.message).toBe('configmaps "settings" already exists');
  });

  it('dryRun=All on create answers the object but stores nothing', async () => {
    const ns = await namespace('dry-create');
    const answered = await core.createNamespacedConfigMap({ namespace: ns, body: configMap('draft'), dryRun: 'All' });
    expect(answered.metadata?.name).toBe('draft');
    expect(answered.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect((await failure(core.readNamespacedConfigMap({ namespace: ns, name: 'draft' }))).code).toBe(404);
  });

  it('dryRun=All on patch answers the patched object but leaves the stored one', async () => {
    const ns = await namespace('dry-patch');
    const created = await core.createNamespacedConfigMap({ namespace: ns, body: configMap('settings', { key: 'old' }) });
    const answered = await core.patchNamespacedConfigMap({ namespace: ns, name: 'settings', body: { data: { key: 'new' } }, dryRun: 'All' }, merge);
    expect(answered.data).toEqual({ key: 'new' });
    const stored = await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' });
    expect(stored.data).toEqual({ key: 'old' });
    expect(stored.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });

  it('dryRun=All on delete answers success but the object stays', async () => {
    const ns = await namespace('dry-delete');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('settings') });
    const answered = await core.deleteNamespacedConfigMap({ namespace: ns, name: 'settings', dryRun: 'All' });
    expect(answered.status).toBe('Success');
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' })).metadata?.deletionTimestamp).toBeUndefined();
  });

  it('dryRun=All on a collection delete deletes nothing', async () => {
    const ns = await namespace('dry-delete-all');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('one') });
    await core.deleteCollectionNamespacedConfigMap({ namespace: ns, dryRun: 'All' });
    expect((await core.listNamespacedConfigMap({ namespace: ns })).items.map((item) => item.metadata?.name)).toEqual(['one']);
  });

  it('a merge patch carrying a stale metadata.resourceVersion answers 409 Conflict', async () => {
    const ns = await namespace('patch-precondition');
    const created = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'creds' }, stringData: { token: 'a' } } });
    const stale = created.metadata?.resourceVersion ?? '';
    await core.patchNamespacedSecret({ namespace: ns, name: 'creds', body: { metadata: { resourceVersion: stale }, stringData: { token: 'b' } } }, merge);
    const { code, status } = await failure(
      core.patchNamespacedSecret({ namespace: ns, name: 'creds', body: { metadata: { resourceVersion: stale }, stringData: { token: 'c' } } }, merge),
    );
    expect(code).toBe(409);
    expect(status.reason).toBe('Conflict');
    const stored = await core.readNamespacedSecret({ namespace: ns, name: 'creds' });
    expect(Buffer.from(stored.data?.['token'] ?? '', 'base64').toString()).toBe('b');
  });

  it('a JSON patch whose test operation fails answers 422 Invalid and changes nothing', async () => {
    const ns = await namespace('patch-test-op');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('settings', { key: 'old' }) });
    const { code, status } = await failure(
      core.patchNamespacedConfigMap({
        namespace: ns,
        name: 'settings',
        body: [
          { op: 'test', path: '/data/key', value: 'something else' },
          { op: 'replace', path: '/data/key', value: 'new' },
        ],
      }),
    );
    expect(code).toBe(422);
    expect(status.reason).toBe('Invalid');
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' })).data).toEqual({ key: 'old' });
  });

  it('a PATCH with a content type that is no patch type answers 415 UnsupportedMediaType', async () => {
    const ns = await namespace('patch-media-type');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('settings') });
    const response = await httpsJson(api(`/api/v1/namespaces/${ns}/configmaps/settings`), {
      method: 'PATCH',
      ca: sim.caCert,
      token: sim.token,
      body: { data: { key: 'new' } },
    });
    expect(response.status).toBe(415);
    expect(response.body).toMatchObject({ kind: 'Status', code: 415, reason: 'UnsupportedMediaType' });
  });

  it('generation moves on a spec change, not on a label or status change', async () => {
    const ns = await namespace('generation');
    const created = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web') });
    expect(created.metadata?.generation).toBe(1);
    const labelled = await apps.patchNamespacedDeployment({ namespace: ns, name: 'web', body: { metadata: { labels: { team: 'matrix' } } } }, merge);
    expect(labelled.metadata?.generation).toBe(1);
    const current = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
    const statusWritten = await apps.replaceNamespacedDeploymentStatus({ namespace: ns, name: 'web', body: { ...current, status: { ...current.status, observedGeneration: 1, replicas: 0 } } });
    expect(statusWritten.metadata?.generation).toBe(1);
    const scaled = await apps.patchNamespacedDeployment({ namespace: ns, name: 'web', body: { spec: { minReadySeconds: 5 } } }, merge);
    expect(scaled.metadata?.generation).toBe(2);
  });
});

describe('deletion', () => {
  it('a finalizer keeps a deleted ConfigMap with deletionTimestamp until a patch removes it; then DELETED', async () => {
    const ns = await namespace('finalizer');
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'held', finalizers: ['example.com/hold'] }, data: {} } });
    const recorded = await recordWatch(watch, `/api/v1/namespaces/${ns}/configmaps`, {});
    try {
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'held' });
      const held = await core.readNamespacedConfigMap({ namespace: ns, name: 'held' });
      expect(held.metadata?.deletionTimestamp).toBeDefined();
      expect(held.metadata?.finalizers).toEqual(['example.com/hold']);
      await core.patchNamespacedConfigMap({ namespace: ns, name: 'held', body: { metadata: { finalizers: null } } }, merge);
      expect((await failure(core.readNamespacedConfigMap({ namespace: ns, name: 'held' }))).code).toBe(404);
      await eventually(() => (recorded.events.some((e) => e.type === 'DELETED') ? true : undefined));
      expect(recorded.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    } finally {
      recorded.stop();
    }
  });

  it('a DELETE whose preconditions.uid does not match answers 409 and deletes nothing', async () => {
    const ns = await namespace('delete-uid');
    const created = await core.createNamespacedConfigMap({ namespace: ns, body: configMap('settings') });
    const wrongUid = '00000000-0000-0000-0000-000000000000';
    const { code, status } = await failure(core.deleteNamespacedConfigMap({ namespace: ns, name: 'settings', body: { preconditions: { uid: wrongUid } } }));
    expect(code).toBe(409);
    expect(status.reason).toBe('Conflict');
    expect(status.message).toBe(
      `Operation cannot be fulfilled on configmaps "settings": Precondition failed: UID in precondition: ${wrongUid}, UID in object meta: ${created.metadata?.uid ?? ''}`,
    );
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' })).metadata?.uid).toBe(created.metadata?.uid);
  });
});
