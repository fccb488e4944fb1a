import type { FetchLike } from './internal/http.js';
import { parsePrivateKeyPem } from './internal/private-key.js';
import type { OpenBrowser } from './open-browser.js';
import { REDIRECT_HOSTS, type RedirectHost } from './redirect-listener.js';
import type { Report } from './report.js';

export type { FetchLike } from './internal/http.js';
export type { OpenBrowser } from './open-browser.js';
export type { RedirectHost } from './redirect-listener.js';

/** Which MCP transport to use. `auto` tries Streamable HTTP first and falls back to SSE. */
export type TransportKind = 'auto' | 'sse' | 'streamable-http';

/** How a client authenticates at the token endpoint. */
export type TokenEndpointAuthMethod =
  | 'none'
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt';

/**
 * How tokens are obtained. `authorization_code` (the default) involves a person (or
 * `nonInteractive`); the others need no browser:
 * - `client_credentials`: machine to machine, as the client itself (RFC 6749 §4.4);
 * - `jwt_bearer`: workload identity federation, the workload's JWT as `assertion` (RFC 7523 §2.1);
 * - `enterprise`: enterprise-managed authorization, the user's ID token exchanged at the enterprise
 *   IdP for an identity assertion (ID-JAG, RFC 8693), then presented with the JWT-bearer grant.
 */
export type GrantKind = 'authorization_code' | 'client_credentials' | 'jwt_bearer' | 'enterprise';

/** Options shared by {@link authorize}, {@link connect}, {@link run} and {@link checkServer}. */
export interface AuthorizeOptions {
  /** `fetch` for every HTTP request (discovery, registration, token, MCP). Default: the global one. */
  fetch?: FetchLike;
  /** Opens the authorization URL when `open` is true. Default: the system browser. Tests pass their own. */
  openBrowser?: OpenBrowser;
  /** Open the authorization URL with `openBrowser` (the CLI's `--open`). */
  open?: boolean;
  /**
   * Follow the authorization URL with plain HTTP requests (no browser) and take the code from the
   * redirect to our listener. For authorization servers that approve without a login page.
   */
  nonInteractive?: boolean;
  /** Called with every authorization URL (the CLI prints it). */
  onAuthorizationUrl?: (url: string) => void;
  /** Called when the client starts waiting for the browser; the returned function is called when it stops. */
  onWaitForBrowser?: () => (() => void) | undefined;
  /** A pre-registered client id. */
  clientId?: string;
  /** The pre-registered client's secret (a confidential client). */
  clientSecret?: string;
  /** Token endpoint authentication of the pre-registered client; by default from the metadata. */
  tokenEndpointAuth?: TokenEndpointAuthMethod;
  /**
   * A PEM private key (PKCS#8, SEC1 or PKCS#1; P-256 or RSA) for `private_key_jwt` client
   * authentication (RFC 7523 §2.2): the pre-registered client signs a client assertion with it.
   */
  privateKey?: string;
  /** The `kid` of `privateKey` as registered at the authorization server. */
  privateKeyId?: string;
  /** `ES256` (P-256 key) or `RS256` (RSA key); by default what the key is. */
  privateKeyAlg?: 'ES256' | 'RS256';
  /** How to obtain tokens; `authorization_code` by default. See {@link GrantKind}. */
  grant?: GrantKind;
  /** `jwt_bearer`: the workload's JWT, sent as `assertion`. */
  assertion?: string;
  /** `enterprise`: the enterprise IdP's ID token to exchange for an identity assertion (ID-JAG). */
  idToken?: string;
  /** `enterprise`: the enterprise IdP's token endpoint (RFC 8693 token exchange). */
  idpTokenEndpoint?: string;
  /** `enterprise`: this client's id at the enterprise IdP. */
  idpClientId?: string;
  /** `enterprise`: this client's secret at the enterprise IdP (HTTP Basic). */
  idpClientSecret?: string;
  /**
   * Sender-constrained tokens (RFC 9449): a DPoP proof on every token request and every MCP request
   * (with `ath`), server nonces honoured; the token is sent as `Authorization: DPoP`.
   */
  dpop?: boolean;
  /** An https URL of a Client ID Metadata Document, used when the server advertises support. */
  clientMetadataUrl?: string;
  /** `client_name` for dynamic registration. Default `mcp-auth-test-client`. */
  clientName?: string;
  /** Space-separated scopes to request; by default the challenge's `scope`, else `scopes_supported`. */
  scope?: string;
  /**
   * The `resource` to request a token for, instead of the one in the protected resource metadata.
   * `checkServer` uses it to obtain a token for another resource of the same authorization server.
   */
  resource?: string;
  /** Extra parameters for the authorization request (e.g. Auth0's `audience`). Cannot override the protocol ones. */
  authorizationParams?: Record<string, string>;
  /** Port of the loopback redirect listener. Default: a random free port. */
  port?: number;
  /**
   * Host of the loopback redirect URI: `127.0.0.1` (default), `[::1]`, or `localhost` (for
   * authorization servers that accept plain-http redirect URIs on `localhost` only, e.g. AWS
   * Cognito). The listener binds to loopback addresses only.
   */
  redirectHost?: RedirectHost;
  /** Path of the redirect URI. Default `/callback`. */
  callbackPath?: string;
  /** Accept `http:` URLs on hosts that are not loopback. Insecure. */
  allowHttp?: boolean;
  /**
   * Issuers whose metadata may lack `code_challenge_methods_supported` (providers known to omit it
   * while supporting S256, e.g. Cognito). PKCE S256 is still used.
   */
  allowMissingPkceMetadata?: string | string[];
  /** Also prove that a refresh works (refresh token grant with `resource`). */
  refresh?: boolean;
  /** The transport the first request imitates; `auto` by default. */
  transport?: TransportKind;
  /** Timeout of each HTTP request in ms. Default 10 000. */
  timeoutMs?: number;
  /** How long to wait for the authorization response, in ms. Default 300 000. */
  callbackTimeoutMs?: number;
  /** A file that keeps tokens between runs (mode 0600). Tokens stay in memory without it. */
  tokenStore?: string;
  /** A report to append the steps to (one is created otherwise). */
  report?: Report;
  signal?: AbortSignal;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
}

/** Tokens from the token endpoint. `expiresAt` is in seconds since the epoch. */
export interface TokenSet {
  accessToken: string;
  tokenType: string;
  refreshToken?: string;
  idToken?: string;
  /** The granted scope, as the server returned it (or as requested when it did not say). */
  scope?: string;
  /** Seconds since the epoch. */
  expiresAt?: number;
}

const AUTH_METHODS = new Set([
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
]);
const GRANTS = new Set(['authorization_code', 'client_credentials', 'jwt_bearer', 'enterprise']);
const TRANSPORTS = new Set(['auto', 'sse', 'streamable-http']);

/** Validates options up front: a TypeError naming the option. */
export function assertAuthorizeOptions(o: AuthorizeOptions): void {
  if (o === null || typeof o !== 'object') throw new TypeError('options must be an object');
  const fn = (name: keyof AuthorizeOptions): void => {
    if (o[name] !== undefined && typeof o[name] !== 'function') {
      throw new TypeError(`"${name}" must be a function`);
    }
  };
  fn('fetch');
  fn('openBrowser');
  fn('onAuthorizationUrl');
  fn('onWaitForBrowser');
  fn('now');
  const str = (name: keyof AuthorizeOptions): void => {
    const v = o[name];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) {
      throw new TypeError(`"${name}" must be a non-empty string`);
    }
  };
  str('clientId');
  str('clientSecret');
  str('clientMetadataUrl');
  str('clientName');
  str('resource');
  str('tokenStore');
  if (o.scope !== undefined && typeof o.scope !== 'string') {
    throw new TypeError('"scope" must be a string of space-separated scopes');
  }
  if (o.clientSecret !== undefined && o.clientId === undefined) {
    throw new TypeError('"clientSecret" needs "clientId"');
  }
  if (o.tokenEndpointAuth !== undefined && !AUTH_METHODS.has(o.tokenEndpointAuth)) {
    throw new TypeError(
      '"tokenEndpointAuth" must be one of none, client_secret_basic, client_secret_post, private_key_jwt',
    );
  }
  if (o.tokenEndpointAuth === 'private_key_jwt' && o.privateKey === undefined) {
    throw new TypeError('"tokenEndpointAuth" private_key_jwt needs "privateKey"');
  }
  if (
    o.tokenEndpointAuth !== undefined &&
    o.tokenEndpointAuth !== 'none' &&
    o.tokenEndpointAuth !== 'private_key_jwt' &&
    o.clientSecret === undefined
  ) {
    throw new TypeError(`"tokenEndpointAuth" ${o.tokenEndpointAuth} needs "clientSecret"`);
  }
  assertExtensionOptions(o);
  if (o.transport !== undefined && !TRANSPORTS.has(o.transport)) {
    throw new TypeError('"transport" must be one of auto, sse, streamable-http');
  }
  if (
    o.port !== undefined &&
    (!Number.isInteger(o.port) || (o.port as number) < 0 || (o.port as number) > 65535)
  ) {
    throw new TypeError('"port" must be an integer between 0 and 65535');
  }
  if (
    o.redirectHost !== undefined &&
    !(REDIRECT_HOSTS as readonly unknown[]).includes(o.redirectHost)
  ) {
    throw new TypeError('"redirectHost" must be one of localhost, 127.0.0.1, [::1]');
  }
  for (const name of ['timeoutMs', 'callbackTimeoutMs'] as const) {
    const v = o[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) {
      throw new TypeError(`"${name}" must be a positive number of milliseconds`);
    }
  }
  if (
    o.callbackPath !== undefined &&
    (typeof o.callbackPath !== 'string' || !o.callbackPath.startsWith('/'))
  ) {
    throw new TypeError('"callbackPath" must be an absolute path such as /callback');
  }
  if (o.clientMetadataUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(o.clientMetadataUrl);
    } catch {
      throw new TypeError('"clientMetadataUrl" must be an absolute https URL');
    }
    if (url.protocol !== 'https:' || url.pathname === '/') {
      throw new TypeError('"clientMetadataUrl" must be an https URL with a path');
    }
  }
  if (o.authorizationParams !== undefined) {
    if (typeof o.authorizationParams !== 'object' || o.authorizationParams === null) {
      throw new TypeError('"authorizationParams" must be an object of strings');
    }
    for (const [k, v] of Object.entries(o.authorizationParams)) {
      if (typeof v !== 'string') throw new TypeError(`"authorizationParams.${k}" must be a string`);
      if (PROTOCOL_PARAMS.has(k)) {
        throw new TypeError(`"authorizationParams" cannot set ${k}: the client sets it`);
      }
    }
  }
  const allow = o.allowMissingPkceMetadata;
  if (
    allow !== undefined &&
    typeof allow !== 'string' &&
    !(Array.isArray(allow) && allow.every((s) => typeof s === 'string'))
  ) {
    throw new TypeError('"allowMissingPkceMetadata" must be an issuer or a list of issuers');
  }
}

/** Parameters of the authorization request that only the client sets. */
export const PROTOCOL_PARAMS = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'code_challenge',
  'code_challenge_method',
  'resource',
  'scope',
]);

/** The options of the extensions (grants without a browser, private_key_jwt, DPoP). */
function assertExtensionOptions(o: AuthorizeOptions): void {
  for (const name of [
    'privateKey',
    'privateKeyId',
    'assertion',
    'idToken',
    'idpClientId',
    'idpClientSecret',
  ] as const) {
    const v = o[name];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) {
      throw new TypeError(`"${name}" must be a non-empty string`);
    }
  }
  if (o.privateKeyAlg !== undefined && o.privateKeyAlg !== 'ES256' && o.privateKeyAlg !== 'RS256') {
    throw new TypeError('"privateKeyAlg" must be ES256 or RS256');
  }
  if (o.privateKey !== undefined) {
    if (o.clientId === undefined) throw new TypeError('"privateKey" needs "clientId"');
    parsePrivateKeyPem(o.privateKey, o.privateKeyAlg);
  }
  if (o.dpop !== undefined && typeof o.dpop !== 'boolean') {
    throw new TypeError('"dpop" must be a boolean');
  }
  const grant = o.grant ?? 'authorization_code';
  if (!GRANTS.has(grant)) {
    throw new TypeError(
      '"grant" must be one of authorization_code, client_credentials, jwt_bearer, enterprise',
    );
  }
  if (grant !== 'authorization_code' && o.clientId === undefined) {
    throw new TypeError(`"grant" ${grant} needs "clientId" (a pre-registered client)`);
  }
  if (
    grant === 'client_credentials' &&
    o.clientSecret === undefined &&
    o.privateKey === undefined
  ) {
    throw new TypeError('"grant" client_credentials needs "clientSecret" or "privateKey"');
  }
  if (grant === 'jwt_bearer' && o.assertion === undefined) {
    throw new TypeError('"grant" jwt_bearer needs "assertion" (the workload token)');
  }
  if (grant === 'enterprise') {
    if (o.idToken === undefined) throw new TypeError('"grant" enterprise needs "idToken"');
    if (o.idpTokenEndpoint === undefined || !URL.canParse(o.idpTokenEndpoint)) {
      throw new TypeError('"idpTokenEndpoint" must be an absolute URL');
    }
  }
  if (o.idpClientSecret !== undefined && o.idpClientId === undefined) {
    throw new TypeError('"idpClientSecret" needs "idpClientId"');
  }
}
