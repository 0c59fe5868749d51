import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postgresAnswers, psql, startPostgres } from './postgres-provider.ts';
import { processAlive } from './sandbox-record.ts';

const sharedServer = await postgresAnswers({ host: '127.0.0.1', port: 5432, user: 'postgres' });

describe('startPostgres', () => {
  it('runs a private initdb cluster when forced, with a C-collated database, and removes it on stop', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'mr-pg-'));
    const postgres = await startPostgres({ stateDir, mode: 'cluster' });
    expect(postgres.mode).toBe('cluster');
    const db = await postgres.createDatabase();
    expect(await psql(postgres, db.name, 'select datcollate from pg_database where datname = current_database()')).toBe('C');
    const pid = postgres.pid!;
    expect(processAlive(pid)).toBe(true);
    await postgres.stop();
    expect(processAlive(pid)).toBe(false);
    expect(existsSync(join(stateDir, 'postgres'))).toBe(false);
  });

  it.skipIf(!sharedServer)('creates databases on the shared server and drops them on stop', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'mr-pg-'));
    const postgres = await startPostgres({ stateDir, mode: 'server' });
    const db = await postgres.createDatabase('_x');
    expect(db.name).toMatch(/^mr_sandbox_[0-9a-f]+_x$/);
    expect(await psql(postgres, db.name, 'select 1')).toBe('1');
    await postgres.stop();
    expect(await psql(postgres, 'postgres', `select count(*) from pg_database where datname = '${db.name}'`)).toBe('0');
  });
});
