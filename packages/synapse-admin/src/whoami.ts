import { requireToken, type ClientContext } from './client-context.ts';
import { whoamiSchema } from './schemas.ts';

const WHOAMI = '/_matrix/client/v3/account/whoami';

export interface Whoami {
  userId: string;
  /** Absent for login-as tokens (they have no device) and appservice tokens. */
  deviceId: string | undefined;
  isGuest: boolean;
}

/** `GET /_matrix/client/v3/account/whoami` with the client's token: the hot path of bulk token validation. */
export function whoami(context: ClientContext): Promise<Whoami> {
  return context.transport.call({
    method: 'GET',
    route: WHOAMI,
    path: WHOAMI,
    accessToken: requireToken(context, 'whoami'),
    idempotency: 'idempotent',
    schema: whoamiSchema,
  });
}
