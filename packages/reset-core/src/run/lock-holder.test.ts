import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultHolder, holderIsGone } from './lock-holder.ts';

/** The holder a short-lived process names for itself, read after it has exited. */
function holderOfExitedProcess(): string {
  const script = `import('${new URL('./lock-holder.ts', import.meta.url).href}').then((m) => process.stdout.write(m.defaultHolder()))`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return child.stdout;
}

describe('lock holders', () => {
  it('name this host, this pid and the process start', () => {
    expect(defaultHolder()).toMatch(new RegExp(`^matrix-reset on ${hostname()} pid ${process.pid} start \\d+@\\d+$`));
  });

  it('tell that a holder of this host whose process exited is gone', () => {
    const holder = holderOfExitedProcess();
    expect(holder).toMatch(/^matrix-reset on \S+ pid \d+ start \d+@\d+$/);
    expect(holderIsGone(holder)).toBe(true);
  });

  it('tell that a pid now used by another process (another start) is not the holder', () => {
    const reused = defaultHolder().replace(/start (\d+)@/, (_, ticks: string) => `start ${Number(ticks) + 1}@`);
    expect(holderIsGone(reused)).toBe(true);
  });

  it('never call a live holder, another host or another format gone', () => {
    expect(holderIsGone(defaultHolder())).toBe(false);
    expect(holderIsGone(defaultHolder().replace(` ${hostname()} `, ' some-other-host '))).toBe(false);
    expect(holderIsGone('matrix-reset http on host-a pid 42 for ops')).toBe(false);
    expect(holderIsGone(`matrix-reset on ${hostname()} pid 4242`)).toBe(false);
  });
});
