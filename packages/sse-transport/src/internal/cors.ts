import type { IncomingMessage } from 'node:http';

/** CORS options of the server. Defaults answer any origin without credentials. */
export interface CorsOptions {
  /**
   * `'*'` (default), one origin, a list of origins (the request's `Origin` is echoed when listed),
   * or a predicate.
   */
  allowOrigin?: string | string[] | ((origin: string) => boolean);
  /** Default `['GET', 'POST', 'DELETE', 'OPTIONS']`. */
  allowMethods?: string[];
  /**
   * Request headers browsers may send. `Authorization` and `Content-Type` are always added (and
   * `Mcp-Protocol-Version`, `Mcp-Session-Id`, `Mcp-Method`, `Mcp-Name`, `Last-Event-ID`).
   */
  allowHeaders?: string[];
  /** Response headers scripts may read. `WWW-Authenticate` and `Mcp-Session-Id` are always added. */
  exposeHeaders?: string[];
  /** Seconds a preflight may be cached. Default 600. */
  maxAge?: number;
}

export interface ResolvedCors {
  /** Headers for a normal (non-preflight) response, for the given request. */
  headers(req: IncomingMessage): Record<string, string>;
  /** Headers for a preflight response. */
  preflight(req: IncomingMessage): Record<string, string>;
}

const ALWAYS_ALLOWED = [
  'Authorization',
  'Content-Type',
  'Mcp-Protocol-Version',
  'Mcp-Session-Id',
  'Mcp-Method',
  'Mcp-Name',
  'Last-Event-ID',
];
const ALWAYS_EXPOSED = ['WWW-Authenticate', 'Mcp-Session-Id'];
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function mergeTokens(name: string, base: string[], extra: string[] | undefined): string {
  const seen = new Map<string, string>();
  for (const h of [...base, ...(extra ?? [])]) {
    if (typeof h !== 'string' || !TOKEN.test(h)) {
      throw new TypeError(`"cors.${name}" entries must be HTTP header or method names`);
    }
    if (!seen.has(h.toLowerCase())) seen.set(h.toLowerCase(), h);
  }
  return [...seen.values()].join(', ');
}

/** Validates CORS options at construction and returns the header builders. */
export function resolveCors(options: CorsOptions | false | undefined): ResolvedCors | undefined {
  if (options === false) return undefined;
  const o = options ?? {};
  const allowOrigin = o.allowOrigin ?? '*';
  let match: (origin: string) => string | undefined;
  let vary = true;
  if (allowOrigin === '*') {
    match = () => '*';
    vary = false;
  } else if (typeof allowOrigin === 'string') {
    checkOrigin(allowOrigin);
    match = () => allowOrigin;
    vary = false;
  } else if (Array.isArray(allowOrigin)) {
    for (const origin of allowOrigin) checkOrigin(origin);
    const set = new Set(allowOrigin);
    match = (origin) => (set.has(origin) ? origin : undefined);
  } else if (typeof allowOrigin === 'function') {
    match = (origin) => (allowOrigin(origin) ? origin : undefined);
  } else {
    throw new TypeError(
      '"cors.allowOrigin" must be "*", an origin, a list of origins or a function',
    );
  }
  const methods = mergeTokens(
    'allowMethods',
    o.allowMethods ?? ['GET', 'POST', 'DELETE', 'OPTIONS'],
    [],
  );
  const allowHeaders = mergeTokens('allowHeaders', ALWAYS_ALLOWED, o.allowHeaders);
  const exposeHeaders = mergeTokens('exposeHeaders', ALWAYS_EXPOSED, o.exposeHeaders);
  const maxAge = o.maxAge ?? 600;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new TypeError('"cors.maxAge" must be a non-negative integer (seconds)');
  }

  const base = (req: IncomingMessage): Record<string, string> => {
    const origin = req.headers.origin;
    const headers: Record<string, string> = {};
    if (vary) headers['vary'] = 'Origin';
    if (typeof origin !== 'string') {
      // Not a CORS request; '*' is still harmless and helps caches.
      if (!vary) headers['access-control-allow-origin'] = match('') ?? '*';
      return headers;
    }
    const allowed = match(origin);
    if (allowed !== undefined) headers['access-control-allow-origin'] = allowed;
    return headers;
  };
  return {
    headers(req) {
      const headers = base(req);
      if (headers['access-control-allow-origin'] !== undefined) {
        headers['access-control-expose-headers'] = exposeHeaders;
      }
      return headers;
    },
    preflight(req) {
      const headers = base(req);
      if (headers['access-control-allow-origin'] !== undefined) {
        headers['access-control-allow-methods'] = methods;
        headers['access-control-allow-headers'] = allowHeaders;
        headers['access-control-max-age'] = String(maxAge);
      }
      return headers;
    },
  };
}

function checkOrigin(origin: unknown): void {
  if (typeof origin !== 'string' || !/^https?:\/\/[^/\s]+$/i.test(origin)) {
    throw new TypeError(
      '"cors.allowOrigin" origins must look like "https://app.example.com" (scheme and host, no path)',
    );
  }
}
