import {
  buildWwwAuthenticate,
  type BearerErrorCode as Rfc6750ErrorCode,
} from '@mcp-auth/discovery';
import { codeList, isCodedError } from '@mcp-auth/internal';

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
  | 'ERR_AUTH_SERVER_UNAVAILABLE'
  /** `Authorization: DPoP` without a `DPoP` proof header. 401 `invalid_dpop_proof`. */
  | 'ERR_DPOP_PROOF_MISSING'
  /** More than one `DPoP` header (RFC 9449 §4.3 step 1). 400 `invalid_request`. */
  | 'ERR_DPOP_MULTIPLE_PROOFS'
  /** The `DPoP` proof is longer than `dpop.maxProofLength`. 400 `invalid_request`. */
  | 'ERR_DPOP_PROOF_TOO_LARGE'
  /** The proof is not a well-formed DPoP proof: not a JWS, `typ` not `dpop+jwt`, `jwk` missing, private or symmetric, bad signature, a required claim missing or mistyped (`reason` says which). 401 `invalid_dpop_proof`. */
  | 'ERR_DPOP_PROOF_INVALID'
  /** The proof's `alg` is not in `dpop.algorithms` (`none` and HMAC never are). 401 `invalid_dpop_proof`. */
  | 'ERR_DPOP_ALG_NOT_ALLOWED'
  /** The proof's `htm` is not this request's method. 401 `invalid_dpop_proof`. */
  | 'ERR_DPOP_HTM_MISMATCH'
  /** The proof's `htu` is not this request's URL (query and fragment ignored, RFC 9449 §4.3). 401 `invalid_dpop_proof`. */
  | 'ERR_DPOP_HTU_MISMATCH'
  /** The proof's `iat` is older than `dpop.iatWindowSeconds` or in the future (`reason`: `too_old`, `in_future`). 401 `invalid_dpop_proof`. */
  | 'ERR_DPOP_IAT_INVALID'
  /** The proof's `jti` was already used (a replayed proof). 401 `invalid_dpop_proof`. */
  | 'ERR_DPOP_REPLAYED'
  /** The proof's `ath` is missing or is not the hash of the presented token. 401 `invalid_dpop_proof`. */
  | 'ERR_DPOP_ATH_MISMATCH'
  /** The proof lacks the server nonce, or carries a stale or foreign one; the response carries a fresh `DPoP-Nonce`. 401 `use_dpop_nonce`. */
  | 'ERR_DPOP_NONCE_INVALID'
  /** The token is bound to another key: its `cnf.jkt` is not the thumbprint of the proof's key. 401 `invalid_token`. */
  | 'ERR_DPOP_KEY_MISMATCH'
  /** `Authorization: DPoP` with a token that is not DPoP-bound (no `cnf.jkt`). 401 `invalid_token`. */
  | 'ERR_DPOP_TOKEN_NOT_BOUND'
  /** A DPoP-bound token presented as a Bearer token (no downgrade, RFC 9449 §7.2). 401 `invalid_token`. */
  | 'ERR_DPOP_BOUND_TOKEN_AS_BEARER'
  /** `dpop.mode` is `required` and the request used the Bearer scheme. 401 `invalid_token`. */
  | 'ERR_DPOP_REQUIRED'
  /** The replay store failed: the proof is refused (fail closed). 503 with `Retry-After`. */
  | 'ERR_DPOP_REPLAY_STORE_UNAVAILABLE';

/**
 * The `error` codes of a challenge: RFC 6750 §3.1's (defined once, in `@mcp-auth/discovery`) and
 * the DPoP ones of RFC 9449 §7.1 and §9.
 */
export type BearerErrorCode = Rfc6750ErrorCode | 'invalid_dpop_proof' | 'use_dpop_nonce';

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
  ERR_DPOP_PROOF_MISSING: { status: 401, error: 'invalid_dpop_proof' },
  ERR_DPOP_MULTIPLE_PROOFS: { status: 400, error: 'invalid_request' },
  ERR_DPOP_PROOF_TOO_LARGE: { status: 400, error: 'invalid_request' },
  ERR_DPOP_PROOF_INVALID: { status: 401, error: 'invalid_dpop_proof' },
  ERR_DPOP_ALG_NOT_ALLOWED: { status: 401, error: 'invalid_dpop_proof' },
  ERR_DPOP_HTM_MISMATCH: { status: 401, error: 'invalid_dpop_proof' },
  ERR_DPOP_HTU_MISMATCH: { status: 401, error: 'invalid_dpop_proof' },
  ERR_DPOP_IAT_INVALID: { status: 401, error: 'invalid_dpop_proof' },
  ERR_DPOP_REPLAYED: { status: 401, error: 'invalid_dpop_proof' },
  ERR_DPOP_ATH_MISMATCH: { status: 401, error: 'invalid_dpop_proof' },
  ERR_DPOP_NONCE_INVALID: { status: 401, error: 'use_dpop_nonce' },
  ERR_DPOP_KEY_MISMATCH: { status: 401, error: 'invalid_token' },
  ERR_DPOP_TOKEN_NOT_BOUND: { status: 401, error: 'invalid_token' },
  ERR_DPOP_BOUND_TOKEN_AS_BEARER: { status: 401, error: 'invalid_token' },
  ERR_DPOP_REQUIRED: { status: 401, error: 'invalid_token' },
  ERR_DPOP_REPLAY_STORE_UNAVAILABLE: { status: 503, error: undefined },
};

/** Every {@link TokenValidationErrorCode}, for exhaustive tables and tests. */
export const TOKEN_VALIDATION_ERROR_CODES: readonly TokenValidationErrorCode[] =
  codeList(CODE_MAPPING);

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
  /** Set by a DPoP-enabled validator: the DPoP challenge to render next to (or instead of) Bearer. */
  dpop?: DpopChallenge;
}

/**
 * What a DPoP-enabled validator puts on its errors so `challenge()` and `toResponse()` render
 * `WWW-Authenticate: Bearer …, DPoP algs="…"` (RFC 9449 §7.1) and `DPoP-Nonce` (§9).
 */
export interface DpopChallenge {
  /** `allowed`: both schemes are challenged; `required`: DPoP only. */
  readonly mode: 'allowed' | 'required';
  /** The proof algorithms accepted (the `algs` parameter). */
  readonly algs: readonly string[];
  /** The scheme the failed request used: its challenge carries the `error`. */
  readonly scheme: 'Bearer' | 'DPoP';
  /** A fresh server nonce for the `DPoP-Nonce` header, when nonces are on. */
  readonly nonce?: string;
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
  /** The DPoP challenge, on failures of a DPoP-enabled validator's `authenticate`. */
  readonly dpop?: DpopChallenge;

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
    if (details.dpop !== undefined) this.dpop = details.dpop;
    if (mapping.status === 503) {
      this.retryAfterSeconds = Math.max(1, Math.ceil(details.retryAfterSeconds ?? 5));
    } else if (details.retryAfterSeconds !== undefined) {
      this.retryAfterSeconds = details.retryAfterSeconds;
    }
  }

  /**
   * The `WWW-Authenticate` value for this failure (RFC 6750 §3, RFC 9728 §5.1), rendered by
   * `@mcp-auth/discovery`. No `error` parameter when no token was sent. For insufficient scope, the
   * `scope` parameter lists every scope the request needs. On errors of a DPoP-enabled validator:
   * `Bearer …, DPoP algs="…", …` (`DPoP …` alone in `required` mode), the `error` in the challenge
   * of the scheme the request used.
   *
   * @example
   * ```ts
   * res.setHeader('WWW-Authenticate', err.challenge({ resourceMetadata: validator.resourceMetadataUrl }));
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
   * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
   */
  challenge(o: { resourceMetadata: string; scope?: string[] }): string {
    // insufficient_scope names exactly what this request needs; other challenges the route's scopes.
    const scope = this.requiredScopes ?? o.scope;
    const withScope = scope !== undefined && scope.length > 0 ? { scope } : {};
    // A DPoP error built without the validator's challenge (e.g. by hand): a DPoP challenge all the same.
    const dpop =
      this.dpop ??
      (this.error === 'invalid_dpop_proof' || this.error === 'use_dpop_nonce'
        ? ({ mode: 'allowed', algs: [], scheme: 'DPoP' } as const)
        : undefined);
    // With DPoP required there is no Bearer challenge: the error goes to the DPoP one.
    const bearerError =
      this.error !== undefined &&
      (dpop === undefined || (dpop.scheme === 'Bearer' && dpop.mode === 'allowed'));
    const bearer = buildWwwAuthenticate({
      ...(bearerError ? { error: this.error as 'invalid_request' } : {}),
      ...(bearerError ? { errorDescription: this.message } : {}),
      ...withScope,
      resourceMetadata: o.resourceMetadata,
    });
    if (dpop === undefined) return bearer;
    // RFC 9449 §7.1: the DPoP challenge names the accepted algorithms; the `error` goes to the
    // challenge of the scheme the request used. Escaping of the shared parameters is discovery's.
    const dpopError = this.error !== undefined && !bearerError;
    const params = buildWwwAuthenticate({
      ...withScope,
      resourceMetadata: o.resourceMetadata,
      ...(dpopError ? { errorDescription: this.message } : {}),
    }).slice('Bearer '.length);
    const dpopChallenge = `DPoP ${[
      dpop.algs.length > 0 ? `algs="${dpop.algs.join(' ')}"` : '',
      dpopError ? `error="${this.error}"` : '',
      params,
    ]
      .filter((p) => p !== '')
      .join(', ')}`;
    return dpop.mode === 'required' ? dpopChallenge : `${bearer}, ${dpopChallenge}`;
  }

  /**
   * Status, headers and JSON body for this failure: `WWW-Authenticate` on 400/401/403,
   * `Retry-After` on 503, `DPoP-Nonce` when the validator issues DPoP nonces, `Cache-Control:
   * no-store` always.
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
    if (this.dpop?.nonce !== undefined) headers['dpop-nonce'] = this.dpop.nonce;
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
  return isCodedError(value, 'TokenValidationError', CODE_MAPPING);
}

/**
 * A copy of `err` carrying the DPoP challenge of the request that failed (errors can be shared
 * by cached rejections, so they are never mutated).
 * @internal
 */
export function withDpopChallenge(
  err: TokenValidationError,
  dpop: DpopChallenge,
): TokenValidationError {
  return new TokenValidationError(err.code, err.message, {
    ...(err.claim !== undefined ? { claim: err.claim } : {}),
    ...(err.reason !== undefined ? { reason: err.reason } : {}),
    ...(err.requiredScopes !== undefined ? { requiredScopes: err.requiredScopes } : {}),
    ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
    ...(err.cause !== undefined ? { cause: err.cause } : {}),
    dpop,
  });
}
