import type { CacheStore } from '@mcp-auth/cache';
import { isLoopbackHost } from '@mcp-auth/discovery';
import { isScopeToken } from '@mcp-auth/gate';
import type { TokenValidatorOptions } from '@mcp-auth/validator';
import type { Logger } from '../internal/logger.js';
import type { FlowSecret } from './flow-keys.js';

/** Options of `OAuthProvider`. */
export interface OAuthProviderOptions {
  /** The authorization server's issuer identifier (its metadata is discovered). Required. */
  authorizationServer: string;
  /** This MCP server's canonical URI: the audience tokens must carry (RFC 8707). Required. */
  resourceUri: string;
  /** OAuth client id for the browser flow (`/oauth/authorize` and the callback). Without it, no flow. */
  clientId?: string;
  /** Client secret (confidential client); without it the client is public (PKCE only). */
  clientSecret?: string;
  /** Path of the callback. Default `/oauth/callback`. */
  callbackPath?: string;
  /**
   * The absolute redirect URI registered with the authorization server. Default: `callbackPath` on
   * the origin of `resourceUri`. Never derived from `Host` or `X-Forwarded-*`.
   */
  redirectUri?: string;
  /** Scopes every request needs (403 `insufficient_scope` without them). Default `[]`. */
  requiredScopes?: string[];
  /** Scopes asked for in the browser flow. Default `requiredScopes`. */
  authorizationScopes?: string[];
  /** Seconds a validated token is cached (never past its `exp`). Default 300. */
  tokenCacheTTL?: number;
  /** Require this resource in `aud`. Default true; false only with `allowedClientIds`. */
  strictAudienceValidation?: boolean;
  /** Extra check or enrichment of a token; it cannot weaken the audience, expiry or scope checks. */
  customValidator?: TokenValidatorOptions['customValidator'];
  /** Provider profile of the validator (`generic`, `cognito`, `auth0`, `okta`, …). */
  profile?: TokenValidatorOptions['profile'];
  /** Client ids whose tokens are accepted (required with `strictAudienceValidation: false`). */
  allowedClientIds?: string[];
  /** `scopes_supported` of the protected resource metadata. Default `requiredScopes` (omitted when empty). */
  scopesSupported?: string[];
  /** `resource_name` of the protected resource metadata. */
  resourceName?: string;
  /**
   * A store of `@mcp-auth/cache` (e.g. `redisStore()`), shared by the token cache and the set of
   * used flow states, so a callback can land on another instance. Without `flowSecret`, the flow
   * secret is also kept there (created once) so every instance sharing the store shares it.
   * Default: in memory.
   */
  cache?: CacheStore;
  /**
   * The secret that authenticates pending browser sign-ins (their `state`) and derives their PKCE
   * code verifiers: a string or Uint8Array of at least 32 random bytes, or a list of up to 4 (the
   * first signs, all verify: rotate by prepending a new one). Every instance that may receive a
   * callback must have the same. Default: kept in the `cache` store when it is a remote store,
   * else random for this process (a restart abandons the sign-ins in progress).
   */
  flowSecret?: FlowSecret | readonly FlowSecret[];
  /** Extra parameters of the authorization request (e.g. `{ prompt: 'consent' }`). */
  additionalAuthorizationParameters?: Record<string, string>;
  /** Options passed to `createTokenValidator` as they are (`jwt`, `introspection`, `tokenFormat`, …). */
  validator?: Partial<TokenValidatorOptions>;
  /** Allow `http:` for loopback authorization servers and resources (local development only). */
  allowInsecureHttpForLoopback?: boolean;
  logger?: Logger;
  fetch?: typeof fetch;
  /** Clock in ms. */
  now?: () => number;
}

/** A list of scope tokens (a `TypeError` naming the option otherwise). */
export function stringList(name: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isScopeToken)) {
    throw new TypeError(`"${name}" must be an array of scope strings`);
  }
  return [...value];
}

/** The browser flow's settings, checked and with their defaults. */
export interface FlowSettings {
  callbackPath: string;
  /** Only with a `clientId`. */
  redirectUri: string | undefined;
  extraParams: Record<string, string>;
}

/** Parameters the flow sets itself: `additionalAuthorizationParameters` cannot override them. */
const RESERVED_PARAMETERS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'state',
  'code_challenge',
  'code_challenge_method',
  'resource',
];

/**
 * Checks the options of the browser flow (`TypeError` naming the option) and applies defaults: the
 * callback path, the redirect URI (https, or http on loopback with `allowInsecureHttpForLoopback`),
 * the extra authorization parameters.
 */
export function resolveFlowSettings(
  o: OAuthProviderOptions,
  resourceUri: string,
  allowHttp: boolean,
): FlowSettings {
  checkClientCredentials(o);
  const callbackPath = o.callbackPath ?? '/oauth/callback';
  if (typeof callbackPath !== 'string' || !/^\/[^\s?#]*$/.test(callbackPath)) {
    throw new TypeError('"callbackPath" must be a path starting with "/"');
  }
  if (o.redirectUri !== undefined) checkRedirectOption(o.redirectUri, callbackPath);
  const redirectUri =
    o.clientId === undefined
      ? undefined
      : (o.redirectUri ?? new URL(callbackPath, resourceUri).href);
  if (redirectUri !== undefined) {
    const redirect = new URL(redirectUri);
    if (redirect.protocol !== 'https:' && !(allowHttp && isLoopbackHost(redirect.hostname))) {
      throw new TypeError(
        '"redirectUri" must be https (http only for loopback with "allowInsecureHttpForLoopback")',
      );
    }
  }
  return { callbackPath, redirectUri, extraParams: extraParameters(o) };
}

function checkClientCredentials(o: OAuthProviderOptions): void {
  if (o.clientId !== undefined && (typeof o.clientId !== 'string' || o.clientId === '')) {
    throw new TypeError('"clientId" must be a non-empty string');
  }
  if (o.clientSecret !== undefined) {
    if (typeof o.clientSecret !== 'string' || o.clientSecret === '') {
      throw new TypeError('"clientSecret" must be a non-empty string');
    }
    if (o.clientId === undefined) throw new TypeError('"clientSecret" needs "clientId"');
  }
}

function checkRedirectOption(redirectUri: unknown, callbackPath: string): void {
  if (typeof redirectUri !== 'string' || !URL.canParse(redirectUri)) {
    throw new TypeError('"redirectUri" must be an absolute URL');
  }
  const redirect = new URL(redirectUri);
  if (redirect.hash !== '' || redirect.search !== '') {
    throw new TypeError('"redirectUri" must have no query and no fragment');
  }
  if (redirect.pathname !== callbackPath) {
    throw new TypeError('the path of "redirectUri" must be "callbackPath"');
  }
}

function extraParameters(o: OAuthProviderOptions): Record<string, string> {
  const extra = o.additionalAuthorizationParameters;
  if (
    extra !== undefined &&
    (typeof extra !== 'object' || Object.values(extra).some((v) => typeof v !== 'string'))
  ) {
    throw new TypeError('"additionalAuthorizationParameters" must map names to strings');
  }
  const params = { ...extra };
  for (const reserved of RESERVED_PARAMETERS) {
    if (reserved in params) {
      throw new TypeError(`"additionalAuthorizationParameters" cannot set "${reserved}"`);
    }
  }
  return params;
}
