import type { LocalBootstrapResult } from '@matrix-reset/reset-core';

const ACTIONS: Record<LocalBootstrapResult['action'], string> = {
  kept: 'its token in the .env still works',
  registered: 'registered',
  'password-login': 'logged in with the kept password',
};

/** `local bootstrap` as text: what was written to the .env, and how the admin was found or made. */
export function renderBootstrap(r: LocalBootstrapResult): string {
  return [
    r.written.length === 0 ? `${r.envFile} already up to date` : `${r.dryRun ? 'Would write' : 'Wrote'} ${r.written.join(', ')} to ${r.envFile}`,
    `Admin ${r.userId}: ${r.dryRun && r.action === 'registered' ? 'would be registered (or found existing)' : ACTIONS[r.action]}`,
    '',
  ].join('\n');
}
