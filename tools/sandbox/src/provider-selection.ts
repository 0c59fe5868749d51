import { getContainerRuntimeClient } from 'testcontainers';
import { SandboxError } from './sandbox-error.ts';
import type { SandboxProvider } from './sandbox-types.ts';

/**
 * True when testcontainers finds a reachable container engine (Docker, Podman…) within `timeoutMs`.
 *
 * @example
 * if (await containerRuntimeReachable(3_000)) useContainers();
 */
export async function containerRuntimeReachable(timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
  });
  const detected = getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([detected, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves `auto` to `containers` when a container engine is reachable, else `process`; `containers` without an
 * engine is a {@link SandboxError} `NO_CONTAINER_RUNTIME`.
 *
 * @example
 * const provider = await selectProvider('auto', { timeoutMs: 3_000 }); // 'process' on a machine without Docker
 */
export async function selectProvider(
  requested: SandboxProvider,
  options: { timeoutMs: number },
): Promise<'process' | 'containers'> {
  if (requested === 'process') return 'process';
  const reachable = await containerRuntimeReachable(options.timeoutMs);
  if (reachable) return 'containers';
  if (requested === 'auto') return 'process';
  throw new SandboxError({
    code: 'NO_CONTAINER_RUNTIME',
    message: `the containers provider was requested, but no Docker engine is reachable (testcontainers found none within ${options.timeoutMs} ms)`,
    nextSteps: [
      'Start a Docker engine (or set DOCKER_HOST to a reachable one)',
      "Or use provider 'process' / 'auto' to run Synapse, Postgres and moto as local processes",
    ],
  });
}
