import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CacheStore } from '@mcp-auth/cache';
import {
  type AuthorizationServerMetadata,
  canonicalizeResourceUri,
  createMetadataHandler,
  createProtectedResourceMetadata,
  discoverAuthorizationServer,
  isLoopbackHost,
  type ProtectedResourceMetadata,
  protectedResourceMetadataUrl,
} from '@mcp-auth/discovery';
import { computeCodeChallenge } from '@mcp-auth/pkce';
import {
  createTokenValidator,
  type TokenValidator,
  type TokenValidatorOptions,
} from '@mcp-auth/validator';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import * as oauth from 'oauth4webapi';
import { SseTransportError } from '../errors.js';
import type { RenderedResponse } from '../internal/http.js';
import type { Logger } from '../internal/logger.js';
import { isScopeToken } from '../internal/message-scopes.js';
import type {
  AuthorizationFlow,
  CallbackOptions,
  CallbackResult,
  SseAuthProvider,
} from '../types.js';
import {
  type FlowKeySource,
  type FlowSecret,
  flowKeySource,
  parseFlowSecrets,
} from './flow-keys.js';
import { type FlowKeys, flowCodeVerifier, mintFlowState, openFlowState } from './flow-state.js';
import { type UsedStates, usedStates } from './used-states.js';

/** Options of {@link OAuthProvider}. */
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

/** How long a browser sign-in may take, from `/oauth/authorize` to the callback. */
const STATE_TTL_SECONDS = 600;
/** How much longer a used state is remembered (instances' clocks may disagree a little). */
const USED_STATE_MARGIN_MS = 5 * 60 * 1000;

function stringList(name: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isScopeToken)) {
    throw new TypeError(`"${name}" must be an array of scope strings`);
  }
  return [...value];
}

function isTypedValidationError(error: unknown): error is {
  code: string;
  requiredScopes?: string[];
  toResponse(o: { resourceMetadata: string; scope?: string[] }): RenderedResponse;
} {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { toResponse?: unknown }).toResponse === 'function'
  );
}

/**
 * OAuth 2.1 for an MCP server: validates bearer tokens of incoming requests (with
 * `@mcp-auth/validator`), publishes the protected resource metadata (with `@mcp-auth/discovery`) and,
 * with a `clientId`, runs the browser authorization code flow with PKCE (`@mcp-auth/pkce`). A pending
 * sign-in is kept with the browser, not on the server: its `state` is authenticated with the flow
 * secret and carries its expiry (10 minutes), and the PKCE verifier is derived from it, so starting
 * a flow stores nothing and a callback can land on any instance sharing the secret. Only successful
 * callbacks record their state (one-time use), in memory or in the shared store.
 *
 * @example
 * ```ts
 * const provider = new OAuthProvider({
 *   authorizationServer: 'https://auth.example.com',
 *   resourceUri: 'https://mcp.example.com/sse',
 *   requiredScopes: ['mcp:tools'],
 *   clientId: 'mcp-web', clientSecret: process.env.CLIENT_SECRET,
 * });
 * const auth = await provider.authenticate(req); // AuthInfo, or throws
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization
 * @see https://www.rfc-editor.org/rfc/rfc9728
 */
export class OAuthProvider implements SseAuthProvider {
  /** The canonical resource URI. */
  readonly resourceUri: string;
  /** Where clients fetch the protected resource metadata (path-suffixed well-known URL). */
  readonly resourceMetadataUrl: string;
  readonly issuer: string;
  readonly clientId: string | undefined;
  readonly callbackPath: string;
  readonly redirectUri: string | undefined;
  readonly requiredScopes: string[];
  /** The underlying validator (e.g. for `requireBearerAuth({ verifier: provider.validator })`). */
  readonly validator: TokenValidator;

  readonly #clientSecret: string | undefined;
  readonly #authorizationScopes: string[];
  readonly #extraParams: Record<string, string>;
  readonly #metadata: ProtectedResourceMetadata;
  readonly #metadataHandler: (req: IncomingMessage, res: ServerResponse) => boolean;
  readonly #flowKeys: FlowKeySource;
  readonly #usedStates: UsedStates;
  readonly #flowBinding: string;
  readonly #allowHttp: boolean;
  readonly #fetch: typeof fetch | undefined;
  readonly #logger: Logger;
  readonly #now: () => number;
  #as: Promise<AuthorizationServerMetadata> | undefined;

  constructor(options: OAuthProviderOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('options must be an object');
    }
    const o = options;
    if (typeof o.authorizationServer !== 'string' || !URL.canParse(o.authorizationServer)) {
      throw new TypeError('"authorizationServer" must be an absolute URL (the issuer)');
    }
    if (typeof o.resourceUri !== 'string' || !URL.canParse(o.resourceUri)) {
      throw new TypeError('"resourceUri" must be an absolute URL');
    }
    this.#allowHttp = o.allowInsecureHttpForLoopback === true;
    this.issuer = o.authorizationServer;
    this.resourceUri = canonicalizeResourceUri(o.resourceUri);
    this.resourceMetadataUrl = protectedResourceMetadataUrl(this.resourceUri);
    this.requiredScopes = stringList('requiredScopes', o.requiredScopes);
    this.#authorizationScopes = o.authorizationScopes
      ? stringList('authorizationScopes', o.authorizationScopes)
      : this.requiredScopes;
    const scopesSupported = o.scopesSupported
      ? stringList('scopesSupported', o.scopesSupported)
      : this.requiredScopes;
    if (
      o.tokenCacheTTL !== undefined &&
      (!Number.isFinite(o.tokenCacheTTL) || o.tokenCacheTTL < 0)
    ) {
      throw new TypeError('"tokenCacheTTL" must be a non-negative number of seconds');
    }
    if (o.clientId !== undefined && (typeof o.clientId !== 'string' || o.clientId === '')) {
      throw new TypeError('"clientId" must be a non-empty string');
    }
    if (o.clientSecret !== undefined) {
      if (typeof o.clientSecret !== 'string' || o.clientSecret === '') {
        throw new TypeError('"clientSecret" must be a non-empty string');
      }
      if (o.clientId === undefined) throw new TypeError('"clientSecret" needs "clientId"');
    }
    this.clientId = o.clientId;
    this.#clientSecret = o.clientSecret;
    this.callbackPath = o.callbackPath ?? '/oauth/callback';
    if (typeof this.callbackPath !== 'string' || !/^\/[^\s?#]*$/.test(this.callbackPath)) {
      throw new TypeError('"callbackPath" must be a path starting with "/"');
    }
    if (o.redirectUri !== undefined) {
      if (typeof o.redirectUri !== 'string' || !URL.canParse(o.redirectUri)) {
        throw new TypeError('"redirectUri" must be an absolute URL');
      }
      const redirect = new URL(o.redirectUri);
      if (redirect.hash !== '' || redirect.search !== '') {
        throw new TypeError('"redirectUri" must have no query and no fragment');
      }
      if (redirect.pathname !== this.callbackPath) {
        throw new TypeError('the path of "redirectUri" must be "callbackPath"');
      }
    }
    const redirectUri =
      o.clientId === undefined
        ? undefined
        : (o.redirectUri ?? new URL(this.callbackPath, this.resourceUri).href);
    if (redirectUri !== undefined) {
      const redirect = new URL(redirectUri);
      if (
        redirect.protocol !== 'https:' &&
        !(this.#allowHttp && isLoopbackHost(redirect.hostname))
      ) {
        throw new TypeError(
          '"redirectUri" must be https (http only for loopback with "allowInsecureHttpForLoopback")',
        );
      }
    }
    this.redirectUri = redirectUri;
    if (
      o.additionalAuthorizationParameters !== undefined &&
      (typeof o.additionalAuthorizationParameters !== 'object' ||
        Object.values(o.additionalAuthorizationParameters).some((v) => typeof v !== 'string'))
    ) {
      throw new TypeError('"additionalAuthorizationParameters" must map names to strings');
    }
    this.#extraParams = { ...o.additionalAuthorizationParameters };
    for (const reserved of [
      'client_id',
      'redirect_uri',
      'response_type',
      'state',
      'code_challenge',
      'code_challenge_method',
      'resource',
    ]) {
      if (reserved in this.#extraParams) {
        throw new TypeError(`"additionalAuthorizationParameters" cannot set "${reserved}"`);
      }
    }
    // Checked before anything (the validator's cache) is created.
    const flowSecrets = parseFlowSecrets(o.flowSecret);
    this.#fetch = o.fetch;
    this.#logger = o.logger ?? {};
    this.#now = o.now ?? Date.now;

    this.#metadata = createProtectedResourceMetadata({
      resource: this.resourceUri,
      authorizationServers: [this.issuer],
      ...(scopesSupported.length > 0 ? { scopesSupported } : {}),
      ...(o.resourceName !== undefined ? { resourceName: o.resourceName } : {}),
      ...(this.#allowHttp ? { allowInsecureHttpForLoopback: true } : {}),
    });
    this.#metadataHandler = createMetadataHandler(this.#metadata);

    const validatorOptions = {
      ...o.validator,
      issuer: this.issuer,
      resource: this.resourceUri,
      requiredScopes: this.requiredScopes,
      cache: {
        ...(o.validator?.cache ?? {}),
        ttlSeconds: o.tokenCacheTTL ?? 300,
        ...(o.cache ? { store: o.cache } : {}),
      },
      ...(o.strictAudienceValidation !== undefined
        ? { strictAudienceValidation: o.strictAudienceValidation }
        : {}),
      ...(o.allowedClientIds !== undefined ? { allowedClientIds: o.allowedClientIds } : {}),
      ...(o.profile !== undefined ? { profile: o.profile } : {}),
      ...(o.customValidator !== undefined ? { customValidator: o.customValidator } : {}),
      ...(this.#allowHttp ? { allowInsecureHttpForLoopback: true } : {}),
      ...(o.fetch ? { fetch: o.fetch } : {}),
      ...(o.now ? { now: o.now } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
    } as TokenValidatorOptions;
    this.validator = createTokenValidator(validatorOptions);

    this.#flowKeys = flowKeySource(flowSecrets, o.cache);
    this.#usedStates = usedStates(o.cache, o.now);
    // What a state is valid for: another issuer, client, redirect URI or resource never accepts it.
    this.#flowBinding = JSON.stringify([
      this.issuer,
      this.clientId ?? null,
      this.redirectUri ?? null,
      this.resourceUri,
    ]);
  }

  /**
   * Validates the request's bearer token (the `Authorization` header only) against the required
   * scopes. Rejects with a `TokenValidationError`; render it with {@link OAuthProvider.getAuthError}.
   *
   * @example
   * ```ts
   * try { req.auth = await provider.authenticate(req); }
   * catch (err) { const { status, headers, body } = provider.getAuthError(err); … }
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
   */
  authenticate(req: IncomingMessage | Request): Promise<AuthInfo> {
    return this.validator.authenticate(req);
  }

  /**
   * Renders a failure of {@link OAuthProvider.authenticate}: status, headers (`WWW-Authenticate`
   * with `resource_metadata` and `scope`, `Retry-After` for 503) and a `{ error, error_description }`
   * body. Unknown errors become 500 `server_error` without details.
   *
   * @example
   * ```ts
   * const { status, headers, body } = provider.getAuthError(err);
   * res.writeHead(status, headers).end(JSON.stringify(body));
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
   * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
   */
  getAuthError(error: unknown): RenderedResponse {
    if (isTypedValidationError(error)) {
      // The challenge names every scope the request needs (MCP: SHOULD), also on a plain 401.
      const scope = error.requiredScopes ?? this.requiredScopes;
      return error.toResponse({
        resourceMetadata: this.resourceMetadataUrl,
        ...(scope.length > 0 ? { scope } : {}),
      });
    }
    this.#logger.error?.('sse-transport: unexpected authentication failure', {
      error: error instanceof Error ? error.name : typeof error,
    });
    return {
      status: 500,
      headers: {},
      body: { error: 'server_error', error_description: 'Authentication failed unexpectedly' },
    };
  }

  /**
   * The RFC 9728 protected resource metadata document of this server.
   *
   * @example
   * ```ts
   * provider.getProtectedResourceMetadata().authorization_servers; // ['https://auth.example.com']
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
   */
  getProtectedResourceMetadata(): ProtectedResourceMetadata {
    return this.#metadata;
  }

  /**
   * Serves the metadata at the path-suffixed and the root well-known URL (public, CORS open).
   * Returns true when it answered the request.
   *
   * @example
   * ```ts
   * http.createServer((req, res) => provider.handleMetadataRequest(req, res) || next(req, res));
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc9728#section-3
   */
  handleMetadataRequest(req: IncomingMessage, res: ServerResponse): boolean {
    return this.#metadataHandler(req, res);
  }

  /**
   * Starts the authorization code flow: PKCE S256 and `resource` in the request (RFC 8707), and a
   * one-time `state` that is authenticated with the flow secret, carries its expiry (10 minutes)
   * and derives the PKCE verifier. Nothing is stored: bind `state` to the browser (an HttpOnly
   * cookie, as the server's `/oauth/authorize` does) and give it back to `handleCallback`.
   *
   * @example
   * ```ts
   * const { authorizationUrl, state } = await provider.startAuthorizationFlow();
   * // set an HttpOnly cookie with `state`, then redirect to authorizationUrl
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc7636#section-4
   * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.1
   */
  async startAuthorizationFlow(redirectUri?: string): Promise<AuthorizationFlow> {
    const clientId = this.#requireClient();
    const redirect = this.#checkRedirect(redirectUri);
    const as = await this.#authorizationServer();
    if (typeof as.authorization_endpoint !== 'string') {
      throw new SseTransportError(
        'ERR_AUTH_SERVER_UNAVAILABLE',
        'The authorization server metadata has no authorization_endpoint',
      );
    }
    const [keys] = await this.#keyring();
    // Rounded up: a flow has at least the full 10 minutes.
    const expiresAt = Math.ceil(this.#now() / 1000) + STATE_TTL_SECONDS;
    const state = mintFlowState(keys!, this.#flowBinding, expiresAt);
    const codeChallenge = await computeCodeChallenge(flowCodeVerifier(keys!, state));
    const url = new URL(as.authorization_endpoint);
    const params = url.searchParams;
    for (const [name, value] of Object.entries(this.#extraParams)) params.set(name, value);
    params.set('response_type', 'code');
    params.set('client_id', clientId);
    params.set('redirect_uri', redirect);
    params.set('code_challenge', codeChallenge);
    params.set('code_challenge_method', 'S256');
    params.set('state', state);
    params.set('resource', this.resourceUri);
    if (this.#authorizationScopes.length > 0) {
      params.set('scope', this.#authorizationScopes.join(' '));
    }
    return { authorizationUrl: url.href, state };
  }

  /**
   * Completes the flow: verifies `state` (minted here for this configuration, not expired, not
   * used by an earlier successful callback), checks the redirect URI and RFC 9207 `iss`, exchanges
   * the code with the derived verifier, `resource` and client authentication, validates the access
   * token, and only then records the state as used (a replay fails with `ERR_STATE_INVALID`).
   *
   * @example
   * ```ts
   * const { tokens, authInfo } = await provider.handleCallback(code, state, undefined, { iss });
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
   * @see https://www.rfc-editor.org/rfc/rfc9207#section-2.4
   */
  async handleCallback(
    code: string,
    state: string,
    redirectUri?: string,
    options: CallbackOptions = {},
  ): Promise<CallbackResult> {
    const clientId = this.#requireClient();
    const redirect = this.#checkRedirect(redirectUri);
    if (typeof state !== 'string' || !/^[A-Za-z0-9_-]{16,256}$/.test(state)) {
      throw new SseTransportError('ERR_CALLBACK_INVALID', 'The callback has no valid state');
    }
    const opened = openFlowState(await this.#keyring(), this.#flowBinding, state);
    const nowMs = this.#now();
    if (opened === undefined || nowMs > opened.expiresAt * 1000) throw stateInvalid();
    // One callback per state at a time in this process; a used state is refused before any
    // request to the authorization server.
    if (!this.#usedStates.claim(state)) throw stateInvalid();
    try {
      let used: boolean;
      try {
        used = await this.#usedStates.isUsed(state);
      } catch (error) {
        throw storeUnavailable('Could not read the used flow states', error);
      }
      if (used) throw stateInvalid();
      const result = await this.#redeem(
        clientId,
        redirect,
        code,
        state,
        flowCodeVerifier(opened.keys, state),
        options,
      );
      try {
        await this.#usedStates.markUsed(
          state,
          opened.expiresAt * 1000 - nowMs + USED_STATE_MARGIN_MS,
        );
      } catch (error) {
        // Fail closed: a state we cannot mark used could be replayed.
        throw storeUnavailable('Could not record the used flow state', error);
      }
      return result;
    } finally {
      this.#usedStates.release(state);
    }
  }

  /** Validates the authorization response, exchanges the code and validates the access token. */
  async #redeem(
    clientId: string,
    redirect: string,
    code: string,
    state: string,
    codeVerifier: string,
    options: CallbackOptions,
  ): Promise<CallbackResult> {
    const as = (await this.#authorizationServer()) as oauth.AuthorizationServer;
    const client: oauth.Client = { client_id: clientId };
    const response = new URLSearchParams({ state });
    if (code) response.set('code', code);
    if (options.iss != null) response.set('iss', options.iss);
    if (options.error != null) response.set('error', options.error);
    if (options.errorDescription != null) {
      response.set('error_description', options.errorDescription);
    }
    let callbackParameters: URLSearchParams;
    try {
      callbackParameters = oauth.validateAuthResponse(as, client, response, state);
    } catch (error) {
      throw this.#authResponseError(error);
    }
    const clientAuth = this.#clientAuth(as);
    let tokens: oauth.TokenEndpointResponse;
    try {
      const tokenResponse = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth,
        callbackParameters,
        redirect,
        codeVerifier,
        {
          additionalParameters: { resource: this.resourceUri },
          ...this.#httpOptions(),
        },
      );
      tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse);
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) {
        throw new SseTransportError(
          'ERR_TOKEN_EXCHANGE_FAILED',
          'The token endpoint refused the code',
          {
            cause: error,
            oauthError: error.error,
            ...(error.error_description ? { oauthErrorDescription: error.error_description } : {}),
          },
        );
      }
      const unreachable =
        error instanceof TypeError || (error as { name?: string })?.name === 'AbortError';
      throw new SseTransportError(
        unreachable ? 'ERR_AUTH_SERVER_UNAVAILABLE' : 'ERR_TOKEN_EXCHANGE_FAILED',
        unreachable
          ? 'The token endpoint cannot be reached'
          : 'The token endpoint answered something unusable',
        { cause: error },
      );
    }
    let authInfo: AuthInfo;
    try {
      authInfo = await this.validator.validate(tokens.access_token);
    } catch (error) {
      const code = (error as { code?: string })?.code;
      if (code === 'ERR_AUTH_SERVER_UNAVAILABLE') {
        throw new SseTransportError(
          'ERR_AUTH_SERVER_UNAVAILABLE',
          'The access token cannot be validated right now',
          { cause: error },
        );
      }
      throw new SseTransportError(
        'ERR_TOKEN_INVALID',
        `The authorization server issued an access token this server does not accept (${code ?? 'unknown'})`,
        { cause: error },
      );
    }
    const result: CallbackResult = {
      tokens: {
        access_token: tokens.access_token,
        token_type: tokens.token_type,
        ...(tokens.expires_in !== undefined ? { expires_in: tokens.expires_in } : {}),
        ...(tokens.refresh_token !== undefined ? { refresh_token: tokens.refresh_token } : {}),
        ...(tokens.scope !== undefined ? { scope: tokens.scope } : {}),
        ...(tokens.id_token !== undefined ? { id_token: tokens.id_token } : {}),
      },
      authInfo,
    };
    return result;
  }

  /** Releases the validator and the caches. */
  async close(): Promise<void> {
    await Promise.allSettled([this.validator.close(), this.#usedStates.close()]);
  }

  /** The flow keys (the first mints); a shared store that cannot be read fails closed. */
  async #keyring(): Promise<readonly FlowKeys[]> {
    try {
      return await this.#flowKeys.keyring();
    } catch (error) {
      throw storeUnavailable('Could not read the flow secret from the store', error);
    }
  }

  #requireClient(): string {
    if (this.clientId === undefined || this.redirectUri === undefined) {
      throw new SseTransportError(
        'ERR_OAUTH_NOT_CONFIGURED',
        'The authorization flow needs "clientId"',
      );
    }
    return this.clientId;
  }

  #checkRedirect(redirectUri: string | undefined): string {
    if (redirectUri === undefined || redirectUri === this.redirectUri) return this.redirectUri!;
    throw new SseTransportError(
      'ERR_REDIRECT_URI_MISMATCH',
      'The redirect URI must be the configured one',
    );
  }

  #httpOptions(): oauth.TokenEndpointRequestOptions {
    const options: oauth.TokenEndpointRequestOptions = {};
    if (this.#fetch) options[oauth.customFetch] = this.#fetch;
    if (this.#allowHttp && isLoopbackHost(new URL(this.issuer).hostname)) {
      options[oauth.allowInsecureRequests] = true;
    }
    options.signal = AbortSignal.timeout(10_000);
    return options;
  }

  #clientAuth(as: oauth.AuthorizationServer): oauth.ClientAuth {
    if (this.#clientSecret === undefined) return oauth.None();
    const methods = as.token_endpoint_auth_methods_supported as string[] | undefined;
    // client_secret_basic is the default of RFC 8414 when the list is absent.
    if (methods === undefined || methods.includes('client_secret_basic')) {
      return oauth.ClientSecretBasic(this.#clientSecret);
    }
    if (methods.includes('client_secret_post')) return oauth.ClientSecretPost(this.#clientSecret);
    return oauth.ClientSecretBasic(this.#clientSecret);
  }

  #authResponseError(error: unknown): SseTransportError {
    if (error instanceof oauth.AuthorizationResponseError) {
      const description = error.error_description;
      return new SseTransportError(
        'ERR_AUTHORIZATION_DENIED',
        'The authorization server refused the request',
        {
          cause: error,
          oauthError: error.error.slice(0, 200),
          ...(description ? { oauthErrorDescription: description.slice(0, 500) } : {}),
        },
      );
    }
    const code = (error as { code?: string })?.code;
    if (code === oauth.INVALID_RESPONSE || code === oauth.JWT_CLAIM_COMPARISON) {
      const message = (error as Error).message ?? '';
      if (message.includes('"iss"')) {
        return new SseTransportError(
          'ERR_ISSUER_MISMATCH',
          'The authorization response "iss" is not the expected issuer (RFC 9207)',
          { cause: error },
        );
      }
    }
    return new SseTransportError('ERR_CALLBACK_INVALID', 'Invalid authorization response', {
      cause: error,
    });
  }

  #authorizationServer(): Promise<AuthorizationServerMetadata> {
    if (this.#as === undefined) {
      const pending = discoverAuthorizationServer(this.issuer, {
        ...(this.#fetch ? { fetch: this.#fetch } : {}),
        ...(this.#allowHttp ? { allowInsecureHttpForLoopback: true } : {}),
      }).then(
        (result) => result.metadata,
        (error: unknown) => {
          // Not cached: the next flow tries again.
          this.#as = undefined;
          this.#logger.warn?.('sse-transport: authorization server discovery failed', {
            code: (error as { code?: string })?.code,
          });
          throw new SseTransportError(
            'ERR_AUTH_SERVER_UNAVAILABLE',
            'The authorization server metadata cannot be fetched',
            { cause: error },
          );
        },
      );
      this.#as = pending;
    }
    return this.#as;
  }
}

function stateInvalid(): SseTransportError {
  return new SseTransportError('ERR_STATE_INVALID', 'Unknown, expired or already used state');
}

function storeUnavailable(message: string, cause: unknown): SseTransportError {
  return new SseTransportError('ERR_STATE_STORE_UNAVAILABLE', message, { cause });
}
