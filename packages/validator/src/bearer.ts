import { isHeaders, positiveInteger } from '@mcp-auth/internal';
import { TokenValidationError } from './errors.js';
import { isCanonicalJws } from './internal/jws.js';

/** The default largest token accepted, in characters (16 KB). */
export const DEFAULT_MAX_TOKEN_LENGTH = 16_384;

/**
 * RFC 7235 token68, what a bearer token may contain (RFC 6750 §2.1 `b64token`), sticky: matched
 * in place from `lastIndex`, so the token is checked inside the header without a copy. (V8's
 * compiled regex scans about twice as fast as a `charCodeAt` loop; measured, see the README.)
 */
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y;

/** Whether `s[start, end)` is exactly one token68 token: one pass, no allocation. */
function isToken68(s: string, start: number, end: number): boolean {
  if (start >= end) return false;
  TOKEN68.lastIndex = start;
  // Greedy and without alternatives: the match ends at `end` iff the whole range is token68.
  return TOKEN68.test(s) && TOKEN68.lastIndex === end;
}

function isSpaceOrTab(c: number): boolean {
  return c === 32 || c === 9;
}

/** "bearer" as char codes, lower case. */
const BEARER = [98, 101, 97, 114, 101, 114];

/** Something that carries request headers. */
export type HeaderSource =
  | Headers
  | { headers: Headers }
  | { headers: Record<string, string | string[] | undefined>; rawHeaders?: string[] }
  | Record<string, string | string[] | undefined>;

/** Options of {@link extractBearerToken}. */
export interface ExtractBearerTokenOptions {
  /** The longest token accepted, in characters. Default 16384. */
  maxLength?: number;
}

/** Every `Authorization` header value of the request, so duplicates can be refused. */
function authorizationValues(source: HeaderSource): string[] {
  return headerValues(source, 'authorization');
}

/**
 * Every value of the header `name` (lower case) of the request, so duplicates can be refused.
 * A Fetch `Headers` joins repeated headers with ", " into one value: callers whose values never
 * contain a comma (a token68 token, a JWS) refuse that joined value.
 * @internal
 */
export function headerValues(source: HeaderSource, name: string): string[] {
  if (isHeaders(source)) {
    const value = source.get(name);
    return value === null ? [] : [value];
  }
  const withHeaders = source as { headers?: unknown; rawHeaders?: unknown };
  // rawHeaders first: node's IncomingMessage builds `headers` lazily (every header, on first
  // access), and only rawHeaders keeps repeated Authorization headers (`headers` keeps the first).
  if (Array.isArray(withHeaders.rawHeaders)) {
    const raw = withHeaders.rawHeaders as unknown[];
    const values: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const key = raw[i];
      // Length first: no lower-cased copy of every other header name.
      if (
        typeof key === 'string' &&
        key.length === name.length &&
        key.toLowerCase() === name &&
        typeof raw[i + 1] === 'string'
      ) {
        values.push(raw[i + 1] as string);
      }
    }
    return values;
  }
  if (isHeaders(withHeaders.headers)) return headerValues(withHeaders.headers, name);
  const record = (
    typeof withHeaders.headers === 'object' && withHeaders.headers !== null
      ? withHeaders.headers
      : source
  ) as Record<string, unknown>;
  const values: string[] = [];
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() !== name) continue;
    const value = record[key];
    if (typeof value === 'string') values.push(value);
    else if (Array.isArray(value)) {
      for (const v of value) if (typeof v === 'string') values.push(v);
    }
  }
  return values;
}

/**
 * Checks a bare token string: size first (so nothing else runs on a huge input), then token68.
 * Used by `validate()` for tokens that did not come through {@link extractBearerToken}.
 *
 * @example
 * ```ts
 * checkTokenSyntax(token, 16_384); // returns the token, or throws ERR_TOKEN_MALFORMED / ERR_TOKEN_TOO_LARGE
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export function checkTokenSyntax(token: unknown, maxLength: number): string {
  tokenSyntax(token, maxLength);
  return token as string;
}

/**
 * {@link checkTokenSyntax} in one pass for a JWT: returns true when the token is a canonical
 * compact JWS (which is token68), so the JWT path need not scan it again. @internal
 */
export function tokenSyntax(token: unknown, maxLength: number): boolean {
  if (typeof token !== 'string' || token.length === 0) {
    throw new TokenValidationError(
      'ERR_TOKEN_MALFORMED',
      'The access token is empty or not a string',
      {
        reason: 'not_a_string',
      },
    );
  }
  if (token.length > maxLength) {
    throw new TokenValidationError(
      'ERR_TOKEN_TOO_LARGE',
      `The access token is longer than ${maxLength} characters`,
      {
        reason: 'too_large',
      },
    );
  }
  if (token.indexOf('.') > 0 && isCanonicalJws(token, 0, token.length)) return true;
  if (!isToken68(token, 0, token.length)) {
    throw new TokenValidationError(
      'ERR_TOKEN_MALFORMED',
      'The access token contains characters outside the token68 set',
      { reason: 'invalid_characters' },
    );
  }
  return false;
}

/**
 * Reads the bearer token from the request's single `Authorization` header (RFC 6750 §2.1). The
 * scheme is matched case-insensitively; exactly one token68 token must follow. Tokens in the query
 * string or the body are never read (RFC 6750 §2.2 and §2.3 are not supported, on purpose).
 *
 * - no header, or another scheme (`Basic …`) → `ERR_MISSING_TOKEN` (401 without an `error`, §3.1)
 * - `Bearer` without a token, two tokens, bad characters, repeated headers → `ERR_MALFORMED_HEADER` (400)
 * - longer than `maxLength` → `ERR_TOKEN_TOO_LARGE` (400)
 *
 * @param source a node `IncomingMessage`, a Fetch `Request`, a `Headers`, or a plain header record
 * @example
 * ```ts
 * const token = extractBearerToken(req); // node:http, Express, or a Fetch Request
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export function extractBearerToken(
  source: HeaderSource,
  o: ExtractBearerTokenOptions = {},
): string {
  const maxLength = positiveInteger(o.maxLength ?? DEFAULT_MAX_TOKEN_LENGTH, 'maxLength');
  if (typeof source !== 'object' || source === null) {
    throw new TypeError('extractBearerToken needs a request, a Headers object or a header record');
  }
  const values = authorizationValues(source);
  if (values.length === 0) {
    throw new TokenValidationError('ERR_MISSING_TOKEN', 'The request carries no access token', {
      reason: 'no_header',
    });
  }
  if (values.length > 1) {
    throw new TokenValidationError('ERR_MALFORMED_HEADER', 'More than one Authorization header', {
      reason: 'multiple_headers',
    });
  }
  const raw = values[0]!;
  // Bound the work on hostile input before any scanning: scheme + space + token.
  if (raw.length > maxLength + 64) {
    throw new TokenValidationError(
      'ERR_TOKEN_TOO_LARGE',
      `The access token is longer than ${maxLength} characters`,
      {
        reason: 'too_large',
      },
    );
  }
  return commonBearerToken(raw, maxLength, true) ?? parseCredentials(raw, maxLength);
}

/**
 * The common case in one pass over char codes: `[ \t]* "Bearer" SP+ token [ \t]*`, the token
 * at most `maxLength` characters and, when `checkToken68`, one token68 token. Undefined for any
 * other shape: {@link parseCredentials} then classifies the failure (same rules, same codes).
 */
function commonBearerToken(raw: string, maxLength: number, checkToken68: boolean) {
  let start = 0;
  let end = raw.length;
  while (start < end && isSpaceOrTab(raw.charCodeAt(start))) start++;
  while (end > start && isSpaceOrTab(raw.charCodeAt(end - 1))) end--;
  if (end - start <= 7 || raw.charCodeAt(start + 6) !== 32) return undefined;
  for (let i = 0; i < 6; i++) {
    if ((raw.charCodeAt(start + i) | 0x20) !== BEARER[i]) return undefined;
  }
  let i = start + 7;
  while (i < end && raw.charCodeAt(i) === 32) i++;
  if (i === end || end - i > maxLength) return undefined;
  return !checkToken68 || isToken68(raw, i, end) ? raw.slice(i, end) : undefined;
}

/**
 * The token of a request whose one `Authorization` header has the common `Bearer <token>` shape,
 * **not** checked as token68; undefined for anything else (no header, several, another shape).
 * Only for looking up a cache of tokens that each passed {@link extractBearerToken} or
 * {@link checkTokenSyntax} when first validated: a string equal to one of them is token68 too, so
 * a hit needs no scan of its own; a miss goes through {@link extractBearerToken}.
 * @internal
 */
export function bearerTokenForLookup(source: HeaderSource, maxLength: number): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const values = authorizationValues(source);
  if (values.length !== 1 || values[0]!.length > maxLength + 64) return undefined;
  return commonBearerToken(values[0]!, maxLength, false);
}

/** The reference parser of a single Authorization value; classifies every malformed one. */
function parseCredentials(raw: string, maxLength: number, expected = 'Bearer'): string {
  const lower = expected.toLowerCase();
  const value = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  if (value === '') {
    throw new TokenValidationError('ERR_MISSING_TOKEN', 'The request carries no access token', {
      reason: 'empty_header',
    });
  }
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== lower) {
    if (
      scheme.length > lower.length &&
      scheme.slice(0, lower.length).toLowerCase() === lower &&
      /[\s,]/.test(scheme[lower.length]!)
    ) {
      throw new TokenValidationError('ERR_MALFORMED_HEADER', `Malformed ${expected} credentials`, {
        reason: 'bad_separator',
      });
    }
    // RFC 6750 §3.1: an unsupported authentication method is "no authentication information".
    throw new TokenValidationError(
      'ERR_MISSING_TOKEN',
      'The request carries no Bearer access token',
      {
        reason: 'unsupported_scheme',
      },
    );
  }
  const rest = space === -1 ? '' : value.slice(space).replace(/^ +/, '');
  if (rest === '') {
    throw new TokenValidationError(
      'ERR_MALFORMED_HEADER',
      `The ${expected} scheme is not followed by a token`,
      {
        reason: 'missing_token',
      },
    );
  }
  if (/[ \t]/.test(rest)) {
    throw new TokenValidationError(
      'ERR_MALFORMED_HEADER',
      `More than one token after ${expected}`,
      {
        reason: 'multiple_tokens',
      },
    );
  }
  if (rest.length > maxLength) {
    throw new TokenValidationError(
      'ERR_TOKEN_TOO_LARGE',
      `The access token is longer than ${maxLength} characters`,
      {
        reason: 'too_large',
      },
    );
  }
  if (!isToken68(rest, 0, rest.length)) {
    throw new TokenValidationError(
      'ERR_MALFORMED_HEADER',
      'The access token contains characters outside the token68 set',
      { reason: 'invalid_characters' },
    );
  }
  return rest;
}

/** The credentials of an `Authorization` header: which scheme, and the token. */
export interface Credentials {
  scheme: 'Bearer' | 'DPoP';
  token: string;
}

/**
 * Reads `Authorization: Bearer <token>` or `Authorization: DPoP <token>` (RFC 9449 §7.1), with
 * the same rules as {@link extractBearerToken} for either scheme: one header, one token68 token,
 * at most `maxLength` characters. Any other scheme is `ERR_MISSING_TOKEN`.
 *
 * @example
 * ```ts
 * const { scheme, token } = extractCredentials(req); // scheme: 'Bearer' | 'DPoP'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 */
export function extractCredentials(
  source: HeaderSource,
  o: ExtractBearerTokenOptions = {},
): Credentials {
  try {
    return { scheme: 'Bearer', token: extractBearerToken(source, o) };
  } catch (err) {
    if (!(err instanceof TokenValidationError) || err.reason !== 'unsupported_scheme') throw err;
    const raw = authorizationValues(source)[0]!.replace(/^[ \t]+/, '');
    if (!/^dpop(?:[\s,]|$)/i.test(raw)) throw err;
    return {
      scheme: 'DPoP',
      token: parseCredentials(raw, o.maxLength ?? DEFAULT_MAX_TOKEN_LENGTH, 'DPoP'),
    };
  }
}
