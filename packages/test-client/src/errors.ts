/**
 * Every code a {@link TestClientError} can carry (frozen). Codes are API: check `err.code`, not
 * `instanceof` (two copies of the package can live in one program). Codes are unique across the
 * `@mcp-auth` packages, so a code alone names its package.
 *
 * @example
 * ```ts
 * if (isTestClientError(err) && TEST_CLIENT_ERROR_CODES.includes(err.code)) report(err.code);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export const TEST_CLIENT_ERROR_CODES = Object.freeze([
  'ERR_HTTP_URL_REFUSED',
  'ERR_URL_UNSUPPORTED',
  'ERR_REQUEST_FAILED',
  'ERR_UNEXPECTED_STATUS',
  'ERR_RESOURCE_METADATA',
  'ERR_RESOURCE_MISMATCH',
  'ERR_AUTHORIZATION_SERVER_METADATA',
  'ERR_PKCE_NOT_SUPPORTED',
  'ERR_NO_CLIENT_IDENTITY',
  'ERR_REGISTRATION_FAILED',
  'ERR_REDIRECT_LISTENER',
  'ERR_BROWSER_OPEN_FAILED',
  'ERR_INTERACTION_REQUIRED',
  'ERR_CALLBACK_TIMEOUT',
  'ERR_STATE_MISMATCH',
  'ERR_CALLBACK_ISSUER_MISMATCH',
  'ERR_CALLBACK_ISSUER_MISSING',
  'ERR_AUTHORIZATION_ERROR',
  'ERR_INVALID_CALLBACK',
  'ERR_TOKEN_REQUEST_FAILED',
  'ERR_TOKEN_EXCHANGE_FAILED',
  'ERR_NO_REFRESH_TOKEN',
  'ERR_REFRESH_FAILED',
  'ERR_TOO_MANY_ATTEMPTS',
  'ERR_CONNECT_FAILED',
  'ERR_MCP_REQUEST_FAILED',
  'ERR_TOOL_FAILED',
  'ERR_TOKEN_STORE',
  'ERR_INTERRUPTED',
] as const);

/** The code of a {@link TestClientError}: one of {@link TEST_CLIENT_ERROR_CODES}. */
export type TestClientErrorCode = (typeof TEST_CLIENT_ERROR_CODES)[number];

/** Structured details attached to a {@link TestClientError}. Never contains a token or secret. */
export interface TestClientErrorDetails {
  /** The URL involved, when there is one. */
  url?: string;
  /** The HTTP status received, when there is one. */
  status?: number;
  /** The OAuth `error` code received from a server (e.g. `access_denied`, `insufficient_scope`). */
  oauthError?: string;
  /** The OAuth `error_description` received, when there is one. */
  oauthErrorDescription?: string;
  /** The code of the underlying `@mcp-auth/discovery` error, when discovery failed. */
  discoveryCode?: string;
  cause?: unknown;
}

/**
 * The one error class of `@mcp-auth/test-client`.
 *
 * @example
 * ```ts
 * try {
 *   await authorize('https://mcp.example.com/mcp', { nonInteractive: true });
 * } catch (err) {
 *   if ((err as TestClientError).code === 'ERR_RESOURCE_MISMATCH') console.error('wrong resource');
 * }
 * ```
 */
export class TestClientError extends Error {
  override readonly name = 'TestClientError';
  readonly code: TestClientErrorCode;
  readonly url?: string;
  readonly status?: number;
  readonly oauthError?: string;
  readonly oauthErrorDescription?: string;
  readonly discoveryCode?: string;

  constructor(code: TestClientErrorCode, message: string, details: TestClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.url !== undefined) this.url = details.url;
    if (details.status !== undefined) this.status = details.status;
    if (details.oauthError !== undefined) this.oauthError = details.oauthError;
    if (details.oauthErrorDescription !== undefined)
      this.oauthErrorDescription = details.oauthErrorDescription;
    if (details.discoveryCode !== undefined) this.discoveryCode = details.discoveryCode;
  }
}

/**
 * True when `err` looks like a {@link TestClientError}: its `name`, and a `code` of
 * {@link TEST_CLIENT_ERROR_CODES} (not the prototype, which differs between copies).
 *
 * @example
 * ```ts
 * if (isTestClientError(err) && err.code === 'ERR_TOO_MANY_ATTEMPTS') process.exitCode = 1;
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function isTestClientError(err: unknown): err is TestClientError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'TestClientError' &&
    (TEST_CLIENT_ERROR_CODES as readonly unknown[]).includes((err as { code?: unknown }).code)
  );
}
