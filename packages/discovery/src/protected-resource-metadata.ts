import { isScopeToken } from '@mcp-auth/internal';
import type { ProtectedResourceMetadata } from './types.js';
import { canonicalizeResourceUri, isLoopbackHost } from './url.js';

/** The well-known suffix of protected resource metadata. @see https://www.rfc-editor.org/rfc/rfc9728#section-3 */
export const PROTECTED_RESOURCE_METADATA_SUFFIX = '/.well-known/oauth-protected-resource';

/** Options of {@link createProtectedResourceMetadata}. */
export interface CreateProtectedResourceMetadataOptions {
  /** The resource identifier: the canonical URI of the MCP server, e.g. `https://mcp.example.com/mcp`. */
  resource: string;
  /** Issuer identifiers of the authorization servers (at least one; MCP requires the field). */
  authorizationServers: readonly string[];
  /** Scopes a client may need. List what requests need, not every scope you have; never `offline_access`. */
  scopesSupported?: readonly string[];
  /** How tokens may be sent. Default `['header']`; `query` is refused (RFC 6750 §5.3: tokens never in URLs). */
  bearerMethodsSupported?: readonly ('header' | 'body')[];
  /** Human-readable name of the resource. */
  resourceName?: string;
  /** URL of human-readable documentation (https). */
  resourceDocumentation?: string;
  /**
   * Accept `http:` for `resource` and `authorizationServers` when their host is loopback, for local
   * development. Weakens security; never the default.
   */
  allowInsecureHttpForLoopback?: boolean;
  /** Other RFC 9728 parameters (snake_case), e.g. `resource_policy_uri`. Cannot replace the fields above. */
  [parameter: string]: unknown;
}

const NAMED_OPTIONS = new Set([
  'resource',
  'authorizationServers',
  'scopesSupported',
  'bearerMethodsSupported',
  'resourceName',
  'resourceDocumentation',
  'allowInsecureHttpForLoopback',
]);
const RESERVED_KEYS = new Set([
  'resource',
  'authorization_servers',
  'scopes_supported',
  'bearer_methods_supported',
  'resource_name',
  'resource_documentation',
]);

function assertHttpsUrl(value: unknown, option: string, allowLoopbackHttp: boolean): URL {
  if (typeof value !== 'string') throw new TypeError(`"${option}" must be an absolute https: URL`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`"${option}" must be an absolute https: URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    if (allowLoopbackHttp) return url;
    throw new TypeError(
      `"${option}" uses http:; set allowInsecureHttpForLoopback: true to allow it on a loopback host`,
    );
  }
  throw new TypeError(`"${option}" must be an absolute https: URL`);
}

/**
 * Build the Protected Resource Metadata document of an MCP server (RFC 9728 §2), with its
 * snake_case keys, ready to serve with {@link createMetadataHandler} or
 * {@link createMetadataFetchHandler}. `resource` is returned in canonical form
 * ({@link canonicalizeResourceUri}). Every mistake is a `TypeError` naming the option, thrown here,
 * at start-up: `resource` not an absolute https URL (http only for loopback with
 * `allowInsecureHttpForLoopback`), with a fragment or user info; no authorization server, or one
 * that is not an https issuer identifier (no query, no fragment); scopes that are not scope tokens,
 * or `offline_access`; bearer methods other than `header`/`body`; an `extra` key that would
 * replace one of the named fields.
 *
 * @example
 * ```ts
 * const metadata = createProtectedResourceMetadata({
 *   resource: 'https://mcp.example.com/mcp',
 *   authorizationServers: ['https://auth.example.com'],
 *   scopesSupported: ['mcp:tools'],
 *   resourceName: 'Example MCP server',
 * });
 * // { resource: 'https://mcp.example.com/mcp', authorization_servers: ['https://auth.example.com'],
 * //   scopes_supported: ['mcp:tools'], bearer_methods_supported: ['header'], resource_name: 'Example MCP server' }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export function createProtectedResourceMetadata(
  options: CreateProtectedResourceMetadataOptions,
): ProtectedResourceMetadata {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('createProtectedResourceMetadata options are required');
  }
  const allowHttp = options.allowInsecureHttpForLoopback === true;
  if (
    options.allowInsecureHttpForLoopback !== undefined &&
    typeof options.allowInsecureHttpForLoopback !== 'boolean'
  ) {
    throw new TypeError('"allowInsecureHttpForLoopback" must be a boolean');
  }

  assertHttpsUrl(options.resource, 'resource', allowHttp);
  let resource: string;
  try {
    resource = canonicalizeResourceUri(options.resource);
  } catch (err) {
    throw new TypeError(`"resource" ${(err as Error).message.replace(/^resource URI /, '')}`);
  }

  const servers = options.authorizationServers;
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new TypeError('"authorizationServers" must be a non-empty array of issuer URLs');
  }
  const authorizationServers: string[] = [];
  for (const issuer of servers) {
    const url = assertHttpsUrl(issuer, 'authorizationServers', allowHttp);
    if (url.search !== '' || url.href.includes('#') || url.username !== '' || url.password !== '') {
      throw new TypeError(
        '"authorizationServers" entries must be issuer identifiers: no query, fragment or user info (RFC 8414 §2)',
      );
    }
    // Issuer identifiers are compared as strings: keep them exactly as configured.
    if (!authorizationServers.includes(issuer)) authorizationServers.push(issuer);
  }

  const metadata: ProtectedResourceMetadata = {
    resource,
    authorization_servers: authorizationServers,
  };

  if (options.scopesSupported !== undefined) {
    const scopes = options.scopesSupported;
    if (!Array.isArray(scopes)) throw new TypeError('"scopesSupported" must be an array of scopes');
    for (const scope of scopes) {
      if (!isScopeToken(scope)) {
        throw new TypeError(
          '"scopesSupported" entries must be scope tokens: printable ASCII without space, " or \\',
        );
      }
      if (scope === 'offline_access') {
        throw new TypeError(
          "\"scopesSupported\" must not list offline_access: refresh is the client's and the authorization server's business, not the resource's",
        );
      }
    }
    metadata.scopes_supported = [...new Set(scopes)];
  }

  const methods = options.bearerMethodsSupported ?? ['header'];
  if (!Array.isArray(methods)) {
    throw new TypeError('"bearerMethodsSupported" must be an array');
  }
  for (const method of methods) {
    if (method === 'query') {
      throw new TypeError(
        '"bearerMethodsSupported" must not contain query: access tokens never travel in URLs',
      );
    }
    if (method !== 'header' && method !== 'body') {
      throw new TypeError('"bearerMethodsSupported" entries must be "header" or "body"');
    }
  }
  metadata.bearer_methods_supported = [...new Set(methods)];

  if (options.resourceName !== undefined) {
    if (typeof options.resourceName !== 'string' || options.resourceName.trim() === '') {
      throw new TypeError('"resourceName" must be a non-empty string');
    }
    metadata.resource_name = options.resourceName;
  }
  if (options.resourceDocumentation !== undefined) {
    assertHttpsUrl(options.resourceDocumentation, 'resourceDocumentation', allowHttp);
    metadata.resource_documentation = options.resourceDocumentation;
  }

  for (const [key, value] of Object.entries(options)) {
    if (NAMED_OPTIONS.has(key)) continue;
    if (RESERVED_KEYS.has(key)) {
      throw new TypeError(
        `"${key}" cannot be set as an extra parameter: use the named option instead`,
      );
    }
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new TypeError(`"${key}" is not an allowed metadata parameter name`);
    }
    if (value === undefined) continue;
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    if (json === undefined) {
      throw new TypeError(`"${key}" must be a JSON value`);
    }
    metadata[key] = JSON.parse(json) as unknown;
  }
  return metadata;
}

function resourceUrl(resource: string | URL, what: string): URL {
  let canonical: string;
  try {
    canonical = canonicalizeResourceUri(resource);
  } catch (err) {
    throw new TypeError(`"${what}" ${(err as Error).message.replace(/^resource URI /, '')}`);
  }
  return new URL(canonical);
}

/**
 * The two paths where the protected resource metadata of `resource` is served: the path-suffixed
 * one (RFC 9728 §3.1: the well-known suffix inserted between the host and the resource's path) and
 * the root one, which clients try when the resource path is unknown. Serve both; they are equal
 * when the resource has no path. Throws a `TypeError` when `resource` is not an absolute URL.
 *
 * @example
 * ```ts
 * protectedResourceMetadataPaths('https://mcp.example.com/public/mcp');
 * // { pathSuffixed: '/.well-known/oauth-protected-resource/public/mcp',
 * //   root: '/.well-known/oauth-protected-resource' }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.1
 */
export function protectedResourceMetadataPaths(resource: string | URL): {
  pathSuffixed: string;
  root: string;
} {
  const url = resourceUrl(resource, 'resource');
  const path = url.pathname === '/' ? '' : url.pathname;
  return {
    pathSuffixed: `${PROTECTED_RESOURCE_METADATA_SUFFIX}${path}`,
    root: PROTECTED_RESOURCE_METADATA_SUFFIX,
  };
}

/**
 * The absolute URL of the protected resource metadata of `resource`: the one to put in
 * `resource_metadata` of a `WWW-Authenticate` challenge. A query in the resource is kept after the
 * path, as RFC 9728 §3.1 says. Throws a `TypeError` when `resource` is not an absolute URL.
 *
 * @example
 * ```ts
 * protectedResourceMetadataUrl('https://mcp.example.com/mcp');
 * // 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.1
 */
export function protectedResourceMetadataUrl(resource: string | URL): string {
  const url = resourceUrl(resource, 'resource');
  const { pathSuffixed } = protectedResourceMetadataPaths(url.href);
  return `${url.origin}${pathSuffixed}${url.search}`;
}
