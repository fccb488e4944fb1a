import { isScopeToken } from '@mcp-auth/internal';
import { DiscoveryError } from './errors.js';
import { canonicalizeResourceUri } from './url.js';

/** One challenge of a `WWW-Authenticate` header. */
export interface Challenge {
  /** The auth scheme, lower-cased (`'bearer'`, `'basic'`, `'dpop'`): schemes are case-insensitive. */
  scheme: string;
  /** The token68 form (`Negotiate YII...`), when the challenge uses it instead of parameters. */
  token68?: string;
  /** Parameters by lower-cased name, values unquoted and unescaped. */
  params: Record<string, string>;
}

/** The `error` codes a Bearer challenge may carry. @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1 */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

const BEARER_ERRORS: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_token',
  'insufficient_scope',
]);

// Character classes as lookup tables: the parser does one table lookup per character and never
// backtracks further than the token it just read, so its time is linear in the input.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;
const TOKEN68 = new Uint8Array(128);
for (const c of '-._~+/') TOKEN68[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN68[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN68[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN68[c] = 1;

const isTchar = (c: number) => c < 128 && TCHAR[c] === 1;
const isToken68Char = (c: number) => c < 128 && TOKEN68[c] === 1;
const isWs = (c: number) => c === 0x20 || c === 0x09;
/** qdtext and the escaped character of a quoted-pair: HTAB, SP, VCHAR, obs-text. */
const isQuotedChar = (c: number) => c === 0x09 || (c >= 0x20 && c !== 0x7f);

const COMMA = 0x2c;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(message: string, at = this.i): never {
    throw new DiscoveryError(
      'ERR_INVALID_CHALLENGE',
      `invalid WWW-Authenticate: ${message} at ${at}`,
      {
        position: at,
      },
    );
  }

  code(at = this.i): number {
    return at < this.s.length ? this.s.charCodeAt(at) : -1;
  }

  skipWs(): number {
    const start = this.i;
    while (isWs(this.code())) this.i++;
    return this.i - start;
  }

  /** Skips OWS and empty list elements (`, ,`); true if it consumed at least one comma. */
  skipListSeparators(): boolean {
    let comma = false;
    for (;;) {
      this.skipWs();
      if (this.code() !== COMMA) return comma;
      comma = true;
      this.i++;
    }
  }

  tokenEnd(from: number): number {
    let j = from;
    while (isTchar(this.code(j))) j++;
    return j;
  }

  readToken(what: string): string {
    const end = this.tokenEnd(this.i);
    if (end === this.i) this.fail(`expected ${what}`);
    const token = this.s.slice(this.i, end);
    this.i = end;
    return token;
  }

  readQuoted(): string {
    const start = this.i;
    this.i++; // opening quote
    let escapes = false;
    for (;;) {
      const c = this.code();
      if (c === -1) this.fail('unterminated quoted string', start);
      if (c === DQUOTE) break;
      if (c === BACKSLASH) {
        const escaped = this.code(this.i + 1);
        if (escaped === -1) this.fail('unterminated quoted string', start);
        if (!isQuotedChar(escaped)) this.fail('control character in quoted string', this.i + 1);
        escapes = true;
        this.i += 2;
        continue;
      }
      if (!isQuotedChar(c)) this.fail('control character in quoted string');
      this.i++;
    }
    const raw = this.s.slice(start + 1, this.i);
    this.i++; // closing quote
    // One linear, non-backtracking replace instead of building the string piece by piece.
    return escapes ? raw.replace(/\\([\s\S])/g, '$1') : raw;
  }

  /** At the first character after a comma: is this `token BWS "="`, an auth-param? */
  atAuthParam(): boolean {
    let j = this.tokenEnd(this.i);
    if (j === this.i) return false;
    while (isWs(this.code(j))) j++;
    return this.code(j) === EQUALS;
  }

  /** `1*tchar68 *"=" OWS` followed by the end or a comma: a token68. Returns its end, or -1. */
  token68End(): number {
    let j = this.i;
    while (isToken68Char(this.code(j))) j++;
    if (j === this.i) return -1;
    while (this.code(j) === EQUALS) j++;
    const end = j;
    while (isWs(this.code(j))) j++;
    const next = this.code(j);
    return next === -1 || next === COMMA ? end : -1;
  }

  parse(): Challenge[] {
    const challenges: Challenge[] = [];
    this.skipListSeparators();
    while (this.i < this.s.length) {
      const scheme = this.readToken('an auth scheme').toLowerCase();
      const challenge: Challenge = { scheme, params: {} };
      challenges.push(challenge);
      const spaces = this.skipWs();
      if (this.i >= this.s.length) break;
      if (this.code() === COMMA) {
        // "Scheme, name=value": the list allows empty elements, and "name=value" cannot start a
        // challenge, so it can only be this challenge's parameter. Anything else starts the next one.
        this.skipListSeparators();
        if (this.i >= this.s.length || !this.atAuthParam()) continue;
      } else {
        if (spaces === 0) this.fail('expected a space after the auth scheme');
        const t68 = this.token68End();
        if (t68 !== -1) {
          challenge.token68 = this.s.slice(this.i, t68);
          this.i = t68;
          this.skipListSeparators();
          continue;
        }
      }
      // #auth-param: params separated by commas, until the end or the start of another challenge.
      for (;;) {
        const nameStart = this.i;
        const name = this.readToken('a parameter name').toLowerCase();
        this.skipWs();
        if (this.code() !== EQUALS) this.fail('expected "=" after the parameter name');
        this.i++;
        this.skipWs();
        const value =
          this.code() === DQUOTE ? this.readQuoted() : this.readToken('a parameter value');
        if (Object.hasOwn(challenge.params, name)) {
          this.fail(`duplicate parameter "${name}"`, nameStart);
        }
        if (name === '__proto__') {
          // An ordinary own property, never the prototype (no pollution, no lost parameter).
          Object.defineProperty(challenge.params, name, {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          challenge.params[name] = value;
        }
        this.skipWs();
        if (this.i >= this.s.length) break;
        if (this.code() !== COMMA) this.fail('expected "," or the end');
        this.skipListSeparators();
        if (this.i >= this.s.length || !this.atAuthParam()) break;
      }
    }
    return challenges;
  }
}

/**
 * Parse a `WWW-Authenticate` field value into its challenges, following the RFC 9110 §11.6.1
 * grammar: several challenges separated by commas, a challenge being a scheme followed by either a
 * token68 or comma-separated `name=value` parameters (token or quoted-string, with `\` escapes).
 * Schemes and parameter names are case-insensitive and returned lower-cased; empty list elements
 * are skipped. Several `WWW-Authenticate` fields are combined by joining them with `, `.
 *
 * Runs in time linear in the input length, on any input. Throws only {@link DiscoveryError}
 * (`ERR_INVALID_CHALLENGE`, with the offending `position`): on a syntax error, a control character,
 * a duplicate parameter, or a value that is not a string.
 *
 * @example
 * ```ts
 * const [bearer] = parseWwwAuthenticate(
 *   'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read"',
 * );
 * bearer.scheme;                     // 'bearer'
 * bearer.params.resource_metadata;   // 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  if (typeof header !== 'string') {
    throw new DiscoveryError('ERR_INVALID_CHALLENGE', 'invalid WWW-Authenticate: not a string');
  }
  return new Parser(header).parse();
}

/** A Bearer challenge, with the RFC 6750 and RFC 9728 parameters picked out. */
export interface BearerChallenge {
  /** `resource_metadata`: where the protected resource metadata lives (RFC 9728 §5.1). */
  resourceMetadata?: string;
  /** `scope`, split on spaces. */
  scope?: string[];
  error?: string;
  errorDescription?: string;
  errorUri?: string;
  realm?: string;
  /** Every parameter, lower-cased names. */
  params: Record<string, string>;
}

/**
 * The first `Bearer` challenge of a `WWW-Authenticate` value, or `undefined` when there is none
 * (or the header is absent). Syntax errors throw, like {@link parseWwwAuthenticate}.
 *
 * @example
 * ```ts
 * const challenge = parseBearerChallenge(response.headers.get('www-authenticate'));
 * if (challenge?.resourceMetadata) { ... }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
 */
export function parseBearerChallenge(
  header: string | null | undefined,
): BearerChallenge | undefined {
  if (header === null || header === undefined) return undefined;
  const bearer = parseWwwAuthenticate(header).find((c) => c.scheme === 'bearer');
  if (!bearer) return undefined;
  const p = bearer.params;
  const result: BearerChallenge = { params: p };
  if (p.resource_metadata !== undefined) result.resourceMetadata = p.resource_metadata;
  if (p.scope !== undefined) result.scope = p.scope.split(' ').filter((s) => s !== '');
  if (p.error !== undefined) result.error = p.error;
  if (p.error_description !== undefined) result.errorDescription = p.error_description;
  if (p.error_uri !== undefined) result.errorUri = p.error_uri;
  if (p.realm !== undefined) result.realm = p.realm;
  return result;
}

/** Options of {@link buildWwwAuthenticate}. */
export interface BuildWwwAuthenticateOptions {
  /** Omit when the request carried no token (RFC 6750 §3.1). */
  error?: BearerErrorCode;
  /** Human-readable, printable ASCII only. Never put a token or a secret here. */
  errorDescription?: string;
  /** Scopes needed for this request: a space-separated string or an array of scope tokens. */
  scope?: string | readonly string[];
  /** The absolute URL of the protected resource metadata (RFC 9728 §5.1). Required. */
  resourceMetadata: string;
  realm?: string;
}

function quote(value: string, option: string): string {
  if (typeof value !== 'string') throw new TypeError(`"${option}" must be a string`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw new TypeError(
        `"${option}" must contain printable ASCII only (no CR, LF or other control characters)`,
      );
    }
  }
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Build the `WWW-Authenticate` value of a 401/403 from a protected resource: a `Bearer` challenge
 * with `resource_metadata` (RFC 9728 §5.1) and, as given, `realm`, `error`, `scope` and
 * `error_description` (RFC 6750 §3). Values are quoted strings with `"` and `\` escaped; CR, LF and
 * every other control or non-ASCII character is refused (header injection), and so is an `error`
 * outside the registered codes: each as a `TypeError` naming the option.
 *
 * Send no `error` when the request carried no token; `invalid_token` (401) for a bad, expired or
 * foreign token; `insufficient_scope` (403) with every scope the request needs.
 *
 * @example
 * ```ts
 * buildWwwAuthenticate({
 *   resourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
 *   scope: ['files:read'],
 * });
 * // 'Bearer scope="files:read", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
 */
export function buildWwwAuthenticate(options: BuildWwwAuthenticateOptions): string {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('buildWwwAuthenticate options are required ({ resourceMetadata })');
  }
  const { error, errorDescription, scope, resourceMetadata, realm } = options;
  const params: string[] = [];
  if (realm !== undefined) params.push(`realm=${quote(realm, 'realm')}`);
  if (error !== undefined) {
    if (typeof error !== 'string' || !BEARER_ERRORS.has(error)) {
      throw new TypeError(
        '"error" must be one of invalid_request, invalid_token, insufficient_scope (RFC 6750 §3.1)',
      );
    }
    params.push(`error="${error}"`);
  }
  if (scope !== undefined) {
    const scopes = typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : scope;
    if (!Array.isArray(scopes))
      throw new TypeError('"scope" must be a string or an array of strings');
    for (const s of scopes) {
      if (!isScopeToken(s)) {
        throw new TypeError(
          '"scope" entries must be scope tokens: printable ASCII without space, " or \\ (RFC 6749 §3.3)',
        );
      }
    }
    const unique = [...new Set(scopes)];
    if (unique.length > 0) params.push(`scope=${quote(unique.join(' '), 'scope')}`);
  }
  if (typeof resourceMetadata !== 'string') {
    throw new TypeError('"resourceMetadata" must be the absolute URL of the resource metadata');
  }
  let url: URL;
  try {
    url = new URL(resourceMetadata);
  } catch {
    throw new TypeError('"resourceMetadata" must be the absolute URL of the resource metadata');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('"resourceMetadata" must be an https: URL');
  }
  const quoted = quote(resourceMetadata, 'resourceMetadata');
  // The same one-spelling rule as the resource itself: nothing a URL parser would rewrite.
  try {
    canonicalizeResourceUri(resourceMetadata);
  } catch (err) {
    throw new TypeError(
      `"resourceMetadata" ${(err as Error).message.replace(/^resource URI /, '')}`,
    );
  }
  params.push(`resource_metadata=${quoted}`);
  if (errorDescription !== undefined) {
    params.push(`error_description=${quote(errorDescription, 'errorDescription')}`);
  }
  return `Bearer ${params.join(', ')}`;
}
