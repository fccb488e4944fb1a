import { codeList } from '@mcp-auth/internal';
/** Stable codes of {@link DevAuthServerError}. */
export type DevAuthServerErrorCode =
  /** The server answered with an OAuth error (`error` holds its code, e.g. `invalid_grant`). */
  | 'ERR_OAUTH'
  /** The server answered with something that is not a valid OAuth response. */
  | 'ERR_UNEXPECTED_RESPONSE'
  /** The authorization response's `state` did not match the request's. */
  | 'ERR_FLOW_STATE_MISMATCH'
  /** The authorization response's `iss` (RFC 9207) did not match the issuer. */
  | 'ERR_FLOW_ISSUER_MISMATCH'
  /** The login or consent step could not be completed (unknown user, too many redirects...). */
  | 'ERR_INTERACTION'
  /** The server could not be reached or did not answer in time. */
  | 'ERR_SERVER_UNREACHABLE';

// A record, so the compiler proves the list below names every code, and nothing else.
const CODES: Record<DevAuthServerErrorCode, true> = {
  ERR_OAUTH: true,
  ERR_UNEXPECTED_RESPONSE: true,
  ERR_FLOW_STATE_MISMATCH: true,
  ERR_FLOW_ISSUER_MISMATCH: true,
  ERR_INTERACTION: true,
  ERR_SERVER_UNREACHABLE: true,
};

/**
 * Every {@link DevAuthServerErrorCode} (frozen). Like the published packages' codes, none is used by
 * another `@mcp-auth` package.
 */
export const DEV_AUTH_SERVER_ERROR_CODES: readonly DevAuthServerErrorCode[] = codeList(CODES);

/**
 * Failure of a helper that talks to the server (`getToken`, `authorizationCodeFlow`, ...).
 * Check `code` (and `error` for `ERR_OAUTH`), not `instanceof`.
 */
export class DevAuthServerError extends Error {
  readonly code: DevAuthServerErrorCode;
  /** The OAuth `error` code, for `ERR_OAUTH`. */
  readonly error: string | undefined;
  readonly errorDescription: string | undefined;
  /** HTTP status of the response, when there was one. */
  readonly status: number | undefined;

  constructor(
    code: DevAuthServerErrorCode,
    message: string,
    o: { error?: string; errorDescription?: string; status?: number } = {},
  ) {
    super(message);
    this.name = 'DevAuthServerError';
    this.code = code;
    this.error = o.error;
    this.errorDescription = o.errorDescription;
    this.status = o.status;
  }
}
