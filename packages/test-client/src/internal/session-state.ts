import * as oauth from 'oauth4webapi';
import { type AuthorizeOptions, assertAuthorizeOptions, type TokenSet } from '../options.js';
import { type RedirectListener, startRedirectListener } from '../redirect-listener.js';
import { Report } from '../report.js';
import { FileTokenStore } from '../token-store.js';
import { assertUrlAllowed } from '../url-policy.js';
import { createDpopKey, type DpopKey } from './dpop.js';
import type { BearerChallenge, FetchLike, ProbeResponse } from './http.js';
import { limitBody, MAX_OAUTH_RESPONSE_BYTES } from './oauth-io.js';
import { type ClientSigningKey, importSigningKey } from './private-key.js';
import type { ClientIdentity, DiscoveredMetadata } from './types.js';

/** At most this many authorization attempts in one session (initial + re-authorizations). */
export const MAX_AUTHORIZATION_ATTEMPTS = 3;

/**
 * The state of one run of the MCP authorization flow against one server, shared by its steps
 * (probe, discovery, client identity, authorization, tokens, challenges: one file each, as
 * top-level functions taking this state). It holds no flow logic of its own.
 */
export class SessionState {
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
  /** The issuer `client` belongs to: it is never presented to another authorization server. */
  clientIssuer: string | undefined;
  /** The issuer the pre-registered `clientId` (and its secret or key) was first used with. */
  preRegisteredIssuer: string | undefined;
  /** The first probe's response. */
  probeResult: ProbeResponse | undefined;
  /** The error that ended the session, when a transport swallowed it. */
  terminalError: unknown;
  /** The last `WWW-Authenticate` Bearer challenge received. */
  lastChallenge: BearerChallenge | undefined;

  listener: RedirectListener | undefined;
  /** The re-authorization in progress: concurrent challenges share it. */
  inflight: Promise<void> | undefined;
  /** Refresh tokens already spent on a 401 (never refresh with the same one twice). */
  readonly refreshedTokens = new Set<string>();
  readonly store: FileTokenStore | undefined;
  readonly #insecure: boolean;
  /** The client the current tokens were issued to (refreshes and the token store use it). */
  tokenClient: ClientIdentity | undefined;
  #dpop: Promise<{ key: DpopKey; handle: oauth.DPoPHandle }> | undefined;
  #signingKey: Promise<ClientSigningKey> | undefined;

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
    this.store = options.tokenStore ? new FileTokenStore(options.tokenStore) : undefined;
    this.report.secret(options.clientSecret);
  }

  get now(): number {
    return (this.options.now ?? Date.now)();
  }

  get redirectUri(): string | undefined {
    return this.listener?.redirectUri;
  }

  attemptSuffix(): string {
    return this.attempts > 1 ? ` (attempt ${this.attempts})` : '';
  }

  /** The discovered authorization server, typed for oauth4webapi. */
  oauthAs(): oauth.AuthorizationServer {
    return this.metadata!.authorizationServer as unknown as oauth.AuthorizationServer;
  }

  /** oauth4webapi request options: our fetch with a bounded body, a timeout, http only where allowed. */
  requestOptions(url: string | undefined): {
    [oauth.customFetch]: typeof fetch;
    [oauth.allowInsecureRequests]: boolean;
    signal: () => AbortSignal;
  } {
    const insecure = url ? new URL(url).protocol === 'http:' : this.#insecure;
    return {
      [oauth.customFetch]: ((input: string, init: RequestInit) =>
        this.fetchImpl(input, init).then((r) =>
          limitBody(r, MAX_OAUTH_RESPONSE_BYTES),
        )) as typeof fetch,
      [oauth.allowInsecureRequests]: insecure,
      signal: () => AbortSignal.timeout(this.timeoutMs),
    };
  }

  /** The session's DPoP key and oauth4webapi handle (one key per session), when `dpop` is on. */
  async dpop(): Promise<{ key: DpopKey; handle: oauth.DPoPHandle } | undefined> {
    if (!this.options.dpop) return undefined;
    this.#dpop ??= createDpopKey().then((key) => ({
      key,
      handle: oauth.DPoP({}, key.keyPair as never),
    }));
    return this.#dpop;
  }

  /** The `private_key_jwt` signing key, imported once, when `privateKey` is set. */
  async signingKey(): Promise<ClientSigningKey | undefined> {
    const pem = this.options.privateKey;
    if (pem === undefined) return undefined;
    this.#signingKey ??= importSigningKey(
      pem,
      this.options.privateKeyAlg,
      this.options.privateKeyId,
    );
    return this.#signingKey;
  }

  /** {@link requestOptions} for a token request: with the DPoP handle when `dpop` is on. */
  async tokenRequestOptions(
    url: string | undefined,
  ): Promise<ReturnType<SessionState['requestOptions']> & { DPoP?: oauth.DPoPHandle }> {
    const dpop = await this.dpop();
    return { ...this.requestOptions(url), ...(dpop ? { DPoP: dpop.handle } : {}) };
  }

  async ensureListener(): Promise<RedirectListener> {
    if (!this.listener) {
      this.listener = await startRedirectListener({
        port: this.options.port ?? 0,
        path: this.options.callbackPath ?? '/callback',
        host: this.options.redirectHost ?? '127.0.0.1',
      });
    }
    return this.listener;
  }

  /** Registers the secrets an authorization response carries (query or fragment) for redaction. */
  registerResponseSecrets(url: URL): void {
    const fragment = new URLSearchParams(url.hash.slice(1));
    for (const params of [url.searchParams, fragment]) {
      for (const name of ['code', 'access_token', 'id_token', 'refresh_token']) {
        for (const value of params.getAll(name)) this.report.secret(value);
      }
    }
  }

  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }
}
