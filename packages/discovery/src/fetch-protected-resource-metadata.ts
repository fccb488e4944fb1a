import { optionalBoolean, optionalFunction, positiveInteger } from '@mcp-auth/internal';
import { DiscoveryError } from './errors.js';
import type { FetchLike } from './fetch-with-limits.js';
import {
  type CandidateAnswer,
  DEFAULT_MAX_METADATA_BYTES,
  DEFAULT_TIMEOUT_MS,
  tryCandidates,
} from './internal/candidates.js';
import { PROTECTED_RESOURCE_METADATA_SUFFIX } from './protected-resource-metadata.js';
import type { ProtectedResourceMetadata } from './types.js';
import { canonicalizeResourceUri, type InsecureHttpOption, parseFetchableUrl } from './url.js';

/** Options of {@link fetchProtectedResourceMetadata}. */
export interface FetchProtectedResourceMetadataOptions extends InsecureHttpOption {
  /** `resource_metadata` from the server's `WWW-Authenticate` challenge. When given, only this URL is fetched. */
  resourceMetadataUrl?: string;
  /** The `fetch` implementation. Default: `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Deadline for the whole lookup (every URL tried). Default 5000 ms. */
  timeoutMs?: number;
  /** Largest document accepted. Default 65,536 bytes. */
  maxBytes?: number;
}

/** What {@link fetchProtectedResourceMetadata} found. */
export interface ProtectedResourceMetadataResult {
  metadata: ProtectedResourceMetadata;
  /** The URL that answered (after same-origin redirects). */
  url: string;
  /** The candidate URLs requested, in order (same-origin redirect hops are not listed). */
  tried: string[];
}

/**
 * Whether the `resource` of a metadata document covers `serverUrl`: same origin, and the server's
 * path equals the resource's path or lies under it (on a `/` boundary). Both are canonicalized
 * first. A `resource` with a query must match the server's query exactly.
 *
 * @example
 * ```ts
 * resourceMatchesServer('https://mcp.example.com/mcp', 'https://mcp.example.com/mcp');     // true
 * resourceMatchesServer('https://mcp.example.com', 'https://mcp.example.com/mcp');         // true
 * resourceMatchesServer('https://mcp.example.com/m', 'https://mcp.example.com/mcp');       // false
 * resourceMatchesServer('https://evil.example.com/mcp', 'https://mcp.example.com/mcp');    // false
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 */
export function resourceMatchesServer(resource: string, serverUrl: string): boolean {
  let doc: URL;
  let server: URL;
  try {
    doc = new URL(canonicalizeResourceUri(resource));
    server = new URL(canonicalizeResourceUri(serverUrl));
  } catch {
    return false;
  }
  if (doc.origin !== server.origin) return false;
  if (doc.search !== '' && doc.search !== server.search) return false;
  if (doc.pathname === server.pathname) return true;
  const prefix = doc.pathname.endsWith('/') ? doc.pathname : `${doc.pathname}/`;
  return server.pathname.startsWith(prefix);
}

function assertStringArray(
  json: Record<string, unknown>,
  field: string,
  url: string,
  nonEmpty = false,
) {
  const value = json[field];
  if (value === undefined && !nonEmpty) return;
  if (
    !Array.isArray(value) ||
    (nonEmpty && value.length === 0) ||
    !value.every((v) => typeof v === 'string')
  ) {
    throw new DiscoveryError(
      'ERR_INVALID_METADATA',
      `${url}: "${field}" must be ${nonEmpty ? 'a non-empty' : 'an'} array of strings`,
      { url, status: 200, field },
    );
  }
}

/**
 * Find and check the Protected Resource Metadata of an MCP server, as a client does after a 401:
 * the `resource_metadata` URL from the challenge when there is one (and then only it), otherwise
 * the path-suffixed well-known URL, then the root one. All under one deadline, each response
 * limited to `maxBytes`, JSON only, same-origin redirects only. The document must name at least one
 * authorization server and a `resource` that covers `serverUrl` (same origin, path prefix, see
 * {@link resourceMatchesServer}); a mismatch is an error (`ERR_METADATA_RESOURCE_MISMATCH`), never a warning.
 *
 * Throws a `TypeError` when `serverUrl` is not an absolute URL or an option is malformed, and a
 * {@link DiscoveryError} for everything the network or the server does: `ERR_INSECURE_URL`,
 * `ERR_TIMEOUT`, `ERR_NETWORK`, `ERR_RESPONSE_TOO_LARGE`, `ERR_CROSS_ORIGIN_REDIRECT`,
 * `ERR_CONTENT_TYPE`, `ERR_INVALID_JSON`, `ERR_INVALID_METADATA`, `ERR_METADATA_RESOURCE_MISMATCH`,
 * `ERR_METADATA_NOT_FOUND` (every URL answered an HTTP error), each with `tried` and `failures`.
 *
 * @example
 * ```ts
 * const res = await fetch(serverUrl, { method: 'POST', body });
 * if (res.status === 401) {
 *   const challenge = parseBearerChallenge(res.headers.get('www-authenticate'));
 *   const { metadata } = await fetchProtectedResourceMetadata(serverUrl, {
 *     resourceMetadataUrl: challenge?.resourceMetadata,
 *   });
 *   const issuer = metadata.authorization_servers[0];
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#protected-resource-metadata-discovery-requirements
 */
export async function fetchProtectedResourceMetadata(
  serverUrl: string | URL,
  options: FetchProtectedResourceMetadataOptions = {},
): Promise<ProtectedResourceMetadataResult> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('fetchProtectedResourceMetadata options must be an object');
  }
  const server = canonicalizeResourceUri(serverUrl);
  const settings = {
    fetch: optionalFunction<FetchLike>(options.fetch, 'fetch'),
    timeoutMs: positiveInteger(options.timeoutMs, 'timeoutMs', { fallback: DEFAULT_TIMEOUT_MS }),
    maxBytes: positiveInteger(options.maxBytes, 'maxBytes', {
      fallback: DEFAULT_MAX_METADATA_BYTES,
    }),
    allowInsecureHttpForLoopback:
      optionalBoolean(options.allowInsecureHttpForLoopback, 'allowInsecureHttpForLoopback') ===
      true,
    what: `protected resource metadata for ${server}`,
  };
  if (
    options.resourceMetadataUrl !== undefined &&
    typeof options.resourceMetadataUrl !== 'string'
  ) {
    throw new TypeError('"resourceMetadataUrl" must be a string');
  }

  const serverParsed = parseFetchableUrl(server, 'server URL', settings);
  let urls: string[];
  if (options.resourceMetadataUrl !== undefined) {
    // It comes from the server's challenge: as untrusted as the rest of the response.
    urls = [parseFetchableUrl(options.resourceMetadataUrl, 'resource_metadata URL', settings).href];
  } else {
    const path = serverParsed.pathname === '/' ? '' : serverParsed.pathname;
    const origin = serverParsed.origin;
    urls = [
      ...new Set([
        `${origin}${PROTECTED_RESOURCE_METADATA_SUFFIX}${path}${serverParsed.search}`,
        `${origin}${PROTECTED_RESOURCE_METADATA_SUFFIX}`,
      ]),
    ];
  }

  const { result, url, tried } = await tryCandidates(
    urls,
    settings,
    ({ url: at, json }: CandidateAnswer) => {
      if (typeof json.resource !== 'string') {
        throw new DiscoveryError('ERR_INVALID_METADATA', `${at}: "resource" must be a string`, {
          url: at,
          status: 200,
          field: 'resource',
        });
      }
      assertStringArray(json, 'authorization_servers', at, true);
      assertStringArray(json, 'scopes_supported', at);
      assertStringArray(json, 'bearer_methods_supported', at);
      if (!resourceMatchesServer(json.resource, server)) {
        throw new DiscoveryError(
          'ERR_METADATA_RESOURCE_MISMATCH',
          `${at} describes resource ${JSON.stringify(json.resource.slice(0, 512))}, which does not cover ${server}`,
          { url: at, status: 200, field: 'resource' },
        );
      }
      return json as ProtectedResourceMetadata;
    },
  );
  return { metadata: result, url, tried };
}
