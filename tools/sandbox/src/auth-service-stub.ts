import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AuthServiceStub {
  /** Base URL (with trailing slash), the `endpoint` Synapse is configured with. */
  readonly url: string;
  /** The OpenID issuer it announces. */
  readonly issuer: string;
  close(): Promise<void>;
}

/**
 * A loopback stand-in for the Matrix Authentication Service, just enough for a real Synapse in delegated mode:
 * the OpenID discovery document (`/.well-known/openid-configuration`, which Synapse relays on
 * `/_matrix/client/v1/auth_metadata`) and a token introspection endpoint that knows no token (so requests with
 * a token get Synapse's 401 rather than a 503).
 *
 * @example
 * const stub = await startAuthServiceStub();
 * // matrix_authentication_service: { enabled: true, endpoint: stub.url, secret_path: ... }
 * await stub.close();
 */
export async function startAuthServiceStub(): Promise<AuthServiceStub> {
  let base = '';
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://stub').pathname;
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'GET' && path === '/.well-known/openid-configuration') {
      json(200, {
        issuer: base,
        account_management_uri: `${base}account/`,
        account_management_actions_supported: ['org.matrix.profile', 'org.matrix.sessions_list'],
        authorization_endpoint: `${base}authorize`,
        token_endpoint: `${base}oauth2/token`,
        revocation_endpoint: `${base}oauth2/revoke`,
        introspection_endpoint: `${base}oauth2/introspect`,
        registration_endpoint: `${base}oauth2/registration`,
        jwks_uri: `${base}oauth2/keys.json`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        prompt_values_supported: ['create'],
      });
    } else if (request.method === 'POST' && path === '/oauth2/introspect') {
      request.resume();
      request.on('end', () => json(200, { active: false }));
    } else {
      json(404, { error: 'not_found' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  server.unref();
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    issuer: base,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
