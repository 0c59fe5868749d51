import { record, records, type KubeObject } from './kube-object.ts';

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  cell: (object: KubeObject) => string | number;
}

/** `5s`, `3m2s`, `4h`, `2d` as kubectl prints ages. */
export function humanAge(since: string | undefined, now = Date.now()): string {
  if (since === undefined) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

const name: Column = { name: 'Name', type: 'string', cell: (o) => o.metadata.name };
const age: Column = { name: 'Age', type: 'string', cell: (o) => humanAge(o.metadata.creationTimestamp) };
const status = (o: KubeObject): Record<string, unknown> => record(o['status']);
const spec = (o: KubeObject): Record<string, unknown> => record(o['spec']);

function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp !== undefined) return 'Terminating';
  const waiting = records(status(pod)['containerStatuses']).map((s) => record(record(s['state'])['waiting'])['reason']).find((r) => r !== undefined);
  if (typeof waiting === 'string') return waiting;
  return String(status(pod)['phase'] ?? 'Pending');
}

const COLUMNS: Record<string, Column[]> = {
  Pod: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const statuses = records(status(o)['containerStatuses']);
        return `${statuses.filter((s) => s['ready'] === true).length}/${records(spec(o)['containers']).length}`;
      },
    },
    { name: 'Status', type: 'string', cell: podStatus },
    { name: 'Restarts', type: 'integer', cell: (o) => records(status(o)['containerStatuses']).reduce((sum, s) => sum + Number(s['restartCount'] ?? 0), 0) },
    age,
  ],
  StatefulSet: [name, { name: 'Ready', type: 'string', cell: (o) => `${Number(status(o)['readyReplicas'] ?? 0)}/${Number(spec(o)['replicas'] ?? 0)}` }, age],
  Deployment: [
    name,
    { name: 'Ready', type: 'string', cell: (o) => `${Number(status(o)['readyReplicas'] ?? 0)}/${Number(spec(o)['replicas'] ?? 0)}` },
    { name: 'Up-to-date', type: 'integer', cell: (o) => Number(status(o)['updatedReplicas'] ?? 0) },
    { name: 'Available', type: 'integer', cell: (o) => Number(status(o)['availableReplicas'] ?? 0) },
    age,
  ],
  ReplicaSet: [
    name,
    { name: 'Desired', type: 'integer', cell: (o) => Number(spec(o)['replicas'] ?? 0) },
    { name: 'Current', type: 'integer', cell: (o) => Number(status(o)['replicas'] ?? 0) },
    { name: 'Ready', type: 'integer', cell: (o) => Number(status(o)['readyReplicas'] ?? 0) },
    age,
  ],
  PersistentVolumeClaim: [
    name,
    { name: 'Status', type: 'string', cell: (o) => (o.metadata.deletionTimestamp !== undefined ? 'Terminating' : String(status(o)['phase'] ?? '')) },
    { name: 'Volume', type: 'string', cell: (o) => String(spec(o)['volumeName'] ?? '') },
    { name: 'Capacity', type: 'string', cell: (o) => String(record(status(o)['capacity'])['storage'] ?? '') },
    { name: 'Access Modes', type: 'string', cell: (o) => ((status(o)['accessModes'] as string[] | undefined) ?? []).map((m) => m.replace('ReadWriteOnce', 'RWO')).join(',') },
    { name: 'StorageClass', type: 'string', cell: (o) => String(spec(o)['storageClassName'] ?? '<unset>') },
    age,
  ],
  PersistentVolume: [
    name,
    { name: 'Capacity', type: 'string', cell: (o) => String(record(spec(o)['capacity'])['storage'] ?? '') },
    { name: 'Reclaim Policy', type: 'string', cell: (o) => String(spec(o)['persistentVolumeReclaimPolicy'] ?? '') },
    { name: 'Status', type: 'string', cell: (o) => (o.metadata.deletionTimestamp !== undefined ? 'Terminating' : String(status(o)['phase'] ?? '')) },
    { name: 'Claim', type: 'string', cell: (o) => { const ref = record(spec(o)['claimRef']); return ref['name'] === undefined ? '' : `${String(ref['namespace'])}/${String(ref['name'])}`; } },
    age,
  ],
  Secret: [name, { name: 'Type', type: 'string', cell: (o) => String(o['type'] ?? 'Opaque') }, { name: 'Data', type: 'integer', cell: (o) => Object.keys(record(o['data'])).length }, age],
  Service: [
    name,
    { name: 'Type', type: 'string', cell: (o) => String(spec(o)['type'] ?? 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => String(spec(o)['clusterIP'] ?? '<none>') },
    { name: 'Ports', type: 'string', cell: (o) => records(spec(o)['ports']).map((p) => `${String(p['port'])}/${String(p['protocol'] ?? 'TCP')}`).join(',') },
    age,
  ],
  Namespace: [name, { name: 'Status', type: 'string', cell: (o) => String(status(o)['phase'] ?? '') }, age],
  Endpoints: [
    name,
    {
      name: 'Endpoints',
      type: 'string',
      cell: (o) => records(o['subsets']).flatMap((subset) => records(subset['addresses']).flatMap((address) => records(subset['ports']).map((port) => `${String(address['ip'])}:${String(port['port'])}`))).join(',') || '<none>',
    },
    age,
  ],
};

function columnsFor(kind: string): Column[] {
  return COLUMNS[kind] ?? [name, age];
}

function row(object: KubeObject, columns: Column[]): Record<string, unknown> {
  return {
    cells: columns.map((column) => column.cell(object)),
    object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
  };
}

/**
 * The `meta.k8s.io/v1` Table kubectl asks for (`Accept: application/json;as=Table;…`), with the columns a real
 * server prints for the kinds matrix-reset touches and Name/Age for the rest.
 *
 * @example
 * toTable('Pod', pods, { resourceVersion: '42' });
 */
export function toTable(kind: string, objects: KubeObject[], listMetadata: Record<string, unknown>, withColumns = true): Record<string, unknown> {
  const columns = columnsFor(kind);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMetadata,
    columnDefinitions: withColumns
      ? columns.map((column, index) => ({ name: column.name, type: column.type, format: column.name === 'Name' ? 'name' : '', description: column.name, priority: index > 5 ? 1 : 0 }))
      : [],
    rows: objects.map((object) => row(object, columns)),
  };
}

/** True when the Accept header asks for a Table. */
export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && accept.split(',')[0]?.includes('as=Table') === true;
}
