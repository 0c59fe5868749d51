import { z } from 'zod';
import type { ClientContext } from './client-context.ts';
import { SynapseClientError } from './synapse-client-error.ts';
import { whoami } from './whoami.ts';

const keyServerSchema = z.object({ server_name: z.string().min(1) });

/**
 * The homeserver's `server_name`: the one the client was created with, else the domain of the client's own user
 * (whoami), else what the server signs its keys with (`GET /_matrix/key/v2/server`, served when the listener also
 * serves federation).
 */
export async function resolveServerName(context: ClientContext): Promise<string> {
  if (context.serverName !== undefined) return context.serverName;
  if (context.accessToken !== undefined) {
    const { userId } = await whoami(context);
    return userId.slice(userId.indexOf(':') + 1);
  }
  try {
    const { server_name } = await context.transport.call({
      method: 'GET',
      route: '/_matrix/key/v2/server',
      path: '/_matrix/key/v2/server',
      idempotency: 'idempotent',
      schema: keyServerSchema,
    });
    return server_name;
  } catch (error) {
    throw new SynapseClientError({
      code: 'server_name_unknown',
      message: 'Could not find out the server_name of this homeserver to build a user id',
      nextSteps: ['Pass serverName to createSynapseClient, or give the client an access token.'],
      ...(error instanceof Error ? { cause: error } : {}),
    });
  }
}
