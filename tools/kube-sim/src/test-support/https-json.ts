import { request } from 'node:https';

/** A JSON request over HTTPS trusting `ca` (the sim's test CA), with an optional bearer token. */
export function httpsJson(url: string, options: { method: string; ca: string; token?: string; body?: unknown }): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const text = options.body === undefined ? undefined : JSON.stringify(options.body);
    const outgoing = request(url, {
      method: options.method,
      ca: options.ca,
      headers: {
        accept: 'application/json',
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...(text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }),
      },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, body: raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>) });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(text);
  });
}
