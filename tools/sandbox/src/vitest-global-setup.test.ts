import { describe, expect, it } from 'vitest';
import { REQUIRED_SANDBOX_ENV } from './vitest-global-setup.ts';

describe('vitest global setup', () => {
  it('exports the sandbox variables into forked test workers', () => {
    for (const name of [...REQUIRED_SANDBOX_ENV, 'SYNAPSE_SHARED_SECRET_FILE', 'AWS_REGION', 'MATRIX_RESET_SANDBOX_STATE']) {
      expect(process.env[name], name).toBeTruthy();
    }
  });

  it('exports endpoints that answer', async () => {
    expect(await (await fetch(`${process.env['SYNAPSE_URL']}/health`)).text()).toBe('OK');
    expect(await (await fetch(`${process.env['SYNAPSE_DELEGATED_URL']}/health`)).text()).toBe('OK');
  });
});
