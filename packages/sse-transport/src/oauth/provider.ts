import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  canonicalizeResourceUri,
  createMetadataHandler,
  createProtectedResourceMetadata,
  type ProtectedResourceMetadata,
  protectedResourceMetadataUrl,
} from '@mcp-auth/discovery';
import {
  createTokenValidator,
  type TokenValidator,
  type TokenValidatorOptions,
} from '@mcp-auth/validator';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { SseTransportError } from '../errors.js';
import type { RenderedResponse } from '../internal/http.js';
import type { Logger } from '../internal/logger.js';
import type {
  AuthorizationFlow,
  CallbackOptions,
  CallbackResult,
  SseAuthProvider,
} from '../types.js';
import { BrowserFlow } from './browser-flow.js';
import { flowKeySource, parseFlowSecrets } from './flow-keys.js';
import { type OAuthProviderOptions, resolveFlowSettings, stringList } from './provider-options.js';
import { type AuthServerReadiness, createAuthServerReadiness } from './readiness.js';
import { usedStates } from './used-states.js';

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

  readonly #readiness: () => Promise<AuthServerReadiness>;
  readonly #metadata: ProtectedResourceMetadata;
  readonly #metadataHandler: (req: IncomingMessage, res: ServerResponse) => boolean;
  readonly #logger: Logger;
  /** The browser flow; only with a `clientId`. */
  readonly #flow: BrowserFlow | undefined;

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
    const allowHttp = o.allowInsecureHttpForLoopback === true;
    this.#readiness = createAuthServerReadiness({
      issuer: o.authorizationServer,
      fetch: o.fetch,
      allowHttp,
      now: o.now ?? Date.now,
    });
    this.issuer = o.authorizationServer;
    this.resourceUri = canonicalizeResourceUri(o.resourceUri);
    this.resourceMetadataUrl = protectedResourceMetadataUrl(this.resourceUri);
    this.requiredScopes = stringList('requiredScopes', o.requiredScopes);
    const authorizationScopes = o.authorizationScopes
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
    const flow = resolveFlowSettings(o, this.resourceUri, allowHttp);
    this.clientId = o.clientId;
    this.callbackPath = flow.callbackPath;
    this.redirectUri = flow.redirectUri;
    const { redirectUri, extraParams } = flow;
    // Checked before anything (the validator's cache) is created.
    const flowSecrets = parseFlowSecrets(o.flowSecret);
    this.#logger = o.logger ?? {};

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
      ...(allowHttp ? { allowInsecureHttpForLoopback: true } : {}),
      ...(o.fetch ? { fetch: o.fetch } : {}),
      ...(o.now ? { now: o.now } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
    } as TokenValidatorOptions;
    this.validator = createTokenValidator(validatorOptions);

    // RFC 9728 §2 / RFC 9449: which DPoP algorithms the validator accepts, and whether only
    // DPoP-bound tokens are (the validator's `dpop` option decides).
    const dpop = this.validator.dpop;
    this.#metadata = createProtectedResourceMetadata({
      ...(dpop === undefined
        ? {}
        : {
            dpop_signing_alg_values_supported: [...dpop.algorithms],
            dpop_bound_access_tokens_required: dpop.mode === 'required',
          }),
      resource: this.resourceUri,
      authorizationServers: [this.issuer],
      ...(scopesSupported.length > 0 ? { scopesSupported } : {}),
      ...(o.resourceName !== undefined ? { resourceName: o.resourceName } : {}),
      ...(allowHttp ? { allowInsecureHttpForLoopback: true } : {}),
    });
    this.#metadataHandler = createMetadataHandler(this.#metadata);

    this.#flow =
      o.clientId === undefined || redirectUri === undefined
        ? undefined
        : new BrowserFlow({
            issuer: this.issuer,
            resourceUri: this.resourceUri,
            clientId: o.clientId,
            clientSecret: o.clientSecret,
            redirectUri,
            authorizationScopes,
            extraParams,
            allowHttp,
            fetch: o.fetch,
            logger: this.#logger,
            now: o.now ?? Date.now,
            validator: this.validator,
            flowKeys: flowKeySource(flowSecrets, o.cache),
            usedStates: usedStates(o.cache, o.now),
          });
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
    const flow = this.#requireFlow();
    this.#checkRedirect(redirectUri);
    return flow.start();
  }

  /**
   * Completes the flow: verifies `state` (minted here for this configuration, not expired, not
   * used by an earlier successful callback), checks the redirect URI and RFC 9207 `iss`, exchanges
   * the code with the derived verifier, `resource` and client authentication, validates the access
   * token, and only then records the state as used (a replay fails with `ERR_OAUTH_STATE_INVALID`).
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
    const flow = this.#requireFlow();
    this.#checkRedirect(redirectUri);
    return flow.complete(code, state, options);
  }

  /** Releases the validator and the caches. */
  /**
   * Readiness of the authorization server: `ok` when its metadata and JWKS answer now, `cached`
   * when they do not but answered within the JWKS cache life (5 minutes), `down` otherwise. At
   * most one check every 10 seconds.
   *
   * @example
   * ```ts
   * if ((await provider.checkReadiness()) === 'down') res.writeHead(503);
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
   */
  checkReadiness(): Promise<AuthServerReadiness> {
    return this.#readiness();
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.validator.close(), this.#flow?.close()]);
  }

  #requireFlow(): BrowserFlow {
    if (this.#flow === undefined) {
      throw new SseTransportError(
        'ERR_OAUTH_NOT_CONFIGURED',
        'The authorization flow needs "clientId"',
      );
    }
    return this.#flow;
  }

  #checkRedirect(redirectUri: string | undefined): void {
    if (redirectUri === undefined || redirectUri === this.redirectUri) return;
    throw new SseTransportError(
      'ERR_OAUTH_REDIRECT_URI_MISMATCH',
      'The redirect URI must be the configured one',
    );
  }
}
