import { buildWwwAuthenticate } from '@mcp-auth/discovery';

/**
 * Every way a token or a request can fail validation, as a stable string. Codes are API: changing
 * one is a breaking change. Check `err.code`, not `instanceof` (two copies of this package can live
 * in one application).
 */
export type TokenValidationErrorCode =
  /** The request carried no bearer token (no `Authorization` header, or another scheme). 401, no `error`. */
  | 'ERR_MISSING_TOKEN'
  /** The `Authorization` header is malformed: `Bearer` without a token, two tokens, characters outside token68, repeated headers. 400 `invalid_request`. */
  | 'ERR_MALFORMED_HEADER'
  /** The token is longer than `maxTokenLength` (16 KB by default). 400 `invalid_request`. */
  | 'ERR_TOKEN_TOO_LARGE'
  /** The token cannot be parsed: bad base64url, bad JSON, wrong number of segments, not a JWT when only JWTs are accepted. 401 `invalid_token`. */
  | 'ERR_TOKEN_MALFORMED'
  /** The JWS `alg` is not in the allowlist or does not fit the key type (`none`, HMAC, …). 401 `invalid_token`. */
  | 'ERR_ALG_NOT_ALLOWED'
  /** No key of the issuer's JWKS matches the token's `kid`/`alg`, even after one refetch. 401 `invalid_token`. */
  | 'ERR_KEY_NOT_FOUND'
  /** The signature does not verify with the issuer's key. 401 `invalid_token`. */
  | 'ERR_SIGNATURE_INVALID'
  /** The JWS header lists a `crit` extension this validator does not understand (RFC 7515 §4.1.11). 401 `invalid_token`. */
  | 'ERR_CRIT_UNSUPPORTED'
  /** The JWT header `typ` is not `at+jwt` while the profile or options require it (RFC 9068 §4). 401 `invalid_token`. */
  | 'ERR_TYP_INVALID'
  /** The token is not an access token: an ID token, a Cognito `token_use: "id"`, a refresh token. 401 `invalid_token`. */
  | 'ERR_NOT_ACCESS_TOKEN'
  /** `iss` is missing or not exactly the issuer. 401 `invalid_token`. */
  | 'ERR_ISSUER_MISMATCH'
  /** `exp` is in the past (beyond the clock tolerance). 401 `invalid_token`. */
  | 'ERR_TOKEN_EXPIRED'
  /** `nbf` or `iat` is in the future (beyond the clock tolerance). 401 `invalid_token`. */
  | 'ERR_TOKEN_NOT_YET_VALID'
  /** `iat` is older than `jwt.maxTokenAgeSeconds`. 401 `invalid_token`. */
  | 'ERR_TOKEN_TOO_OLD'
  /** A claim is missing or has the wrong type (`exp` absent or a string, `scope` not a string, …); see `claim`. 401 `invalid_token`. */
  | 'ERR_CLAIM_INVALID'
  /** `aud` does not contain this resource (or an accepted audience). 401 `invalid_token`. */
  | 'ERR_AUDIENCE_MISMATCH'
  /** The token's client id is not in `allowedClientIds`. 401 `invalid_token`. */
  | 'ERR_CLIENT_NOT_ALLOWED'
  /** Introspection says `active: false` (revoked, expired, unknown). 401 `invalid_token`. */
  | 'ERR_TOKEN_INACTIVE'
  /** `customValidator` rejected the token. 401 `invalid_token`. */
  | 'ERR_CUSTOM_VALIDATION_FAILED'
  /** The token is valid but lacks a required scope; `requiredScopes` lists all of them. 403 `insufficient_scope`. */
  | 'ERR_INSUFFICIENT_SCOPE'
  /** The authorization server (discovery, JWKS or introspection) is unreachable, slow or answers garbage. 503 with `Retry-After`. */
  | 'ERR_AUTH_SERVER_UNAVAILABLE';

/** The OAuth 2.0 bearer-token error codes of RFC 6750 §3.1. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

interface CodeMapping {
  status: 400 | 401 | 403 | 503;
  error: BearerErrorCode | undefined;
}

/**
 * The one place where a failure becomes an HTTP status and an RFC 6750 `error`. Everything else
 * (the error class, the node and fetch adapters, the SDK bridge) reads this table.
 */
const CODE_MAPPING: Record<TokenValidationErrorCode, CodeMapping> = {
  ERR_MISSING_TOKEN: { status: 401, error: undefined },
  ERR_MALFORMED_HEADER: { status: 400, error: 'invalid_request' },
  ERR_TOKEN_TOO_LARGE: { status: 400, error: 'invalid_request' },
  ERR_TOKEN_MALFORMED: { status: 401, error: 'invalid_token' },
  ERR_ALG_NOT_ALLOWED: { status: 401, error: 'invalid_token' },
  ERR_KEY_NOT_FOUND: { status: 401, error: 'invalid_token' },
  ERR_SIGNATURE_INVALID: { status: 401, error: 'invalid_token' },
  ERR_CRIT_UNSUPPORTED: { status: 401, error: 'invalid_token' },
  ERR_TYP_INVALID: { status: 401, error: 'invalid_token' },
  ERR_NOT_ACCESS_TOKEN: { status: 401, error: 'invalid_token' },
  ERR_ISSUER_MISMATCH: { status: 401, error: 'invalid_token' },
  ERR_TOKEN_EXPIRED: { status: 401, error: 'invalid_token' },
  ERR_TOKEN_NOT_YET_VALID: { status: 401, error: 'invalid_token' },
  ERR_TOKEN_TOO_OLD: { status: 401, error: 'invalid_token' },
  ERR_CLAIM_INVALID: { status: 401, error: 'invalid_token' },
  ERR_AUDIENCE_MISMATCH: { status: 401, error: 'invalid_token' },
  ERR_CLIENT_NOT_ALLOWED: { status: 401, error: 'invalid_token' },
  ERR_TOKEN_INACTIVE: { status: 401, error: 'invalid_token' },
  ERR_CUSTOM_VALIDATION_FAILED: { status: 401, error: 'invalid_token' },
  ERR_INSUFFICIENT_SCOPE: { status: 403, error: 'insufficient_scope' },
  ERR_AUTH_SERVER_UNAVAILABLE: { status: 503, error: undefined },
};

/** Every {@link TokenValidationErrorCode}, for exhaustive tables and tests. */
export const TOKEN_VALIDATION_ERROR_CODES = Object.freeze(
  Object.keys(CODE_MAPPING) as TokenValidationErrorCode[],
);

/**
 * The HTTP status and RFC 6750 `error` of a code: the single mapping used everywhere.
 *
 * @example
 * ```ts
 * statusForCode('ERR_INSUFFICIENT_SCOPE'); // { status: 403, error: 'insufficient_scope' }
 * statusForCode('ERR_MISSING_TOKEN');      // { status: 401, error: undefined }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function statusForCode(code: TokenValidationErrorCode): CodeMapping {
  return CODE_MAPPING[code];
}

/** Structured details of a {@link TokenValidationError}. */
export interface TokenValidationErrorDetails {
  /** The claim (or header parameter) at fault: `exp`, `aud`, `iss`, `typ`, `alg`, … */
  claim?: string;
  /** A short machine-readable reason inside the code: `multiple_headers`, `jwks_timeout`, … */
  reason?: string;
  /** Every scope the request needs (for `ERR_INSUFFICIENT_SCOPE`). */
  requiredScopes?: string[];
  /** Seconds before retrying (for `ERR_AUTH_SERVER_UNAVAILABLE`). */
  retryAfterSeconds?: number;
  /** The underlying error (never serialised into a response). */
  cause?: unknown;
}

/** What {@link TokenValidationError.toResponse} returns: ready to send. */
export interface TokenValidationErrorResponse {
  status: 400 | 401 | 403 | 503;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

/**
 * The one error class of `@mcp-auth/validator`. `code` is stable API; `status` and `error` come
 * from a single table; `message` never contains the token (nor any claim value from it).
 *
 * @example
 * ```ts
 * try {
 *   const auth = await validator.validate(token);
 * } catch (err) {
 *   if ((err as TokenValidationError).code === 'ERR_TOKEN_EXPIRED') { ... }
 *   const { status, headers, body } = (err as TokenValidationError).toResponse({
 *     resourceMetadata: validator.resourceMetadataUrl,
 *   });
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export class TokenValidationError extends Error {
  override readonly name = 'TokenValidationError';
  readonly code: TokenValidationErrorCode;
  readonly status: 400 | 401 | 403 | 503;
  /** The RFC 6750 error code; `undefined` when no token was sent (§3.1) and for 503. */
  readonly error?: BearerErrorCode;
  readonly requiredScopes?: string[];
  readonly retryAfterSeconds?: number;
  readonly claim?: string;
  readonly reason?: string;

  constructor(
    code: TokenValidationErrorCode,
    message: string,
    details: TokenValidationErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    const mapping = CODE_MAPPING[code];
    this.code = code;
    this.status = mapping.status;
    if (mapping.error !== undefined) this.error = mapping.error;
    if (details.claim !== undefined) this.claim = details.claim;
    if (details.reason !== undefined) this.reason = details.reason;
    if (details.requiredScopes !== undefined) this.requiredScopes = [...details.requiredScopes];
    if (code === 'ERR_AUTH_SERVER_UNAVAILABLE') {
      this.retryAfterSeconds = Math.max(1, Math.ceil(details.retryAfterSeconds ?? 5));
    } else if (details.retryAfterSeconds !== undefined) {
      this.retryAfterSeconds = details.retryAfterSeconds;
    }
  }

  /**
   * The `WWW-Authenticate` value for this failure (RFC 6750 §3, RFC 9728 §5.1), rendered by
   * `@mcp-auth/discovery`. No `error` parameter when no token was sent. For insufficient scope, the
   * `scope` parameter lists every scope the request needs.
   *
   * @example
   * ```ts
   * res.setHeader('WWW-Authenticate', err.challenge({ resourceMetadata: validator.resourceMetadataUrl }));
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
   */
  challenge(o: { resourceMetadata: string; scope?: string[] }): string {
    // insufficient_scope names exactly what this request needs; other challenges the route's scopes.
    const scope = this.requiredScopes ?? o.scope;
    return buildWwwAuthenticate({
      ...(this.error !== undefined ? { error: this.error } : {}),
      ...(this.error !== undefined ? { errorDescription: this.message } : {}),
      ...(scope !== undefined && scope.length > 0 ? { scope } : {}),
      resourceMetadata: o.resourceMetadata,
    });
  }

  /**
   * Status, headers and JSON body for this failure: `WWW-Authenticate` on 400/401/403,
   * `Retry-After` on 503, `Cache-Control: no-store` always.
   *
   * @example
   * ```ts
   * const { status, headers, body } = err.toResponse({ resourceMetadata: validator.resourceMetadataUrl });
   * return new Response(JSON.stringify(body), { status, headers });
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
   */
  toResponse(o: { resourceMetadata: string; scope?: string[] }): TokenValidationErrorResponse {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'cache-control': 'no-store',
    };
    let error: string;
    if (this.status === 503) {
      headers['retry-after'] = String(this.retryAfterSeconds ?? 5);
      error = 'temporarily_unavailable';
    } else {
      headers['www-authenticate'] = this.challenge(o);
      error = this.error ?? 'unauthorized';
    }
    return { status: this.status, headers, body: { error, error_description: this.message } };
  }
}

/**
 * True when `value` looks like a {@link TokenValidationError} (duck-typed on `name` and a known
 * `code`), so two copies of this package in one application still recognise each other's errors.
 *
 * @example
 * ```ts
 * if (isTokenValidationError(err)) res.writeHead(err.status);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function isTokenValidationError(value: unknown): value is TokenValidationError {
  return (
    value instanceof Error &&
    (value as { name?: unknown }).name === 'TokenValidationError' &&
    typeof (value as { code?: unknown }).code === 'string' &&
    Object.hasOwn(CODE_MAPPING, (value as unknown as { code: string }).code)
  );
}
