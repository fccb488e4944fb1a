import {
  type AuthorizationServerMetadata,
  canonicalizeResourceUri,
  discoverAuthorizationServer,
  fetchProtectedResourceMetadata,
  isDiscoveryError,
} from '@mcp-auth/discovery';
import { createPkcePair, generateState } from '@mcp-auth/pkce';
import * as oauth from 'oauth4webapi';
import { isTestClientError, TestClientError } from '../errors.js';
import { openSystemBrowser } from '../open-browser.js';
import {
  type AuthorizeOptions,
  assertAuthorizeOptions,
  type TokenEndpointAuthMethod,
  type TokenSet,
} from '../options.js';
import { type RedirectListener, startRedirectListener } from '../redirect-listener.js';
import { Report, type StepContext } from '../report.js';
import { parseScope, type ScopeSource, selectScope, unionScopes } from '../scope.js';
import { FileTokenStore } from '../token-store.js';
import { assertUrlAllowed, isLoopbackHttp } from '../url-policy.js';
import { clientAuth } from './client-auth.js';
import {
  type BearerChallenge,
  bearerChallenge,
  CookieJar,
  type FetchLike,
  isRedirectTo,
  networkReason,
  type ProbeKind,
  type ProbeResponse,
  probe,
  snippet,
  WRONG_TRANSPORT_STATUSES,
} from './http.js';
import { processRegistrationResponse, type RegisteredClient } from './registration.js';
import type { ClientIdentity, ClientSource, DiscoveredMetadata } from './types.js';

/** At most this many authorization attempts in one session (initial + re-authorizations). */
export const MAX_AUTHORIZATION_ATTEMPTS = 3;
const MAX_REDIRECT_HOPS = 20;
const MAX_PAGE_BYTES = 64 * 1024;
const MAX_OAUTH_RESPONSE_BYTES = 1024 * 1024;

export type { ClientIdentity, ClientSource, DiscoveredMetadata } from './types.js';

/**
 * One run of the MCP authorization flow against one server: discovery, client identity, the
 * authorization code flow with PKCE, and the re-authorizations a 401 or a 403 `insufficient_scope`
 * calls for (at most {@link MAX_AUTHORIZATION_ATTEMPTS} in all).
 */
export class AuthSession {
  readonly serverUrl: string;
  readonly options: AuthorizeOptions;
  readonly report: Report;
  readonly fetchImpl: FetchLike;
  readonly timeoutMs: number;

  tokens: TokenSet | undefined;
  /** The scopes asked for in the last authorization request. */
  scopes: string[] = [];
  attempts = 0;
  metadata: DiscoveredMetadata | undefined;
  client: ClientIdentity | undefined;
  /** The first probe's response. */
  probeResult: ProbeResponse | undefined;
  /** The error that ended the session, when a transport swallowed it. */
  terminalError: unknown;

  #listener: RedirectListener | undefined;
  #inflight: Promise<void> | undefined;
  #lastChallenge: BearerChallenge | undefined;
  #refreshedTokens = new Set<string>();
  #store: FileTokenStore | undefined;
  #insecure = false;
  /** The client the current tokens were issued to (refreshes and the token store use it). */
  #tokenClient: ClientIdentity | undefined;

  constructor(serverUrl: string | URL, options: AuthorizeOptions = {}) {
    assertAuthorizeOptions(options);
    this.options = options;
    this.report = options.report ?? new Report(options.now ? { now: options.now } : {});
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const url = assertUrlAllowed(serverUrl, 'server URL', { allowHttp: options.allowHttp });
    if (url.hash) throw new TypeError('"serverUrl" must not contain a fragment');
    this.serverUrl = url.href;
    this.#insecure = url.protocol === 'http:';
    if (options.tokenStore) this.#store = new FileTokenStore(options.tokenStore);
    this.report.secret(options.clientSecret);
  }

  get now(): number {
    return (this.options.now ?? Date.now)();
  }

  get redirectUri(): string | undefined {
    return this.#listener?.redirectUri;
  }

  /** The last `WWW-Authenticate` Bearer challenge received. */
  get lastChallenge(): BearerChallenge | undefined {
    return this.#lastChallenge;
  }

  #attemptSuffix(): string {
    return this.attempts > 1 ? ` (attempt ${this.attempts})` : '';
  }

  /** The kinds of first request to make, in order, for the configured transport. */
  probeKinds(): ProbeKind[] {
    const transport = this.options.transport ?? 'auto';
    return transport === 'sse'
      ? ['get']
      : transport === 'streamable-http'
        ? ['post']
        : ['post', 'get'];
  }

  /** Step 1: a request without a token. Returns the response that ended the probing. */
  async probe(options: { requireChallenge: boolean }): Promise<ProbeResponse> {
    const kinds = this.probeKinds();
    return this.report.step('probe', 'Request without a token', async (s) => {
      let last: ProbeResponse | undefined;
      for (const [i, kind] of kinds.entries()) {
        s.sent(
          `${kind === 'post' ? 'POST' : 'GET'} ${this.serverUrl}${kind === 'post' ? ' (initialize)' : ' (Accept: text/event-stream)'}`,
        );
        last = await probe(this.serverUrl, kind, {
          fetch: this.fetchImpl,
          timeoutMs: this.timeoutMs,
          ...(this.options.signal ? { signal: this.options.signal } : {}),
        });
        const wwwAuth = last.headers.get('www-authenticate');
        s.received(`${last.status}${wwwAuth ? ` WWW-Authenticate: ${wwwAuth}` : ''}`);
        if (last.status === 401) break;
        if (i < kinds.length - 1 && WRONG_TRANSPORT_STATUSES.has(last.status)) {
          s.note(`${last.status} to ${last.method}: trying the SSE transport's GET`);
          continue;
        }
        break;
      }
      const result = last!;
      this.probeResult = result;
      if (result.status === 401) {
        if (result.challenge) {
          this.#lastChallenge = result.challenge;
          if (!result.challenge.params.resource_metadata) {
            s.note('the challenge has no resource_metadata: falling back to the well-known URLs');
          }
        } else {
          s.note('401 without a Bearer challenge: falling back to the well-known URLs');
        }
        return result;
      }
      if (result.status >= 200 && result.status < 300 && !options.requireChallenge) {
        s.note(
          `${result.status}: the server lets this request through without a token; a 401 is handled when one comes`,
        );
        return result;
      }
      if (result.status >= 200 && result.status < 300) {
        s.note(
          `${result.status}: the server lets this request through without a token; discovering from the well-known URLs`,
        );
        return result;
      }
      throw new TestClientError(
        'ERR_UNEXPECTED_STATUS',
        `Expected 401 to a request without a token, got ${result.status}${
          WRONG_TRANSPORT_STATUSES.has(result.status) && kinds.length === 1
            ? ' (this endpoint may not speak this transport: try --transport auto)'
            : ''
        }`,
        { url: this.serverUrl, status: result.status },
      );
    });
  }

  /** Steps 2 and 3: protected resource metadata, then authorization server metadata. */
  async discover(challenge: BearerChallenge | undefined): Promise<DiscoveredMetadata> {
    if (this.metadata) return this.metadata;
    const allowLoopback = { allowInsecureHttpForLoopback: true } as const;
    const prm = await this.report.step(
      'resource_metadata',
      'Protected resource metadata',
      async (s) => {
        const fromChallenge = challenge?.params.resource_metadata;
        if (fromChallenge) {
          assertUrlAllowed(fromChallenge, 'resource_metadata URL', {
            allowHttp: this.options.allowHttp,
          });
        }
        try {
          const result = await fetchProtectedResourceMetadata(this.serverUrl, {
            ...(fromChallenge ? { resourceMetadataUrl: fromChallenge } : {}),
            fetch: this.fetchImpl,
            timeoutMs: this.timeoutMs,
            ...allowLoopback,
          });
          for (const url of result.tried) s.sent(`GET ${url}`);
          const m = result.metadata;
          s.received(
            `resource=${m.resource}, authorization_servers=${JSON.stringify(m.authorization_servers)}${
              m.scopes_supported ? `, scopes_supported=${JSON.stringify(m.scopes_supported)}` : ''
            }`,
          );
          return result;
        } catch (err) {
          throw wrapDiscoveryError(err, s);
        }
      },
    );

    const servers = prm.metadata.authorization_servers;
    const issuer = servers[0];
    if (!issuer) {
      throw new TestClientError(
        'ERR_RESOURCE_METADATA',
        'The protected resource metadata lists no authorization server',
        { url: prm.url },
      );
    }
    const as = await this.report.step(
      'authorization_server',
      'Authorization server metadata',
      async (s) => {
        if (servers.length > 1)
          s.note(`using the first of ${servers.length} authorization servers`);
        assertUrlAllowed(issuer, 'authorization server issuer', {
          allowHttp: this.options.allowHttp,
        });
        const allowList = toList(this.options.allowMissingPkceMetadata);
        const override = allowList.includes(issuer);
        let result: Awaited<ReturnType<typeof discoverAuthorizationServer>>;
        try {
          result = await discoverAuthorizationServer(issuer, {
            fetch: this.fetchImpl,
            timeoutMs: this.timeoutMs,
            requirePkceS256: true,
            // A test run reports what the server serves now: no process-wide cache.
            cache: false,
            ...(override ? { allowMissingPkceMetadata: true } : {}),
            ...allowLoopback,
          });
        } catch (err) {
          for (const url of (err as { tried?: string[] }).tried ?? []) s.sent(`GET ${url}`);
          throw wrapDiscoveryError(err, s, issuer);
        }
        for (const url of result.tried) s.sent(`GET ${url}`);
        const m = result.metadata;
        s.received(
          `issuer=${m.issuer} (${result.flavour}), code_challenge_methods_supported=${JSON.stringify(
            m.code_challenge_methods_supported ?? null,
          )}${m.registration_endpoint ? ', registration_endpoint' : ''}${
            m.client_id_metadata_document_supported ? ', client_id_metadata_document_supported' : ''
          }`,
        );
        if (!m.code_challenge_methods_supported) {
          s.note(
            `metadata lacks code_challenge_methods_supported: S256 assumed for ${issuer} (explicit override)`,
          );
        }
        for (const field of ['authorization_endpoint', 'token_endpoint'] as const) {
          const value = m[field];
          if (typeof value !== 'string') {
            throw new TestClientError(
              'ERR_AUTHORIZATION_SERVER_METADATA',
              `The authorization server metadata has no ${field}`,
              { url: result.url },
            );
          }
          assertUrlAllowed(value, field, { allowHttp: this.options.allowHttp });
        }
        if (typeof m.registration_endpoint === 'string') {
          assertUrlAllowed(m.registration_endpoint, 'registration_endpoint', {
            allowHttp: this.options.allowHttp,
          });
        }
        return result;
      },
    );

    const resource = canonicalizeResourceUri(this.options.resource ?? prm.metadata.resource);
    this.metadata = {
      resource,
      protectedResource: prm.metadata,
      protectedResourceMetadataUrl: prm.url,
      authorizationServer: as.metadata,
      authorizationServerMetadataUrl: as.url,
    };
    return this.metadata;
  }

  #oauthAs(): oauth.AuthorizationServer {
    return this.metadata!.authorizationServer as unknown as oauth.AuthorizationServer;
  }

  #requestOptions(url: string | undefined): {
    [oauth.customFetch]: typeof fetch;
    [oauth.allowInsecureRequests]: boolean;
    signal: () => AbortSignal;
  } {
    const insecure = url ? new URL(url).protocol === 'http:' : this.#insecure;
    return {
      // Token and registration responses are small: a hostile server cannot make us buffer more.
      [oauth.customFetch]: ((input: string, init: RequestInit) =>
        this.fetchImpl(input, init).then((r) =>
          limitBody(r, MAX_OAUTH_RESPONSE_BYTES),
        )) as typeof fetch,
      [oauth.allowInsecureRequests]: insecure,
      signal: () => AbortSignal.timeout(this.timeoutMs),
    };
  }

  async #ensureListener(): Promise<RedirectListener> {
    if (!this.#listener) {
      this.#listener = await startRedirectListener({
        port: this.options.port ?? 0,
        path: this.options.callbackPath ?? '/callback',
        host: this.options.redirectHost ?? '127.0.0.1',
      });
    }
    return this.#listener;
  }

  /** Step 4: the client identity. */
  async ensureClient(): Promise<ClientIdentity> {
    if (this.client) return this.client;
    const listener = await this.#ensureListener();
    const as = this.metadata!.authorizationServer;
    const o = this.options;
    this.client = await this.report.step('client', 'Client identity', async (s) => {
      if (o.clientId) {
        const method = o.tokenEndpointAuth ?? chooseAuthMethod(as, o.clientSecret !== undefined);
        s.note(`pre-registered client ${o.clientId}, token endpoint auth ${method}`);
        return {
          clientId: o.clientId,
          ...(o.clientSecret ? { clientSecret: o.clientSecret } : {}),
          tokenEndpointAuthMethod: method,
          source: 'pre-registered' as const,
        };
      }
      if (o.clientMetadataUrl && as.client_id_metadata_document_supported === true) {
        s.note(`client id metadata document ${o.clientMetadataUrl}`);
        return {
          clientId: o.clientMetadataUrl,
          tokenEndpointAuthMethod: 'none' as const,
          source: 'metadata-document' as const,
        };
      }
      if (o.clientMetadataUrl) {
        s.note('the authorization server does not advertise client_id_metadata_document_supported');
      }
      if (typeof as.registration_endpoint === 'string') {
        const metadata = {
          client_name: o.clientName ?? 'mcp-auth-test-client',
          redirect_uris: [listener.redirectUri],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
          application_type: 'native',
        };
        s.sent(`POST ${as.registration_endpoint} ${JSON.stringify(metadata)}`);
        let registered: RegisteredClient;
        try {
          const response = await oauth.dynamicClientRegistrationRequest(
            this.#oauthAs(),
            metadata,
            this.#requestOptions(as.registration_endpoint),
          );
          s.received(`${response.status}`);
          registered = await processRegistrationResponse(response, Math.floor(this.now / 1000));
        } catch (err) {
          throw oauthFailure(
            'ERR_REGISTRATION_FAILED',
            'Dynamic client registration failed',
            err,
            as.registration_endpoint,
          );
        }
        const secret = registered.clientSecret;
        this.report.secret(secret);
        this.report.secret(registered.registrationAccessToken);
        const method = registered.tokenEndpointAuthMethod;
        s.received(
          `client_id=${registered.clientId}, token_endpoint_auth_method=${method}${
            secret
              ? registered.clientSecretExpiresAt === 0
                ? ', client_secret (does not expire)'
                : `, client_secret (expires ${new Date(registered.clientSecretExpiresAt * 1000).toISOString()})`
              : ''
          }`,
        );
        return {
          clientId: registered.clientId,
          ...(secret ? { clientSecret: secret } : {}),
          tokenEndpointAuthMethod: method,
          source: 'dynamic-registration' as const,
        };
      }
      throw new TestClientError(
        'ERR_NO_CLIENT_IDENTITY',
        `The authorization server ${as.issuer} has no registration_endpoint${
          as.client_id_metadata_document_supported
            ? ''
            : ' and does not support Client ID Metadata Documents'
        }: pass --client-id (and --client-secret for a confidential client)${
          as.client_id_metadata_document_supported ? ', or --client-metadata-url' : ''
        }`,
      );
    });
    return this.client;
  }

  /**
   * Steps 5 to 8: scope, authorization request, authorization response, token request. Counts as one
   * authorization attempt.
   */
  async authorizeOnce(input: {
    challengeScope?: string | undefined;
    addScopes?: string[];
  }): Promise<TokenSet> {
    if (this.attempts >= MAX_AUTHORIZATION_ATTEMPTS) {
      throw new TestClientError(
        'ERR_TOO_MANY_ATTEMPTS',
        `Gave up after ${MAX_AUTHORIZATION_ATTEMPTS} authorization attempts`,
      );
    }
    this.attempts++;
    const metadata = this.metadata!;
    const as = metadata.authorizationServer;
    const listener = await this.#ensureListener();
    const client = await this.ensureClient();
    const suffix = this.#attemptSuffix();

    const scopes = await this.report.step('scope', `Scope${suffix}`, (s) => {
      let chosen: { scopes: string[]; source: ScopeSource | 'union' };
      if (input.addScopes) {
        chosen = { scopes: unionScopes(this.scopes, input.addScopes), source: 'union' };
      } else {
        // A token for another resource (--other-resource) takes only the scope asked for explicitly:
        // the server's challenge and metadata describe the server, not that resource.
        const foreign = this.options.resource !== undefined;
        chosen = selectScope({
          option: this.options.scope,
          challenge: foreign ? undefined : input.challengeScope,
          scopesSupported: foreign ? undefined : metadata.protectedResource.scopes_supported,
        });
      }
      const label = {
        option: '--scope',
        challenge: "the challenge's scope",
        scopes_supported: 'scopes_supported of the resource metadata',
        none: 'none: the scope parameter is omitted',
        union: 'the union of the scopes asked before and the scopes the 403 requires',
      }[chosen.source];
      s.note(chosen.scopes.length > 0 ? `${chosen.scopes.join(' ')} (from ${label})` : label);
      return chosen.scopes;
    });
    this.scopes = scopes;

    const pkce = await createPkcePair();
    const state = generateState();
    this.report.secret(pkce.codeVerifier);
    const authUrl = new URL(as.authorization_endpoint!);
    const params: Record<string, string> = {
      ...(this.options.authorizationParams ?? {}),
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: listener.redirectUri,
      code_challenge: pkce.codeChallenge,
      code_challenge_method: 'S256',
      state,
      resource: metadata.resource,
    };
    if (scopes.length > 0) params.scope = scopes.join(' ');
    for (const [k, v] of Object.entries(params)) authUrl.searchParams.set(k, v);

    const callback = listener.expect({
      state,
      issuer: as.issuer,
      requireIss: as.authorization_response_iss_parameter_supported === true,
      timeoutMs: this.options.callbackTimeoutMs ?? 300_000,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    });
    // Avoid an unhandled rejection while the request step runs; the response step awaits it.
    callback.catch(() => {});

    let viaNonInteractive = false;
    await this.report
      .step('authorization_request', `Authorization request${suffix}`, async (s) => {
        s.sent(`GET ${authUrl.href}`);
        s.note(`PKCE S256, state, resource=${metadata.resource}`);
        this.options.onAuthorizationUrl?.(authUrl.href);
        if (this.options.nonInteractive) {
          viaNonInteractive = true;
          const location = await this.#followAuthorizationUrl(
            authUrl.href,
            listener.redirectUri,
            s,
          );
          // Deliver the response to our own listener, exactly as a browser would.
          const delivered = await this.fetchImpl(location, { redirect: 'manual' });
          await delivered.body?.cancel().catch(() => {});
        } else if (this.options.open) {
          const open = this.options.openBrowser ?? openSystemBrowser;
          try {
            await open(authUrl.href);
            s.note('opened in the browser');
          } catch (err) {
            // The URL is printed: a person can still open it by hand, so keep waiting.
            s.note(
              `could not open the browser (${err instanceof Error ? err.message : String(err)}): open the URL yourself`,
            );
          }
        } else {
          s.note('open the URL above in a browser');
        }
      })
      .catch(async (err) => {
        // A failure in this step leaves the listener waiting: release it.
        await listener.close().catch(() => {});
        this.#listener = undefined;
        throw err;
      });

    const result = await this.report.step(
      'authorization_response',
      `Authorization response${suffix}`,
      async (s) => {
        const stop = viaNonInteractive ? undefined : this.options.onWaitForBrowser?.();
        try {
          const r = await callback;
          this.report.secret(r.code);
          s.received(
            `code=${r.code}, state matches${r.iss !== undefined ? `, iss=${r.iss} matches` : ', no iss'}`,
          );
          return r;
        } finally {
          stop?.();
        }
      },
    );

    return this.report.step('token', `Token request${suffix}`, async (s) => {
      const oauthClient: oauth.Client = { client_id: client.clientId };
      const auth = clientAuth(client);
      s.sent(
        `POST ${as.token_endpoint} grant_type=authorization_code, code, code_verifier, redirect_uri=${listener.redirectUri}, resource=${metadata.resource}, client auth ${client.tokenEndpointAuthMethod}`,
      );
      let response: oauth.TokenEndpointResponse;
      try {
        const params = oauth.validateAuthResponse(
          this.#oauthAs(),
          oauthClient,
          result.params,
          state,
        );
        const res = await oauth.authorizationCodeGrantRequest(
          this.#oauthAs(),
          oauthClient,
          auth,
          params,
          listener.redirectUri,
          pkce.codeVerifier,
          {
            additionalParameters: { resource: metadata.resource },
            ...this.#requestOptions(as.token_endpoint),
          },
        );
        s.received(`${res.status}`);
        response = await oauth.processAuthorizationCodeResponse(this.#oauthAs(), oauthClient, res);
      } catch (err) {
        throw oauthFailure(
          'ERR_TOKEN_REQUEST_FAILED',
          'The token request failed',
          err,
          as.token_endpoint,
        );
      }
      const tokens = this.#acceptTokens(response, s, scopes);
      this.#tokenClient = client;
      await this.#save();
      return tokens;
    });
  }

  #acceptTokens(
    response: oauth.TokenEndpointResponse,
    s: StepContext,
    requested: string[],
  ): TokenSet {
    this.report.secret(response.access_token);
    this.report.secret(response.refresh_token);
    this.report.secret(response.id_token);
    const tokens: TokenSet = {
      accessToken: response.access_token,
      tokenType: response.token_type,
      ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
      ...(response.id_token ? { idToken: response.id_token } : {}),
      ...(response.scope !== undefined
        ? { scope: response.scope }
        : requested.length > 0
          ? { scope: requested.join(' ') }
          : {}),
      ...(typeof response.expires_in === 'number'
        ? { expiresAt: Math.floor(this.now / 1000) + response.expires_in }
        : {}),
    };
    if (tokens.tokenType.toLowerCase() !== 'bearer') {
      throw new TestClientError(
        'ERR_TOKEN_REQUEST_FAILED',
        `The token endpoint issued a ${tokens.tokenType} token; this client speaks Bearer only`,
      );
    }
    s.received(
      [
        `access_token=${response.access_token}`,
        `token_type=${response.token_type}`,
        response.expires_in !== undefined ? `expires_in=${response.expires_in}` : undefined,
        response.scope !== undefined ? `scope=${response.scope}` : undefined,
        response.refresh_token ? `refresh_token=${response.refresh_token}` : undefined,
      ]
        .filter(Boolean)
        .join(', '),
    );
    const granted = parseScope(response.scope);
    const missing =
      response.scope !== undefined ? requested.filter((x) => !granted.includes(x)) : [];
    if (missing.length > 0) s.note(`not granted: ${missing.join(' ')}`);
    this.tokens = tokens;
    return tokens;
  }

  /** Step 8b: a refresh token grant with `resource`. */
  async refresh(options: { required: boolean }): Promise<TokenSet> {
    const metadata = this.metadata!;
    const as = metadata.authorizationServer;
    const client = this.#tokenClient ?? this.client!;
    return this.report.step('refresh', 'Refresh token request', async (s) => {
      const refreshToken = this.tokens?.refreshToken;
      if (!refreshToken) {
        if (!options.required) {
          s.skip('no refresh_token was issued');
          return this.tokens!;
        }
        throw new TestClientError(
          'ERR_NO_REFRESH_TOKEN',
          'The token response has no refresh_token: allow the refresh_token grant for this client (some servers need the offline_access scope)',
        );
      }
      this.#refreshedTokens.add(refreshToken);
      s.sent(
        `POST ${as.token_endpoint} grant_type=refresh_token, refresh_token=${refreshToken}, resource=${metadata.resource}`,
      );
      const oauthClient: oauth.Client = { client_id: client.clientId };
      let response: oauth.TokenEndpointResponse;
      try {
        const res = await oauth.refreshTokenGrantRequest(
          this.#oauthAs(),
          oauthClient,
          clientAuth(client),
          refreshToken,
          {
            additionalParameters: { resource: metadata.resource },
            ...this.#requestOptions(as.token_endpoint),
          },
        );
        s.received(`${res.status}`);
        response = await oauth.processRefreshTokenResponse(this.#oauthAs(), oauthClient, res);
      } catch (err) {
        throw oauthFailure(
          'ERR_REFRESH_FAILED',
          'The refresh token request failed',
          err,
          as.token_endpoint,
        );
      }
      const previous = this.tokens!;
      const tokens = this.#acceptTokens(response, s, parseScope(previous.scope));
      // A server that does not rotate refresh tokens keeps the old one valid.
      if (!tokens.refreshToken && previous.refreshToken) {
        tokens.refreshToken = previous.refreshToken;
        this.tokens = tokens;
      }
      await this.#save();
      return tokens;
    });
  }

  /** Reuses tokens from the token store when they are still valid (or can be refreshed). */
  async loadStoredTokens(): Promise<TokenSet | undefined> {
    if (!this.#store || !this.metadata) return undefined;
    const store = this.#store;
    const metadata = this.metadata;
    return this.report.step('token_store', 'Token store', async (s) => {
      const entry = await store.get(metadata.resource);
      if (!entry || entry.issuer !== metadata.authorizationServer.issuer) {
        s.skip(`no stored token for ${metadata.resource} in ${store.path}`);
        return undefined;
      }
      this.report.secret(entry.tokens.accessToken);
      this.report.secret(entry.tokens.refreshToken);
      this.report.secret(entry.clientSecret);
      const nowSeconds = Math.floor(this.now / 1000);
      const fresh =
        entry.tokens.expiresAt === undefined || entry.tokens.expiresAt > nowSeconds + 30;
      this.#tokenClient = {
        clientId: entry.clientId,
        ...(entry.clientSecret ? { clientSecret: entry.clientSecret } : {}),
        tokenEndpointAuthMethod:
          (entry.tokenEndpointAuthMethod as TokenEndpointAuthMethod) ?? 'none',
        source: (entry.clientSource as ClientSource) ?? 'pre-registered',
      };
      this.tokens = { ...entry.tokens };
      this.scopes = parseScope(entry.tokens.scope);
      if (fresh) {
        s.received(`access_token=${entry.tokens.accessToken} for ${metadata.resource}`);
        return this.tokens;
      }
      if (entry.tokens.refreshToken) {
        s.note('the stored access token has expired: refreshing');
        return undefined;
      }
      this.tokens = undefined;
      this.#tokenClient = undefined;
      s.skip('the stored access token has expired and there is no refresh token');
      return undefined;
    });
  }

  async #save(): Promise<void> {
    const client = this.#tokenClient;
    if (!this.#store || !this.tokens || !this.metadata || !client) return;
    await this.#store.set({
      resource: this.metadata.resource,
      issuer: this.metadata.authorizationServer.issuer,
      clientId: client.clientId,
      ...(client.clientSecret ? { clientSecret: client.clientSecret } : {}),
      tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
      clientSource: client.source,
      tokens: this.tokens,
      savedAt: this.now,
    });
  }

  /**
   * Follows the authorization URL with plain GET requests (cookies kept, redirects followed by hand)
   * until a `Location` points at our redirect URI; returns that Location.
   */
  async #followAuthorizationUrl(
    start: string,
    redirectUri: string,
    s: StepContext,
  ): Promise<string> {
    const jar = new CookieJar();
    let url = start;
    for (let hop = 0; hop < MAX_REDIRECT_HOPS; hop++) {
      const headers = new Headers({ Accept: 'text/html' });
      const cookie = jar.header(url);
      if (cookie) headers.set('Cookie', cookie);
      let res: Response;
      try {
        res = await this.fetchImpl(url, {
          method: 'GET',
          headers,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        throw new TestClientError(
          'ERR_REQUEST_FAILED',
          `GET ${url} failed: ${networkReason(err)}`,
          {
            url,
            cause: err,
          },
        );
      }
      jar.store(url, res.headers);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel().catch(() => {});
        const next = new URL(location, url);
        if (isRedirectTo(next, redirectUri)) {
          // The code is known from here on: register it before anything records it.
          this.#registerResponseSecrets(next);
          s.received(`${res.status} Location: ${next.href}`);
          return next.href;
        }
        if (hop > 0) s.note(`redirect to ${next.origin}${next.pathname}`);
        assertUrlAllowed(next, 'redirect', { allowHttp: this.options.allowHttp });
        url = next.href;
        continue;
      }
      const body = await readLimited(res, MAX_PAGE_BYTES);
      s.received(`${res.status} ${res.headers.get('content-type') ?? ''}`.trim());
      if (res.status >= 200 && res.status < 300) {
        throw new TestClientError(
          'ERR_INTERACTION_REQUIRED',
          `The authorization server answered with a page (${snippet(stripTags(body), 120)}) instead of redirecting back: it needs a person; run without --non-interactive (and with --open)`,
          { url, status: res.status },
        );
      }
      throw new TestClientError(
        'ERR_AUTHORIZATION_ERROR',
        `The authorization server refused the authorization request with ${res.status}: ${snippet(stripTags(body), 200)}`,
        { url, status: res.status },
      );
    }
    throw new TestClientError(
      'ERR_AUTHORIZATION_ERROR',
      `More than ${MAX_REDIRECT_HOPS} redirects without reaching the redirect URI`,
      { url },
    );
  }

  /**
   * Reacts to a 401 or 403 received with `tokenUsed` (undefined when the request had none):
   * refreshes or re-authorizes. Concurrent calls share one re-authorization. Throws when the session
   * gives up.
   */
  async handleChallenge(
    status: number,
    challenge: BearerChallenge | undefined,
    tokenUsed: string | undefined,
    where: string,
  ): Promise<void> {
    if (this.#inflight) {
      await this.#inflight;
      return;
    }
    // Another request already replaced the token this one used: just retry.
    if (this.tokens?.accessToken !== tokenUsed) return;
    const task = this.#handle(status, challenge, tokenUsed, where);
    this.#inflight = task;
    try {
      await task;
    } finally {
      this.#inflight = undefined;
    }
  }

  async #handle(
    status: number,
    challenge: BearerChallenge | undefined,
    tokenUsed: string | undefined,
    where: string,
  ): Promise<void> {
    if (challenge) this.#lastChallenge = challenge;
    const error = challenge?.params.error;
    const required = parseScope(challenge?.params.scope);
    const exhausted = this.attempts >= MAX_AUTHORIZATION_ATTEMPTS;
    const canRefresh =
      status === 401 &&
      tokenUsed !== undefined &&
      this.tokens?.refreshToken !== undefined &&
      this.#tokenClient !== undefined &&
      this.metadata !== undefined &&
      !this.#refreshedTokens.has(this.tokens.refreshToken);
    await this.report.step('challenge', `${status} on ${where}`, (s) => {
      s.received(`${status}${challenge ? ` WWW-Authenticate: ${challenge.raw}` : ''}`);
      if (status === 403) {
        if (exhausted) {
          throw new TestClientError(
            'ERR_TOO_MANY_ATTEMPTS',
            `Still 403 insufficient_scope${required.length ? ` (scope="${required.join(' ')}")` : ''} after ${MAX_AUTHORIZATION_ATTEMPTS} authorization attempts: giving up`,
            { status, oauthError: 'insufficient_scope' },
          );
        }
        s.note(
          `insufficient_scope: re-authorizing with ${unionScopes(this.scopes, required).join(' ') || 'the same scopes'}`,
        );
        return;
      }
      if (canRefresh) {
        s.note(`${error ? `error=${error}: ` : ''}refreshing the access token`);
        return;
      }
      if (exhausted) {
        throw new TestClientError(
          'ERR_TOO_MANY_ATTEMPTS',
          `Still 401${error ? ` (${error})` : ''} after ${MAX_AUTHORIZATION_ATTEMPTS} authorization attempts: giving up`,
          { status, ...(error ? { oauthError: error } : {}) },
        );
      }
      s.note(
        tokenUsed
          ? `the token was refused${error ? ` (${error})` : ''}: re-authorizing`
          : 'authorizing',
      );
    });
    if (status === 403) {
      await this.discover(challenge);
      await this.authorizeOnce({ addScopes: required });
      return;
    }
    if (canRefresh) {
      try {
        await this.refresh({ required: true });
        return;
      } catch {
        // fall through to a new authorization
      }
    }
    await this.discover(challenge);
    await this.authorizeOnce({ challengeScope: challenge?.params.scope });
  }

  /**
   * `fetch` for the SDK transports: adds the access token, and on a 401 or a 403
   * `insufficient_scope` from the MCP server re-authorizes (or refreshes) and retries the request.
   */
  readonly transportFetch = async (
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const sameOrigin = new URL(url).origin === new URL(this.serverUrl).origin;
    for (;;) {
      const headers = new Headers(init?.headers);
      const token = this.tokens?.accessToken;
      if (token && sameOrigin) headers.set('Authorization', `Bearer ${token}`);
      const response = await this.fetchImpl(input instanceof Request ? input : url, {
        ...init,
        headers,
      });
      if (!sameOrigin || (response.status !== 401 && response.status !== 403)) return response;
      const challenge = bearerChallenge(response.headers.get('www-authenticate'));
      if (response.status === 403 && challenge?.params.error !== 'insufficient_scope')
        return response;
      if (init?.body !== undefined && init.body !== null && typeof init.body !== 'string')
        return response;
      const method = init?.method ?? 'GET';
      try {
        await this.handleChallenge(
          response.status,
          challenge,
          token,
          `${method} ${new URL(url).pathname}`,
        );
      } catch (err) {
        this.terminalError ??= err;
        return response;
      }
      await response.body?.cancel().catch(() => {});
    }
  };

  /** Registers the secrets an authorization response carries (query or fragment) for redaction. */
  #registerResponseSecrets(url: URL): void {
    const fragment = new URLSearchParams(url.hash.slice(1));
    for (const params of [url.searchParams, fragment]) {
      for (const name of ['code', 'access_token', 'id_token', 'refresh_token']) {
        for (const value of params.getAll(name)) this.report.secret(value);
      }
    }
  }

  async close(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close();
  }
}

function toList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function chooseAuthMethod(
  as: AuthorizationServerMetadata,
  hasSecret: boolean,
): TokenEndpointAuthMethod {
  if (!hasSecret) return 'none';
  // RFC 8414 §2: the default when the field is absent is client_secret_basic.
  const supported = as.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  if (supported.includes('client_secret_basic')) return 'client_secret_basic';
  if (supported.includes('client_secret_post')) return 'client_secret_post';
  return 'client_secret_basic';
}

function wrapDiscoveryError(err: unknown, s: StepContext, issuer?: string): unknown {
  if (isTestClientError(err)) return err;
  if (!isDiscoveryError(err)) return err;
  const code = err.code;
  const mapped =
    code === 'ERR_RESOURCE_MISMATCH'
      ? 'ERR_RESOURCE_MISMATCH'
      : code === 'ERR_PKCE_METADATA_MISSING' || code === 'ERR_PKCE_S256_UNSUPPORTED'
        ? 'ERR_PKCE_NOT_SUPPORTED'
        : code === 'ERR_INSECURE_URL'
          ? 'ERR_INSECURE_URL'
          : issuer
            ? 'ERR_AUTHORIZATION_SERVER_METADATA'
            : 'ERR_RESOURCE_METADATA';
  let message = err.message;
  if (mapped === 'ERR_PKCE_NOT_SUPPORTED' && issuer) {
    message = `${err.message}. PKCE S256 is required; if this provider is known to support S256 without advertising it, pass --allow-missing-pkce-metadata ${issuer}`;
  }
  if (mapped === 'ERR_RESOURCE_MISMATCH') {
    s.note('stopped before any authorization request');
  }
  return new TestClientError(mapped, message, {
    discoveryCode: code,
    ...(err.url ? { url: err.url } : {}),
    ...(err.status !== undefined ? { status: err.status } : {}),
    cause: err,
  });
}

function oauthFailure(
  code: 'ERR_REGISTRATION_FAILED' | 'ERR_TOKEN_REQUEST_FAILED' | 'ERR_REFRESH_FAILED',
  what: string,
  err: unknown,
  url: string | undefined,
): TestClientError {
  if (isTestClientError(err)) return err;
  // Our own failure (a body over the limit) wrapped by oauth4webapi: report it, not the wrapper.
  let inner: unknown = (err as { cause?: unknown })?.cause;
  for (let depth = 0; inner && depth < 5; depth++) {
    if (isTestClientError(inner)) {
      return new TestClientError(code, `${what}: ${inner.message}`, {
        ...(url ? { url } : {}),
        cause: err,
      });
    }
    inner = (inner as { cause?: unknown }).cause;
  }
  if (err instanceof oauth.ResponseBodyError) {
    return new TestClientError(
      code,
      `${what}: ${err.status} error=${err.error}${err.error_description ? ` (${err.error_description})` : ''}`,
      {
        status: err.status,
        oauthError: err.error,
        ...(err.error_description ? { oauthErrorDescription: err.error_description } : {}),
        ...(url ? { url } : {}),
        cause: err,
      },
    );
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return new TestClientError('ERR_AUTHORIZATION_ERROR', `${what}: error=${err.error}`, {
      oauthError: err.error,
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TestClientError(code, `${what}: ${message}`, { ...(url ? { url } : {}), cause: err });
}

async function readLimited(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size >= max) {
        await reader.cancel().catch(() => {});
        break;
      }
    }
  } catch {
    // a partial page is enough for a report
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, max));
}

/** The same response, whose body errors once it passes `max` bytes. */
function limitBody(res: Response, max: number): Response {
  if (!res.body) return res;
  let size = 0;
  const limited = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > max) {
          controller.error(
            new TestClientError('ERR_REQUEST_FAILED', `The response is larger than ${max} bytes`),
          );
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return new Response(limited, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}

function stripTags(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]*>/g, ' ');
}

export { isLoopbackHttp };
