import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoSummary } from './demo.ts';
import { renderDemoSummary } from './demo-summary-text.ts';

// The whole demo on the Postgres shape, end to end: its own sandbox with kube-sim's synapse-ananace scenario (Synapse
// and a generic worker as Deployments, the database ks_<hex>_synapse on the sandbox's Postgres), stopped afterwards.
let summary: DemoSummary;
const progress: string[] = [];

beforeAll(async () => {
  summary = await runDemo({ shape: 'postgres', stateDir: join(mkdtempSync(join(tmpdir(), 'mr-demo-pg-')), 'sandbox'), onProgress: (m) => progress.push(m) });
  // Synapse makes its schema on Postgres three times (first start, after the incident, after the reset): about 30 s
  // each on an idle machine, twice that on a loaded one.
}, 420_000);

describe('matrix-reset demo --shape postgres', () => {
  it('seeds three tenants with users of the Deployment Synapse', () => {
    expect(summary.shape).toBe('postgres');
    expect(summary.seeded).toMatchObject({ tenants: ['tenant_alpha', 'tenant_beta', 'tenant_gamma'], users: 9, admin: '@admin:matrix-ananace.openmeet.test' });
  });

  it("after Synapse's database is wiped every stored credential is dead, and the full reset swaps the database instead of deleting the claim", () => {
    const [wipe] = summary.scenarios;
    expect(wipe!.incident).toMatch(/^scaled Deployment matrix-synapse and Deployment matrix-synapse-generic-worker to 0, dropped database ks_[0-9a-f]{8}_synapse and made it again empty/);
    expect(wipe!.doctorBefore).toMatchObject({ adminToken: 'invalid', examined: 9 });
    expect(wipe!.plan.mode).toBe('full-reset');
    expect(wipe!.plan.steps).toEqual(expect.arrayContaining(['scale-down', 'backup-synapse-database', 'create-synapse-database', 'scale-up']));
    expect(wipe!.plan.steps).not.toContain('delete-pvc');
    expect(wipe!.run.state).toBe('finished');
    expect(wipe!.run.steps.map((s) => s.state).every((s) => s === 'finished')).toBe(true);
  });

  it('the old database is kept as <db>__mr_<run id> beside a fresh one of the same name, and the media claim is kept', () => {
    const [wipe] = summary.scenarios;
    const db = wipe!.synapseDatabase!;
    expect(db.name).toMatch(/^ks_[0-9a-f]{8}_synapse$/);
    expect(db).toEqual({ name: db.name, backup: `${db.name}__mr_${wipe!.run.id}`, created: true, onServer: [db.name, `${db.name}__mr_${wipe!.run.id}`] });
    expect(wipe!.pvcUid.after).toBe(wipe!.pvcUid.before);
  });

  it('the full reset passes verify and the doctor then finds nothing to do', () => {
    const [wipe] = summary.scenarios;
    expect(wipe!.verify?.ok).toBe(true);
    expect(wipe!.doctorAfter.action).toBe('nothing');
  });

  it('the summary says the database was renamed to its backup and a fresh one made', () => {
    const [wipe] = summary.scenarios;
    const { name, backup } = wipe!.synapseDatabase!;
    const text = renderDemoSummary(summary);
    expect(text).toMatch(/^matrix-reset demo \(--shape postgres\): 9 app users/);
    expect(text).toContain(`   Synapse DB:    ${name} renamed to ${backup!} (kept: rollback swaps it back, prune drops it); a fresh, empty ${name} made for Synapse to start on\n`);
    expect(text).toContain(`   Synapse DB:    unchanged (${name})\n`);
  });

  it('the plan shown names the rename and the database made in its place', () => {
    const { name } = summary.scenarios[0]!.synapseDatabase!;
    expect(progress).toContainEqual(expect.stringContaining(`backup-synapse-database: Wait until no session is left on Synapse's database ${name}`));
    expect(progress).toContainEqual(expect.stringContaining(`then rename it to ${name}__mr_<run id>`));
    expect(progress).toContainEqual(expect.stringContaining(`create-synapse-database: Create an empty ${name} like the one moved aside`));
  });

  it('a few logged-out tokens are repaired without touching the database or the claim', () => {
    const [wipe, logout] = summary.scenarios;
    expect(logout!.doctorBefore).toMatchObject({ action: 'repair', totals: expect.objectContaining({ unknown_token: 2 }) as object });
    expect(logout!.plan.mode).toBe('repair');
    expect(logout!.run.state).toBe('finished');
    expect(logout!.synapseDatabase).toEqual({ ...wipe!.synapseDatabase!, backup: undefined, created: false });
    expect(logout!.pvcUid.after).toBe(logout!.pvcUid.before);
    expect(logout!.doctorAfter).toMatchObject({ action: 'nothing', totals: expect.objectContaining({ unknown_token: 0, valid: 9 }) as object });
  });

  it('stops the sandbox and says so on the progress stream', () => {
    expect(summary.kept).toBe(false);
    expect(progress).toContain('== Stopping the sandbox');
  });
});
