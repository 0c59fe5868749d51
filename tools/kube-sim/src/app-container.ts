/**
 * The program behind the small "app" images (`openmeet/api`, `kube-sim/app`): an HTTP server on `$PORT`
 * (default 3000) that shows which environment it started with, redacted, so a test can tell whether a restart
 * picked up a new Secret value. Runs inside the pod as `node app-container.ts`.
 *
 * GET /health      -> 200 "ok"
 * GET /env-digest  -> {"startedAt": "...", "env": {"MATRIX_ADMIN_ACCESS_TOKEN": "sha256:1a2b3c4d5e6f"}}
 *
 * Only the variables the pod spec defines are listed (the kubelet names them in KUBE_SIM_POD_ENV_NAMES);
 * values appear only as a truncated SHA-256, never in clear.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

const startedAt = new Date().toISOString();
const names = (process.env['KUBE_SIM_POD_ENV_NAMES'] ?? '').split(',').filter((name) => name !== '');
const digest = Object.fromEntries(
  names.map((name) => [name, `sha256:${createHash('sha256').update(process.env[name] ?? '').digest('hex').slice(0, 12)}`]),
);

const server = createServer((request, response) => {
  if (request.url === '/health' || request.url === '/healthz' || request.url === '/') {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('ok');
    return;
  }
  if (request.url === '/env-digest') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ startedAt, env: digest }));
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain' });
  response.end('not found');
});
server.listen(Number(process.env['PORT'] ?? '3000'), '0.0.0.0', () => {
  process.stdout.write(`app listening on ${process.env['PORT'] ?? '3000'}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    process.stdout.write(`app got ${signal}, exiting\n`);
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  });
}
