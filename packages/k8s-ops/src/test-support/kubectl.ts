import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl against the tests' cluster (KUBECONFIG), as an outside oracle; never throws on a non-zero exit. */
export async function kubectl(args: readonly string[]): Promise<KubectlResult> {
  try {
    const { stdout, stderr } = await run('kubectl', [...args], { env: process.env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : 1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

/** kubectl's `-o name` answer as a sorted list (`deployment.apps/x`, `pod/y`). */
export async function kubectlNames(args: readonly string[]): Promise<string[]> {
  const result = await kubectl([...args, '-o', 'name']);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line !== '').sort();
}
