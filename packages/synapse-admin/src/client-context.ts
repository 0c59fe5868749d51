import type { AuthMode, AuthModeReport } from './auth-mode-report.ts';
import { SynapseClientError } from './synapse-client-error.ts';
import type { SynapseTransport } from './synapse-transport.ts';

/** What every operation needs: the shared transport and this client's immutable settings. */
export interface ClientContext {
  readonly transport: SynapseTransport;
  readonly accessToken: string | undefined;
  /** The homeserver's `server_name`, when the caller knows it. */
  readonly serverName: string | undefined;
  /** The auth mode the caller declared; `undefined` means "detect when a route turns out to be missing". */
  readonly authMode: AuthMode | undefined;
  /** Shared by every client derived from one `createSynapseClient`, so detection runs at most once. */
  readonly authModeCache: { report?: Promise<AuthModeReport> };
}

/** Encodes one path segment (a user id, room id, device id). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** The access token, or a typed `missing_token` error before any request is sent. */
export function requireToken(context: ClientContext, what: string): string {
  if (context.accessToken === undefined) {
    throw new SynapseClientError({
      code: 'missing_token',
      message: `${what} needs an access token and this client has none`,
      nextSteps: ['Create the client with { accessToken } or call client.withAccessToken(token).'],
    });
  }
  return context.accessToken;
}
