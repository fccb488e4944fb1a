import type { IncomingMessage, ServerResponse } from 'node:http';
import { positiveInteger } from '@mcp-auth/internal';
import { protectedResourceMetadataPaths } from './protected-resource-metadata.js';
import type { ProtectedResourceMetadata } from './types.js';

/** Options of {@link createMetadataHandler} and {@link createMetadataFetchHandler}. */
export interface MetadataHandlerOptions {
  /** `Cache-Control: public, max-age=<this>`. Default 3600; 0 sends `no-cache`. */
  cacheMaxAgeSeconds?: number;
  /** Serve the root `/.well-known/oauth-protected-resource` too. Default `true`. */
  serveRoot?: boolean;
}

const ALLOW = 'GET, HEAD, OPTIONS';
const HEADER_LIST = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*,[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/;

interface Prepared {
  paths: Set<string>;
  body: string;
  contentLength: string;
  headers: Record<string, string>;
}

function prepare(metadata: ProtectedResourceMetadata, options: MetadataHandlerOptions): Prepared {
  if (metadata === null || typeof metadata !== 'object' || typeof metadata.resource !== 'string') {
    throw new TypeError(
      '"metadata" must be a protected resource metadata document (use createProtectedResourceMetadata)',
    );
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError('metadata handler options must be an object');
  }
  const maxAge = positiveInteger(options.cacheMaxAgeSeconds ?? 3600, 'cacheMaxAgeSeconds', {
    allowZero: true,
  });
  if (options.serveRoot !== undefined && typeof options.serveRoot !== 'boolean') {
    throw new TypeError('"serveRoot" must be a boolean');
  }
  const { pathSuffixed, root } = protectedResourceMetadataPaths(metadata.resource);
  const paths = new Set([pathSuffixed]);
  if (options.serveRoot !== false) paths.add(root);
  const body = JSON.stringify(metadata);
  return {
    paths,
    body,
    contentLength: String(new TextEncoder().encode(body).byteLength),
    headers: {
      'content-type': 'application/json',
      'cache-control': maxAge === 0 ? 'no-cache' : `public, max-age=${maxAge}`,
      'access-control-allow-origin': '*',
      'x-content-type-options': 'nosniff',
    },
  };
}

interface Outcome {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

function respond(prepared: Prepared, method: string, requestHeaders: string | null): Outcome {
  switch (method) {
    case 'GET':
      return { status: 200, headers: prepared.headers, body: prepared.body };
    case 'HEAD':
      return {
        status: 200,
        headers: {
          ...prepared.headers,
          'content-length': prepared.contentLength,
        },
      };
    case 'OPTIONS': {
      const headers: Record<string, string> = {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': ALLOW,
        'access-control-max-age': '86400',
        allow: ALLOW,
      };
      // Browsers send MCP-Protocol-Version (and perhaps others) on discovery: the document is
      // public and no credentials are involved, so any syntactically valid header list is allowed.
      if (
        requestHeaders !== null &&
        requestHeaders.length <= 1024 &&
        HEADER_LIST.test(requestHeaders)
      ) {
        headers['access-control-allow-headers'] = requestHeaders;
      }
      return { status: 204, headers };
    }
    default:
      return {
        status: 405,
        headers: {
          allow: ALLOW,
          'access-control-allow-origin': '*',
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          error: 'method_not_allowed',
          error_description: `use ${ALLOW}`,
        }),
      };
  }
}

function pathOf(rawUrl: string): string | undefined {
  try {
    return new URL(rawUrl, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/**
 * A `node:http` handler (also fits Express and Connect) that serves the protected resource metadata
 * at its path-suffixed well-known path and at the root one: `200` JSON on GET and HEAD with
 * `Cache-Control: public, max-age=3600` (configurable) and `Access-Control-Allow-Origin: *`,
 * `204` with CORS preflight headers on OPTIONS, `405` with `Allow` on any other method. Returns
 * `true` when it handled the request, `false` (without touching `res`) for any other path, so it
 * chains in front of your MCP handler.
 *
 * @example
 * ```ts
 * const metadata = createProtectedResourceMetadata({ resource, authorizationServers: [issuer] });
 * const serveMetadata = createMetadataHandler(metadata);
 * http.createServer((req, res) => {
 *   if (serveMetadata(req, res)) return;
 *   // ... your MCP endpoint
 * });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3
 */
export function createMetadataHandler(
  metadata: ProtectedResourceMetadata,
  options: MetadataHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const prepared = prepare(metadata, options);
  return (req, res) => {
    const path = pathOf(req.url ?? '');
    if (path === undefined || !prepared.paths.has(path)) return false;
    const header = req.headers['access-control-request-headers'];
    const outcome = respond(
      prepared,
      (req.method ?? 'GET').toUpperCase(),
      typeof header === 'string' ? header : null,
    );
    res.writeHead(outcome.status, outcome.headers);
    res.end(outcome.body);
    return true;
  };
}

/**
 * The Fetch-API twin of {@link createMetadataHandler}, for Hono, Next.js route handlers, Deno,
 * Bun, Cloudflare Workers: returns the `Response` for a request to one of the metadata paths, and
 * `undefined` for any other path.
 *
 * @example
 * ```ts
 * const serveMetadata = createMetadataFetchHandler(metadata);
 * export default {
 *   fetch: (request: Request) => serveMetadata(request) ?? handleMcp(request),
 * };
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3
 */
export function createMetadataFetchHandler(
  metadata: ProtectedResourceMetadata,
  options: MetadataHandlerOptions = {},
): (request: Request) => Response | undefined {
  const prepared = prepare(metadata, options);
  return (request) => {
    const path = pathOf(request.url);
    if (path === undefined || !prepared.paths.has(path)) return undefined;
    const outcome = respond(
      prepared,
      request.method.toUpperCase(),
      request.headers.get('access-control-request-headers'),
    );
    return new Response(outcome.body ?? null, { status: outcome.status, headers: outcome.headers });
  };
}
