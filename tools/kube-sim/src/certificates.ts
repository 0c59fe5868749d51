import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeSimError } from './kube-sim-error.ts';

const run = promisify(execFile);

export interface ServingCertificates {
  /** PEM of the test CA (goes into the kubeconfig as certificate-authority-data). */
  caCert: string;
  /** PEM of the server certificate (SAN 127.0.0.1, localhost) and its key. */
  serverCert: string;
  serverKey: string;
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await run('openssl', [...args], { cwd });
  } catch (error) {
    throw new KubeSimError({
      code: 'OPENSSL_FAILED',
      message: `openssl ${args[0] ?? ''} failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`,
      nextSteps: ['Install the openssl CLI (apt-get install openssl)'],
      cause: error,
    });
  }
}

/**
 * Generates a throwaway CA and a server certificate it signs (SAN `IP:127.0.0.1`, `DNS:localhost`) with the
 * openssl CLI, in `dir` (mode 0600 keys). Each call makes new keys.
 *
 * @example
 * const { caCert, serverCert, serverKey } = await generateServingCertificates('/tmp/sim/pki');
 * https.createServer({ cert: serverCert, key: serverKey });
 */
export async function generateServingCertificates(dir: string): Promise<ServingCertificates> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(
    join(dir, 'server.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' +
      'subjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  await openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key',
      '-out', 'ca.crt', '-days', '30', '-subj', '/CN=kube-sim-ca'],
    dir,
  );
  await openssl(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key',
      '-out', 'server.csr', '-subj', '/CN=kube-apiserver'],
    dir,
  );
  await openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt',
      '-days', '30', '-extfile', 'server.ext'],
    dir,
  );
  const [caCert, serverCert, serverKey] = await Promise.all(
    ['ca.crt', 'server.crt', 'server.key'].map((file) => readFile(join(dir, file), 'utf8')),
  );
  return { caCert: caCert ?? '', serverCert: serverCert ?? '', serverKey: serverKey ?? '' };
}
