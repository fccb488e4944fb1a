import { positiveInteger } from '@mcp-auth/internal';

/** CORS options of the gate. */
export interface CorsOptions {
  /**
   * Which origins get `Access-Control-Allow-Origin`. Default: every origin the Origin policy allows
   * (echoed, with `Vary: Origin`). `'*'`, a list of origins or a predicate narrow or widen the
   * header only: the Origin policy (DNS-rebinding check) still refuses origins it does not allow.
   */
  allowOrigin?: '*' | readonly string[] | ((origin: string) => boolean);
  /** Default `['GET', 'POST', 'DELETE', 'OPTIONS']`. */
  allowMethods?: readonly string[];
  /**
   * Request headers browsers may send, added to the ones MCP needs: `Authorization`,
   * `Content-Type`, `Mcp-Session-Id`, `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`,
   * `Last-Event-ID`, `DPoP`.
   */
  allowHeaders?: readonly string[];
  /** Response headers scripts may read, added to `WWW-Authenticate`, `Mcp-Session-Id`, `Retry-After`, `DPoP-Nonce`. */
  exposeHeaders?: readonly string[];
  /** Seconds a preflight may be cached. Default 600. */
  maxAge?: number;
}

/** The header builders made by {@link resolveCors}. */
export interface ResolvedCors {
  /** Headers for an actual (non-preflight) response to a request with this `Origin` (or none). */
  headers(origin: string | undefined): Record<string, string>;
  /** Headers for a preflight (OPTIONS) response. */
  preflight(origin: string | undefined): Record<string, string>;
}

/** Request headers an MCP client sends (revisions 2025-03-26 … 2026-07-28, DPoP). */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Mcp-Session-Id',
  'MCP-Protocol-Version',
  'Mcp-Method',
  'Mcp-Name',
  'Last-Event-ID',
  'DPoP',
] as const;
/** Response headers a browser client must be able to read. */
export const CORS_EXPOSED_HEADERS = [
  'WWW-Authenticate',
  'Mcp-Session-Id',
  'Retry-After',
  'DPoP-Nonce',
] as const;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ORIGIN = /^https?:\/\/[^/\s]+$/i;

function mergeTokens(name: string, base: readonly string[], extra: unknown): string {
  if (extra !== undefined && !Array.isArray(extra)) {
    throw new TypeError(`"cors.${name}" must be an array of HTTP header or method names`);
  }
  const seen = new Map<string, string>();
  for (const h of [...base, ...((extra as unknown[] | undefined) ?? [])]) {
    if (typeof h !== 'string' || !TOKEN.test(h)) {
      throw new TypeError(`"cors.${name}" entries must be HTTP header or method names`);
    }
    if (!seen.has(h.toLowerCase())) seen.set(h.toLowerCase(), h);
  }
  return [...seen.values()].join(', ');
}

function originMatcher(allowOrigin: CorsOptions['allowOrigin']): {
  match: (origin: string) => string | undefined;
  vary: boolean;
} {
  if (allowOrigin === undefined) return { match: (origin) => origin, vary: true };
  if (allowOrigin === '*') return { match: () => '*', vary: false };
  if (Array.isArray(allowOrigin)) {
    for (const origin of allowOrigin) {
      if (typeof origin !== 'string' || !ORIGIN.test(origin)) {
        throw new TypeError(
          '"cors.allowOrigin" origins must look like "https://app.example.com" (scheme and host, no path)',
        );
      }
    }
    const set = new Set(allowOrigin.map((o: string) => o.toLowerCase()));
    return { match: (origin) => (set.has(origin.toLowerCase()) ? origin : undefined), vary: true };
  }
  if (typeof allowOrigin === 'function') {
    return { match: (origin) => (allowOrigin(origin) === true ? origin : undefined), vary: true };
  }
  throw new TypeError('"cors.allowOrigin" must be "*", a list of origins or a function');
}

/**
 * Validates CORS options (a `TypeError` naming the option) and returns the header builders, or
 * `undefined` for `false` (no CORS headers at all). The headers MCP needs are always allowed and
 * `WWW-Authenticate` / `Mcp-Session-Id` always exposed, so browser clients can read challenges and
 * sessions. Never `Access-Control-Allow-Credentials`: bearer tokens are not cookies. The caller
 * runs the Origin policy first; these headers only tell browsers what they may read.
 *
 * @example
 * ```ts
 * const cors = resolveCors({})!;
 * cors.preflight('http://localhost:5173')['access-control-allow-headers'];
 * // 'Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID, DPoP'
 * ```
 * @see https://fetch.spec.whatwg.org/#http-cors-protocol
 */
export function resolveCors(options: CorsOptions | false | undefined): ResolvedCors | undefined {
  if (options === false) return undefined;
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError('"cors" must be an object or false');
  }
  const o = options ?? {};
  const { match, vary } = originMatcher(o.allowOrigin);
  const methods = mergeTokens(
    'allowMethods',
    [],
    o.allowMethods ?? ['GET', 'POST', 'DELETE', 'OPTIONS'],
  );
  const allowHeaders = mergeTokens('allowHeaders', CORS_ALLOWED_HEADERS, o.allowHeaders);
  const exposeHeaders = mergeTokens('exposeHeaders', CORS_EXPOSED_HEADERS, o.exposeHeaders);
  const maxAge = positiveInteger(o.maxAge ?? 600, 'cors.maxAge', {
    allowZero: true,
    unit: 'seconds',
  });

  const base = (origin: string | undefined): Record<string, string> => {
    const headers: Record<string, string> = {};
    if (vary) headers['vary'] = 'Origin';
    if (origin === undefined) {
      if (!vary) headers['access-control-allow-origin'] = '*';
      return headers;
    }
    const allowed = match(origin);
    if (allowed !== undefined) headers['access-control-allow-origin'] = allowed;
    return headers;
  };
  return {
    headers(origin) {
      const headers = base(origin);
      headers['access-control-expose-headers'] = exposeHeaders;
      return headers;
    },
    preflight(origin) {
      const headers = base(origin);
      headers['access-control-allow-methods'] = methods;
      headers['access-control-allow-headers'] = allowHeaders;
      headers['access-control-max-age'] = String(maxAge);
      return headers;
    },
  };
}
