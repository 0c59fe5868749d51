import { createHmac } from 'node:crypto';

/**
 * Registers a user through Synapse's shared-secret registration (`/_synapse/admin/v1/register`: a nonce, then the
 * HMAC-SHA1 of nonce, user, password and admin flag keyed with the shared secret). Returns the new user's id.
 *
 * @example
 * await registerWithSharedSecret({ url: 'http://10.100.3.1:8008', sharedSecret, user: 'alice', password });
 */
export async function registerWithSharedSecret(options: { url: string; sharedSecret: string; user: string; password: string }): Promise<{ status: number; userId: string | undefined }> {
  const endpoint = `${options.url}/_synapse/admin/v1/register`;
  const { nonce } = (await (await fetch(endpoint)).json()) as { nonce: string };
  const mac = createHmac('sha1', options.sharedSecret).update(`${nonce}\0${options.user}\0${options.password}\0notadmin`).digest('hex');
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nonce, username: options.user, password: options.password, admin: false, mac }),
  });
  const body = (await response.json()) as { user_id?: string };
  return { status: response.status, userId: body.user_id };
}
