import { codeList, isCodedError } from '@mcp-auth/internal';
/**
 * Stable codes of {@link SseTransportError}, all `ERR_OAUTH_*` (they are failures of the OAuth browser
 * flow). Codes are API: check `err.code`, not `instanceof`.
 */
export type SseTransportErrorCode =
  /** The OAuth client side is not configured (no `clientId`). */
  | 'ERR_OAUTH_NOT_CONFIGURED'
  /** The callback carried no `code` or no `state`, or a malformed one. */
  | 'ERR_OAUTH_CALLBACK_INVALID'
  /** `state` unknown, expired or already used (replay). */
  | 'ERR_OAUTH_STATE_INVALID'
  /** `state` does not belong to this browser (the binding cookie is missing or different). */
  | 'ERR_OAUTH_STATE_MISMATCH'
  /** The redirect URI differs from the one the flow was started with. */
  | 'ERR_OAUTH_REDIRECT_URI_MISMATCH'
  /** The authorization server answered the authorization request with an error. */
  | 'ERR_OAUTH_AUTHORIZATION_DENIED'
  /** RFC 9207: `iss` in the authorization response is not the expected issuer (or is missing when required). */
  | 'ERR_OAUTH_ISSUER_MISMATCH'
  /** The token endpoint refused the code or answered something unusable. */
  | 'ERR_OAUTH_TOKEN_EXCHANGE_FAILED'
  /** The access token received from the token endpoint did not pass validation. */
  | 'ERR_OAUTH_TOKEN_INVALID'
  /** The authorization server (or its metadata) could not be reached. */
  | 'ERR_OAUTH_SERVER_UNAVAILABLE'
  /** The store of pending authorizations failed (e.g. Redis down): the flow fails closed. */
  | 'ERR_OAUTH_STATE_STORE_UNAVAILABLE';

const STATUS: Record<SseTransportErrorCode, number> = {
  ERR_OAUTH_NOT_CONFIGURED: 404,
  ERR_OAUTH_CALLBACK_INVALID: 400,
  ERR_OAUTH_STATE_INVALID: 400,
  ERR_OAUTH_STATE_MISMATCH: 400,
  ERR_OAUTH_REDIRECT_URI_MISMATCH: 400,
  ERR_OAUTH_AUTHORIZATION_DENIED: 400,
  ERR_OAUTH_ISSUER_MISMATCH: 400,
  ERR_OAUTH_TOKEN_EXCHANGE_FAILED: 502,
  ERR_OAUTH_TOKEN_INVALID: 502,
  ERR_OAUTH_SERVER_UNAVAILABLE: 503,
  ERR_OAUTH_STATE_STORE_UNAVAILABLE: 503,
};

/**
 * Every {@link SseTransportErrorCode} (frozen), for exhaustive tables and tests. No other
 * `@mcp-auth` package uses any of these codes, so a code alone says which package failed.
 *
 * @example
 * ```ts
 * if (isSseTransportError(err)) metrics.count(err.code); // one of SSE_TRANSPORT_ERROR_CODES
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export const SSE_TRANSPORT_ERROR_CODES: readonly SseTransportErrorCode[] = codeList(STATUS);

/**
 * The error of the OAuth client side of `@mcp-auth/sse-transport` (authorization flow and callback).
 * Token validation failures of incoming requests are `TokenValidationError`s of `@mcp-auth/validator`.
 * Messages never contain a token, a code, a verifier or a secret.
 *
 * @example
 * ```ts
 * try { await provider.handleCallback(code, state); }
 * catch (err) { if (err.code === 'ERR_OAUTH_STATE_INVALID') { … } }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export class SseTransportError extends Error {
  override readonly name = 'SseTransportError';
  readonly code: SseTransportErrorCode;
  /** The HTTP status the callback page answers with. */
  readonly status: number;
  /** The OAuth `error` the authorization or token endpoint sent, when there was one. */
  readonly oauthError?: string;
  /** The authorization server's `error_description`, untrusted text: escape it before display. */
  readonly oauthErrorDescription?: string;

  constructor(
    code: SseTransportErrorCode,
    message: string,
    options: { cause?: unknown; oauthError?: string; oauthErrorDescription?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = STATUS[code];
    if (options.oauthError !== undefined) this.oauthError = options.oauthError;
    if (options.oauthErrorDescription !== undefined) {
      this.oauthErrorDescription = options.oauthErrorDescription;
    }
  }
}

/**
 * Whether `value` is a {@link SseTransportError}, also one thrown by another copy of this package
 * (duck-typed on `name` and a `code` of {@link SSE_TRANSPORT_ERROR_CODES}, since `instanceof` fails
 * across copies). Check `code` after it.
 *
 * @example
 * ```ts
 * try {
 *   await provider.handleCallback(code, state);
 * } catch (err) {
 *   if (isSseTransportError(err) && err.code === 'ERR_OAUTH_STATE_INVALID') { … }
 *   else throw err;
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export function isSseTransportError(value: unknown): value is SseTransportError {
  return isCodedError(value, 'SseTransportError', STATUS);
}
