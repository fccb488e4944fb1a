import { type Cache, createCache } from '@mcp-auth/cache';
import { optionalBoolean, optionalFunction, positiveInteger } from '@mcp-auth/internal';
import { DiscoveryError } from './errors.js';
import type { FetchLike } from './fetch-with-limits.js';
import {
  acceptAuthorizationServerMetadata,
  maxAgeSeconds,
} from './internal/authorization-server-metadata.js';
import {
  DEFAULT_MAX_METADATA_BYTES,
  DEFAULT_TIMEOUT_MS,
  deepFreeze,
  tryCandidates,
} from './internal/candidates.js';
import type { AuthorizationServerMetadata } from './types.js';
import { type InsecureHttpOption, parseFetchableUrl } from './url.js';

/** Which discovery document answered: RFC 8414 (`oauth2`) or OpenID Connect Discovery (`oidc`). */
export type MetadataFlavour = 'oauth2' | 'oidc';

/** What {@link discoverAuthorizationServer} found. */
export interface AuthorizationServerDiscovery {
  /** The validated document (frozen: it may be shared through the cache). */
  metadata: AuthorizationServerMetadata;
  /** The URL that answered (after same-origin redirects). */
  url: string;
  flavour: MetadataFlavour;
  /**
   * The well-known URLs requested, in order (same-origin redirect hops are not listed; `url` is
   * where the last one ended). A cached result keeps the list of the discovery that filled it.
   */
  tried: string[];
}

/** Options of {@link discoverAuthorizationServer}. */
export interface DiscoverAuthorizationServerOptions extends InsecureHttpOption {
  /** The `fetch` implementation. Default: `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Deadline for the whole discovery (every URL tried). Default 5000 ms. */
  timeoutMs?: number;
  /** Largest document accepted. Default 65,536 bytes. */
  maxBytes?: number;
  /**
   * Where results are kept, from `@mcp-auth/cache` (`createCache`, memory or Redis). Default: a
   * process-wide in-memory cache (1,000 issuers). `false`: no caching. Successes live
   * `min(cacheTtlSeconds, max-age)`, failures 30 s (`failureTtlSeconds`); concurrent calls for one
   * issuer share one discovery.
   */
  cache?: Cache<AuthorizationServerDiscovery> | false;
  /** Longest life of a cached success, in seconds. Default 3600; a shorter `max-age` wins. */
  cacheTtlSeconds?: number;
  /** Life of a cached failure, in seconds, at most 30. Default 30. */
  failureTtlSeconds?: number;
  /**
   * The caller will run the authorization code flow: the document must list `S256` in
   * `code_challenge_methods_supported` and have `authorization_endpoint` and `token_endpoint`.
   * Default `true`. A resource server, which only validates tokens, passes `false`.
   */
  requirePkceS256?: boolean;
  /**
   * For an issuer known to support S256 while omitting `code_challenge_methods_supported` from its
   * metadata (AWS Cognito): accept the missing field. Only for the issuer of this call; a document
   * that lists methods without `S256` is still refused. Weakens a check; never the default.
   */
  allowMissingPkceMetadata?: boolean;
}

const OAUTH2_SUFFIX = '/.well-known/oauth-authorization-server';
const OIDC_SUFFIX = '/.well-known/openid-configuration';

/**
 * The metadata URLs of an issuer, in the order MCP clients try them: for an issuer without a
 * path, RFC 8414 then OpenID Connect at the root; for an issuer with a path, RFC 8414 with the
 * path inserted, OpenID Connect with the path inserted, then OpenID Connect with the path
 * appended, and never the root. A trailing slash of the issuer is dropped first.
 *
 * @example
 * ```ts
 * authorizationServerMetadataUrls('https://as.example.com/tenant1');
 * // [{ url: 'https://as.example.com/.well-known/oauth-authorization-server/tenant1', flavour: 'oauth2' },
 * //  { url: 'https://as.example.com/.well-known/openid-configuration/tenant1', flavour: 'oidc' },
 * //  { url: 'https://as.example.com/tenant1/.well-known/openid-configuration', flavour: 'oidc' }]
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.1
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationRequest
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#authorization-server-metadata-discovery
 */
export function authorizationServerMetadataUrls(
  issuer: string,
): { url: string; flavour: MetadataFlavour }[] {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new TypeError('"issuer" must be an absolute URL');
  }
  const origin = url.origin;
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '') {
    return [
      { url: `${origin}${OAUTH2_SUFFIX}`, flavour: 'oauth2' },
      { url: `${origin}${OIDC_SUFFIX}`, flavour: 'oidc' },
    ];
  }
  return [
    { url: `${origin}${OAUTH2_SUFFIX}${path}`, flavour: 'oauth2' },
    { url: `${origin}${OIDC_SUFFIX}${path}`, flavour: 'oidc' },
    { url: `${origin}${path}${OIDC_SUFFIX}`, flavour: 'oidc' },
  ];
}

let defaultCache: Cache<AuthorizationServerDiscovery> | undefined;
function getDefaultCache(): Cache<AuthorizationServerDiscovery> {
  defaultCache ??= createCache<AuthorizationServerDiscovery>({
    name: '@mcp-auth/discovery',
    maxEntries: 1000,
    ttlSeconds: 3600,
    negative: { maxEntries: 1000, ttlSeconds: 30 },
  });
  return defaultCache;
}

interface Loaded {
  discovery: AuthorizationServerDiscovery;
  maxAge: number | undefined;
}

async function load(
  issuer: string,
  settings: Parameters<typeof tryCandidates>[1],
): Promise<Loaded> {
  const candidates = authorizationServerMetadataUrls(issuer);
  let maxAge: number | undefined;
  const { result, url, tried } = await tryCandidates(
    candidates.map((c) => c.url),
    settings,
    async (answer) => {
      const metadata = await acceptAuthorizationServerMetadata(issuer, answer, settings);
      maxAge = maxAgeSeconds(answer.response.headers);
      return { metadata, flavour: candidates.find((c) => c.url === answer.url)!.flavour };
    },
  );
  return {
    discovery: deepFreeze({ metadata: result.metadata, url, flavour: result.flavour, tried }),
    maxAge,
  };
}

/**
 * Discover an authorization server's metadata from its issuer identifier: the well-known URLs in
 * the MCP order ({@link authorizationServerMetadataUrls}), stopping at the first valid document,
 * never probing the root for an issuer with a path. The document's `issuer` must equal `issuer`
 * exactly (mix-up protection), endpoints must be https (http only on loopback with
 * `allowInsecureHttpForLoopback`), and with `requirePkceS256` (the default) it must advertise `S256`
 * and have authorization and token endpoints. Every response is limited to 64 KB, JSON only,
 * same-origin redirects only, all under one `timeoutMs` deadline. Results are cached (see
 * `cache`); concurrent calls share one discovery.
 *
 * Throws a `TypeError` for a malformed option, and a {@link DiscoveryError} otherwise:
 * `ERR_INVALID_URL`, `ERR_INSECURE_URL`, `ERR_TIMEOUT`, `ERR_NETWORK`, `ERR_RESPONSE_TOO_LARGE`,
 * `ERR_CROSS_ORIGIN_REDIRECT`, `ERR_CONTENT_TYPE`, `ERR_INVALID_JSON`, `ERR_INVALID_METADATA`,
 * `ERR_METADATA_ISSUER_MISMATCH`, `ERR_METADATA_NOT_FOUND`, `ERR_PKCE_METADATA_MISSING`,
 * `ERR_PKCE_S256_UNSUPPORTED`.
 *
 * @example
 * ```ts
 * // A client about to run the authorization code flow with PKCE:
 * const { metadata, flavour } = await discoverAuthorizationServer('https://auth.example.com');
 *
 * // A resource server that only needs jwks_uri / introspection_endpoint:
 * const { metadata: m } = await discoverAuthorizationServer(issuer, { requirePkceS256: false });
 *
 * // Cognito omits code_challenge_methods_supported although it supports S256:
 * await discoverAuthorizationServer('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example', {
 *   allowMissingPkceMetadata: true,
 * });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#authorization-server-metadata-discovery
 */
export async function discoverAuthorizationServer(
  issuer: string,
  options: DiscoverAuthorizationServerOptions = {},
): Promise<AuthorizationServerDiscovery> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('discoverAuthorizationServer options must be an object');
  }
  if (typeof issuer !== 'string') throw new TypeError('"issuer" must be a string');
  const allowInsecureHttpForLoopback =
    optionalBoolean(options.allowInsecureHttpForLoopback, 'allowInsecureHttpForLoopback') === true;
  const requirePkceS256 = optionalBoolean(options.requirePkceS256, 'requirePkceS256') !== false;
  const allowMissingPkceMetadata =
    optionalBoolean(options.allowMissingPkceMetadata, 'allowMissingPkceMetadata') === true;
  const settings = {
    fetch: optionalFunction<FetchLike>(options.fetch, 'fetch'),
    timeoutMs: positiveInteger(options.timeoutMs, 'timeoutMs', { fallback: DEFAULT_TIMEOUT_MS }),
    maxBytes: positiveInteger(options.maxBytes, 'maxBytes', {
      fallback: DEFAULT_MAX_METADATA_BYTES,
    }),
    allowInsecureHttpForLoopback,
    what: `authorization server metadata for ${issuer}`,
  };
  const cacheTtl = positiveInteger(options.cacheTtlSeconds, 'cacheTtlSeconds', { fallback: 3600 });
  const failureTtl = positiveInteger(options.failureTtlSeconds, 'failureTtlSeconds', {
    fallback: 30,
  });
  if (failureTtl > 30) throw new TypeError('"failureTtlSeconds" must be at most 30');
  const cacheOption = options.cache;
  if (
    cacheOption !== undefined &&
    cacheOption !== false &&
    (cacheOption === null || typeof cacheOption.getOrLoad !== 'function')
  ) {
    throw new TypeError('"cache" must be a cache from @mcp-auth/cache createCache, or false');
  }

  const parsed = parseFetchableUrl(issuer, 'issuer', settings);
  if (parsed.search !== '') {
    throw new DiscoveryError('ERR_INVALID_URL', 'issuer must not contain a query (RFC 8414 §2)', {
      url: issuer,
    });
  }

  let discovery: AuthorizationServerDiscovery;
  if (cacheOption === false) {
    discovery = (await load(issuer, settings)).discovery;
  } else {
    const cache = cacheOption ?? getDefaultCache();
    const key = `discovery:as:${allowInsecureHttpForLoopback ? 'loopback-http:' : ''}${issuer}`;
    discovery = await cache.getOrLoad(key, async () => {
      try {
        const { discovery: value, maxAge } = await load(issuer, settings);
        if (maxAge === 0) return { value, expiresAt: 1 }; // no-store, no-cache, max-age=0: use once
        return { value, ttlSeconds: Math.min(cacheTtl, maxAge ?? cacheTtl) };
      } catch (error) {
        if (error instanceof DiscoveryError) return { error, ttlSeconds: failureTtl };
        throw error;
      }
    });
  }

  if (requirePkceS256) checkCodeFlowMetadata(discovery, allowMissingPkceMetadata);
  return discovery;
}

/**
 * `requirePkceS256`: the document must list `S256` (or omit the list, for an issuer given
 * `allowMissingPkceMetadata`) and have the authorization and token endpoints. Checked per call,
 * after the cache: callers with other needs share one cached document.
 */
function checkCodeFlowMetadata(
  { metadata, url }: AuthorizationServerDiscovery,
  allowMissingPkceMetadata: boolean,
): void {
  const methods = metadata.code_challenge_methods_supported;
  if (methods === undefined) {
    if (!allowMissingPkceMetadata) {
      throw new DiscoveryError(
        'ERR_PKCE_METADATA_MISSING',
        `${url} does not advertise code_challenge_methods_supported; refusing to assume PKCE S256 (pass allowMissingPkceMetadata: true for an issuer known to support it)`,
        { url, field: 'code_challenge_methods_supported' },
      );
    }
  } else if (!methods.includes('S256')) {
    throw new DiscoveryError(
      'ERR_PKCE_S256_UNSUPPORTED',
      `${url} does not support PKCE S256 (code_challenge_methods_supported: ${JSON.stringify(methods).slice(0, 200)})`,
      { url, field: 'code_challenge_methods_supported' },
    );
  }
  for (const field of ['authorization_endpoint', 'token_endpoint'] as const) {
    if (typeof metadata[field] !== 'string') {
      throw new DiscoveryError(
        'ERR_INVALID_METADATA',
        `${url}: "${field}" is required for the authorization code flow`,
        { url, field },
      );
    }
  }
}

/**
 * Empty the process-wide discovery cache (the default `cache`), for tests and for forcing a
 * refresh after a configuration change at the authorization server.
 *
 * @example
 * ```ts
 * afterEach(() => clearDiscoveryCache());
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export async function clearDiscoveryCache(): Promise<void> {
  await defaultCache?.clear();
}
