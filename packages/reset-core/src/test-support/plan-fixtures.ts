import { openmeetLayout } from '@matrix-reset/user-creds';
import type { ClassCounts, DoctorReport } from '../doctor/doctor.ts';
import { recommend } from '../doctor/doctor.ts';
import type { Observation } from '../observe/observe.ts';
import type { EnvironmentConfig } from '../config/reset-config.ts';

/** A synthetic environment `dev` with Kubernetes (for pure planner tests; nothing is contacted). */
export function fakeEnvironment(overrides: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return {
    name: 'dev',
    protected: false,
    kubernetes: {
      context: 'kind',
      kubeconfig: undefined,
      namespace: 'openmeet-dev',
      workload: { kind: 'StatefulSet', name: 'matrix' },
      workers: undefined,
      pvc: undefined,
      restart: [{ kind: 'Deployment', name: 'api' }],
    },
    synapse: {
      url: 'http://synapse.test',
      portForward: undefined,
      serverName: 'matrix.test',
      sharedSecret: 'ssm:/dev/matrix/shared-secret',
      adminUser: 'admin',
      adminUserId: '@admin:matrix.test',
      homeserverConfig: { pod: '/data/homeserver.yaml' },
      database: undefined,
    },
    adminToken: [{ token: 'ssm:/dev/matrix/admin-token', user: 'ssm:/dev/matrix/admin-user' }],
    appDatabase: { url: 'env:DATABASE_URL', layout: openmeetLayout({ schemas: { names: ['tenant_a'] } }) },
    ...overrides,
  };
}

/** A synthetic observation of {@link fakeEnvironment}. */
export function fakeObservation(options: { authMode?: 'native' | 'delegated'; engine?: 'sqlite3' | 'psycopg2'; kubernetes?: boolean } = {}): Observation {
  const engine = options.engine ?? 'sqlite3';
  return {
    environment: 'dev',
    observedAt: '2026-01-01T00:00:00.000Z',
    synapse: { baseUrl: 'http://synapse.test', serverVersion: '1.157.0', authMode: options.authMode ?? 'native', authEvidence: [] },
    storage:
      engine === 'sqlite3'
        ? { engine, source: 'pod', databasePath: '/data/homeserver.db', onClaimTemplate: 'data', pvcDeletionWipesUsers: true }
        : { engine, source: 'pod', host: 'db', port: 5432, database: 'synapse', user: 'synapse', sslmode: undefined, pvcDeletionWipesUsers: false },
    synapseDatabase: undefined,
    kubernetes:
      options.kubernetes === false
        ? undefined
        : {
            context: 'kind',
            namespace: 'openmeet-dev',
            workload: {
              kind: 'StatefulSet',
              name: 'matrix',
              uid: 'u1',
              resourceVersion: '101',
              generation: 1,
              replicas: 1,
              readyReplicas: 1,
              selector: 'app=matrix',
              retentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
            },
            claims: [],
            pod: 'matrix-0',
            workers: [],
            pvc: {
              name: 'data-matrix-0',
              derived: true,
              chosenBy: 'database',
              source: 'volumeClaimTemplate',
              state: { name: 'data-matrix-0', exists: true, resourceVersion: '55', terminating: false, reclaimPolicy: 'Delete' },
              recreate: undefined,
            },
            volumeSnapshotsSupported: true,
            restart: [{ kind: 'Deployment', name: 'api', exists: true, resourceVersion: '77', generation: 3 }],
            unlistedSynapseWorkloads: [],
          },
    secrets: [
      { role: 'shared-secret', reference: 'ssm:/dev/matrix/shared-secret', kind: 'ssm', writable: true, exists: true, version: '1', managedBy: undefined, error: undefined },
      { role: 'admin-token', reference: 'ssm:/dev/matrix/admin-token', kind: 'ssm', writable: true, exists: true, version: '4', managedBy: undefined, error: undefined },
    ],
    appDatabase: {
      layout: 'openmeet',
      schemas: [{ schema: 'tenant_a', table: 'users', usable: true, problems: [], rowCount: 10, columns: { userId: true, accessToken: true, deviceId: true } }],
      inventory: [{ schema: 'tenant_a', rows: 10, withCredentials: 8, complete: 8, partial: 0, roomReferences: [] }],
    },
  } as Observation;
}

/** A synthetic doctor report of `dev` with these counts (the rest 0). */
export function fakeDoctorReport(counts: Partial<Record<keyof ClassCounts, number>>, adminToken: DoctorReport['adminToken'] = 'valid'): DoctorReport {
  const totals: ClassCounts = { valid: 0, unknown_token: 0, expired: 0, missing_user: 0, deactivated: 0, wrong_owner: 0, partial: 0, unchecked: 0, ...counts };
  const examined = Object.values(totals).reduce((a, b) => a + b, 0);
  return {
    environment: 'dev',
    layout: 'openmeet',
    adminToken,
    population: examined,
    examined,
    sample: undefined,
    totals,
    schemas: [],
    userLookups: 0,
    recommendation: recommend(totals, 0.5, adminToken),
    findings: [],
    findingsTotal: 0,
    storage: undefined,
    evidence: { source: 'api', reason: 'a synthetic report' },
    crossCheck: undefined,
    durationMs: 1,
  };
}
