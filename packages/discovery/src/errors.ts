import { codeList, isCodedError } from '@mcp-auth/internal';
/**
 * Every failure this package reports at run time, as a stable string. Codes are API: changing one is
 * a breaking change. Check `err.code`, not `instanceof` (two copies of this package can live in one
 * application).
 */
export type DiscoveryErrorCode =
  /** A URL (from metadata, a challenge or an option) is not an absolute URL we may fetch. */
  | 'ERR_INVALID_URL'
  /** An `http:` URL that is not allowed: only loopback hosts, and only with `allowInsecureHttpForLoopback`. */
  | 'ERR_INSECURE_URL'
  /** The request, or the whole discovery, took longer than `timeoutMs`. */
  | 'ERR_TIMEOUT'
  /** The caller's `AbortSignal` fired. */
  | 'ERR_ABORTED'
  /** `fetch` failed: connection refused, DNS, TLS, reset. */
  | 'ERR_NETWORK'
  /** The response body is larger than `maxBytes` (64 KB for metadata). */
  | 'ERR_RESPONSE_TOO_LARGE'
  /** A redirect to another origin, refused (`sameOriginRedirectsOnly`). */
  | 'ERR_CROSS_ORIGIN_REDIRECT'
  /** More redirects than `maxRedirects`. */
  | 'ERR_TOO_MANY_REDIRECTS'
  /** A redirect that cannot be followed (opaque, bad `Location`, body that cannot be replayed). */
  | 'ERR_INVALID_REDIRECT'
  /** A successful response with a media type that was not asked for. */
  | 'ERR_CONTENT_TYPE'
  /** The body is not UTF-8. */
  | 'ERR_INVALID_BODY'
  /** The body is not JSON, or not a JSON object. */
  | 'ERR_INVALID_JSON'
  /** An unexpected HTTP status. */
  | 'ERR_HTTP_STATUS'
  /** Every well-known URL answered with an HTTP error status (usually 404). */
  | 'ERR_METADATA_NOT_FOUND'
  /** The document is JSON but not valid metadata (missing or mistyped fields, insecure endpoints). */
  | 'ERR_INVALID_METADATA'
  /** The protected resource metadata names another resource than the server (RFC 9728 §3.3). */
  | 'ERR_METADATA_RESOURCE_MISMATCH'
  /** The authorization server metadata names another issuer (RFC 8414 §3.3, mix-up protection). */
  | 'ERR_METADATA_ISSUER_MISMATCH'
  /** The metadata has no `code_challenge_methods_supported` (and no explicit override was given). */
  | 'ERR_PKCE_METADATA_MISSING'
  /** `code_challenge_methods_supported` does not contain `S256`. */
  | 'ERR_PKCE_S256_UNSUPPORTED'
  /** A `WWW-Authenticate` value that does not follow RFC 9110 §11.6.1. */
  | 'ERR_INVALID_CHALLENGE';

// A record, so the compiler proves the list below names every code, and nothing else.
const CODES: Record<DiscoveryErrorCode, true> = {
  ERR_INVALID_URL: true,
  ERR_INSECURE_URL: true,
  ERR_TIMEOUT: true,
  ERR_ABORTED: true,
  ERR_NETWORK: true,
  ERR_RESPONSE_TOO_LARGE: true,
  ERR_CROSS_ORIGIN_REDIRECT: true,
  ERR_TOO_MANY_REDIRECTS: true,
  ERR_INVALID_REDIRECT: true,
  ERR_CONTENT_TYPE: true,
  ERR_INVALID_BODY: true,
  ERR_INVALID_JSON: true,
  ERR_HTTP_STATUS: true,
  ERR_METADATA_NOT_FOUND: true,
  ERR_INVALID_METADATA: true,
  ERR_METADATA_RESOURCE_MISMATCH: true,
  ERR_METADATA_ISSUER_MISMATCH: true,
  ERR_PKCE_METADATA_MISSING: true,
  ERR_PKCE_S256_UNSUPPORTED: true,
  ERR_INVALID_CHALLENGE: true,
};

/**
 * Every {@link DiscoveryErrorCode} (frozen), for exhaustive tables and tests. No other `@mcp-auth`
 * package uses any of these codes, so a code alone says which package failed.
 *
 * @example
 * ```ts
 * if (isDiscoveryError(err)) metrics.count(err.code); // one of DISCOVERY_ERROR_CODES
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.3
 */
export const DISCOVERY_ERROR_CODES: readonly DiscoveryErrorCode[] = codeList(CODES);

/** Structured details carried by a {@link DiscoveryError}. */
export interface DiscoveryErrorDetails {
  /** The URL that was being fetched or validated. */
  url?: string;
  /** The HTTP status of the response, when there was one. */
  status?: number;
  /** The candidate URLs requested, in order (discovery functions; redirect hops not listed). */
  tried?: string[];
  /** The failure of each URL tried, in order (discovery functions). */
  failures?: DiscoveryError[];
  /** The offending field of a metadata document. */
  field?: string;
  /** The character offset of a syntax error (`ERR_INVALID_CHALLENGE`). */
  position?: number;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The one error class of `@mcp-auth/discovery`. Messages never contain a token or a secret; they
 * may contain public URLs and issuer identifiers.
 *
 * @example
 * ```ts
 * try {
 *   await discoverAuthorizationServer('https://as.example.com');
 * } catch (err) {
 *   if ((err as DiscoveryError).code === 'ERR_METADATA_ISSUER_MISMATCH') { ... }
 * }
 * ```
 */
export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
  readonly code: DiscoveryErrorCode;
  // `declare`: only the details that apply become own properties (no `url: undefined` noise).
  declare readonly url?: string;
  declare readonly status?: number;
  declare readonly tried?: string[];
  declare readonly failures?: DiscoveryError[];
  declare readonly field?: string;
  declare readonly position?: number;

  constructor(code: DiscoveryErrorCode, message: string, details: DiscoveryErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    const self = this as { -readonly [K in keyof DiscoveryErrorDetails]: DiscoveryErrorDetails[K] };
    if (details.url !== undefined) self.url = details.url;
    if (details.status !== undefined) self.status = details.status;
    if (details.tried !== undefined) self.tried = details.tried;
    if (details.failures !== undefined) self.failures = details.failures;
    if (details.field !== undefined) self.field = details.field;
    if (details.position !== undefined) self.position = details.position;
  }
}

/**
 * True when `value` is a {@link DiscoveryError}, also one thrown by another copy of this package
 * (duck-typed on `name` and a `code` of {@link DISCOVERY_ERROR_CODES}, since `instanceof` fails
 * across copies).
 *
 * @example
 * ```ts
 * try {
 *   await fetchProtectedResourceMetadata(serverUrl);
 * } catch (err) {
 *   if (isDiscoveryError(err) && err.code === 'ERR_METADATA_RESOURCE_MISMATCH') { ... }
 *   else throw err;
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 */
export function isDiscoveryError(value: unknown): value is DiscoveryError {
  return isCodedError(value, 'DiscoveryError', CODES);
}
