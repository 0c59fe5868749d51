import { rm } from 'node:fs/promises';
import { afterAll, beforeAll } from 'vitest';
import { startKubeSim, type KubeSim, type StartKubeSimOptions } from '../kube-sim.ts';

/**
 * One kube-sim for a whole test file: started before its tests, stopped (and its state directory removed) after.
 * Call at the top level of the file; the returned function gives the running sim inside tests and hooks.
 */
export function sharedKubeSim(options: StartKubeSimOptions = {}): () => KubeSim {
  let sim: KubeSim | undefined;
  beforeAll(async () => {
    sim = await startKubeSim(options);
  });
  afterAll(async () => {
    await sim?.stop();
    if (sim !== undefined) await rm(sim.stateDir, { recursive: true, force: true });
  });
  return () => {
    if (sim === undefined) throw new Error('kube-sim is not running (use it inside tests or hooks)');
    return sim;
  };
}
