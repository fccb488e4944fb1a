import {
  type AuthorizationServerMetadata,
  chooseClientSecretMethod,
  clientSecretAuth,
  discoverAuthorizationServer,
  isLoopbackHost,
} from '@mcp-auth/discovery';
import { computeCodeChallenge } from '@mcp-auth/pkce';
import type { TokenValidator } from '@mcp-auth/validator';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import * as oauth from 'oauth4webapi';
import { SseTransportError } from '../errors.js';
import type { Logger } from '../internal/logger.js';
import type { AuthorizationFlow, CallbackOptions, CallbackResult } from '../types.js';
import type { FlowKeySource } from './flow-keys.js';
import { type FlowKeys, flowCodeVerifier, mintFlowState, openFlowState } from './flow-state.js';
import type { UsedStates } from './used-states.js';

// The authorization code flow of `OAuthProvider` (the provider checks its options and its callers'
// arguments; this file talks to the authorization server). Nothing is stored when a flow starts:
// the state is the pending sign-in (see flow-state.ts), and only a successful callback writes.

/** How long a browser sign-in may take, from `/oauth/authorize` to the callback. */
const STATE_TTL_SECONDS = 600;
/** How much longer a used state is remembered (instances' clocks may disagree a little). */
const USED_STATE_MARGIN_MS = 5 * 60 * 1000;

/** What the flow needs, checked by `OAuthProvider`. */
export interface BrowserFlowConfig {
  issuer: string;
  resourceUri: string;
  clientId: string;
  clientSecret: string | undefined;
  redirectUri: string;
  authorizationScopes: string[];
  extraParams: Record<string, string>;
  allowHttp: boolean;
  fetch: typeof fetch | undefined;
  logger: Logger;
  now: () => number;
  validator: TokenValidator;
  flowKeys: FlowKeySource;
  usedStates: UsedStates;
}

/** The browser flow of one provider: start, complete, close. */
export class BrowserFlow {
  readonly issuer: string;
  readonly resourceUri: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly validator: TokenValidator;
  readonly #clientSecret: string | undefined;
  readonly #authorizationScopes: string[];
  readonly #extraParams: Record<string, string>;
  readonly #allowHttp: boolean;
  readonly #fetch: typeof fetch | undefined;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #flowKeys: FlowKeySource;
  readonly #usedStates: UsedStates;
  /** What a state is valid for: another issuer, client, redirect URI or resource never accepts it. */
  readonly #flowBinding: string;
  #as: Promise<AuthorizationServerMetadata> | undefined;

  constructor(c: BrowserFlowConfig) {
    this.issuer = c.issuer;
    this.resourceUri = c.resourceUri;
    this.clientId = c.clientId;
    this.redirectUri = c.redirectUri;
    this.validator = c.validator;
    this.#clientSecret = c.clientSecret;
    this.#authorizationScopes = c.authorizationScopes;
    this.#extraParams = c.extraParams;
    this.#allowHttp = c.allowHttp;
    this.#fetch = c.fetch;
    this.#logger = c.logger;
    this.#now = c.now;
    this.#flowKeys = c.flowKeys;
    this.#usedStates = c.usedStates;
    this.#flowBinding = JSON.stringify([c.issuer, c.clientId, c.redirectUri, c.resourceUri]);
  }

  /** Mints a state, derives its PKCE challenge and builds the authorization request URL. */
  async start(): Promise<AuthorizationFlow> {
    const as = await this.#authorizationServer();
    if (typeof as.authorization_endpoint !== 'string') {
      throw new SseTransportError(
        'ERR_OAUTH_SERVER_UNAVAILABLE',
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
    params.set('client_id', this.clientId);
    params.set('redirect_uri', this.redirectUri);
    params.set('code_challenge', codeChallenge);
    params.set('code_challenge_method', 'S256');
    params.set('state', state);
    params.set('resource', this.resourceUri);
    if (this.#authorizationScopes.length > 0) {
      params.set('scope', this.#authorizationScopes.join(' '));
    }
    return { authorizationUrl: url.href, state };
  }

  /** Verifies the state, redeems the code, and records the state as used once all succeeded. */
  async complete(code: string, state: string, options: CallbackOptions): Promise<CallbackResult> {
    if (typeof state !== 'string' || !/^[A-Za-z0-9_-]{16,256}$/.test(state)) {
      throw new SseTransportError('ERR_OAUTH_CALLBACK_INVALID', 'The callback has no valid state');
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
      const result = await this.#redeem(code, state, flowCodeVerifier(opened.keys, state), options);
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
    code: string,
    state: string,
    codeVerifier: string,
    options: CallbackOptions,
  ): Promise<CallbackResult> {
    const as = (await this.#authorizationServer()) as oauth.AuthorizationServer;
    const client: oauth.Client = { client_id: this.clientId };
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
        this.redirectUri,
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
          'ERR_OAUTH_TOKEN_EXCHANGE_FAILED',
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
        unreachable ? 'ERR_OAUTH_SERVER_UNAVAILABLE' : 'ERR_OAUTH_TOKEN_EXCHANGE_FAILED',
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
          'ERR_OAUTH_SERVER_UNAVAILABLE',
          'The access token cannot be validated right now',
          { cause: error },
        );
      }
      throw new SseTransportError(
        'ERR_OAUTH_TOKEN_INVALID',
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

  /** Releases the in-process used-state set. */
  close(): Promise<void> {
    return this.#usedStates.close();
  }

  /** The flow keys (the first mints); a shared store that cannot be read fails closed. */
  async #keyring(): Promise<readonly FlowKeys[]> {
    try {
      return await this.#flowKeys.keyring();
    } catch (error) {
      throw storeUnavailable('Could not read the flow secret from the store', error);
    }
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
    const method = chooseClientSecretMethod(as.token_endpoint_auth_methods_supported);
    return clientSecretAuth(this.#clientSecret, method);
  }

  #authResponseError(error: unknown): SseTransportError {
    if (error instanceof oauth.AuthorizationResponseError) {
      const description = error.error_description;
      return new SseTransportError(
        'ERR_OAUTH_AUTHORIZATION_DENIED',
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
          'ERR_OAUTH_ISSUER_MISMATCH',
          'The authorization response "iss" is not the expected issuer (RFC 9207)',
          { cause: error },
        );
      }
    }
    return new SseTransportError('ERR_OAUTH_CALLBACK_INVALID', 'Invalid authorization response', {
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
            'ERR_OAUTH_SERVER_UNAVAILABLE',
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
  return new SseTransportError('ERR_OAUTH_STATE_INVALID', 'Unknown, expired or already used state');
}

function storeUnavailable(message: string, cause: unknown): SseTransportError {
  return new SseTransportError('ERR_OAUTH_STATE_STORE_UNAVAILABLE', message, { cause });
}
