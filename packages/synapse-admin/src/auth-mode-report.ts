/** `native`: Synapse checks passwords and issues tokens itself. `delegated`: the Matrix Authentication Service does. */
export type AuthMode = 'native' | 'delegated';

/** What one probe saw, and what it points to. */
export interface AuthModeEvidence {
  probe: 'auth_metadata' | 'register_nonce' | 'login_flows';
  /** The request, e.g. `GET /_matrix/client/v1/auth_metadata`. */
  request: string;
  /** HTTP status, absent when there was no answer. */
  status: number | undefined;
  errcode: string | undefined;
  indicates: AuthMode | 'inconclusive';
  detail: string;
}

/** What auth-mode detection found: the mode, and the probes that established it. */
export interface AuthModeReport {
  mode: AuthMode;
  evidence: readonly AuthModeEvidence[];
}
