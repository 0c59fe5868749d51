import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSecretStore } from './open-secret-store.ts';

describe('env: and file: stores', () => {
  it('env: reads the variable and refuses writes', async () => {
    const store = openSecretStore('env:MR_TOKEN', { env: { MR_TOKEN: 'syt_env_value' } });
    expect((await store.read()).value?.reveal()).toBe('syt_env_value');
    expect(store.writable).toBe(false);
    await expect(store.write('x')).rejects.toMatchObject({ code: 'read_only_store', reference: 'env:MR_TOKEN' });
    await expect(store.restorePrevious()).rejects.toMatchObject({ code: 'read_only_store' });
  });

  it('file: reads the file without its trailing newline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secrets-file-'));
    await writeFile(join(dir, 'secret'), 'shared-secret-value\n');
    const store = openSecretStore(`file:${join(dir, 'secret')}`);
    expect((await store.read()).value?.reveal()).toBe('shared-secret-value');
    await expect(store.write('x')).rejects.toMatchObject({ code: 'read_only_store' });
  });

  it('a missing variable or file reads as absent', async () => {
    expect((await openSecretStore('env:MR_NOT_SET', { env: {} }).read()).exists).toBe(false);
    expect((await openSecretStore('file:/nonexistent/secret').read()).exists).toBe(false);
  });

  it('k8s-secret: without a Kubernetes factory is unsupported_store', () => {
    expect(() => openSecretStore('k8s-secret:matrix/synapse#token')).toThrow(expect.objectContaining({ code: 'unsupported_store' }));
  });

  it('ssm: without a client is unsupported_store', () => {
    expect(() => openSecretStore('ssm:/a')).toThrow(expect.objectContaining({ code: 'unsupported_store' }));
  });
});
