/**
 * What an MCP client application supplies to the official SDK's OAuth flow: an `OAuthClientProvider`
 * (in memory here), plus the part a person does in a browser, done with plain HTTP against the
 * local authorization server, which approves automatically in non-interactive mode.
 *
 * The same object serves both SDK lines: `@modelcontextprotocol/sdk` 1.x and
 * `@modelcontextprotocol/client` 2.x take structurally the same provider.
 */
import { randomBytes } from 'node:crypto';

/** Client metadata the SDK sends in its dynamic registration request (RFC 7591). */
export interface ClientMetadata {
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: string;
  scope?: string;
}

/** The redirect the authorization server answered with, as the client's callback would see it. */
export interface Callback {
  url: URL;
  code: string;
  state: string | null;
  iss: string | null;
}

/**
 * An in-memory `OAuthClientProvider`: stores what the SDK hands it (client information, tokens,
 * the PKCE verifier, discovery state) and records every authorization URL it is sent to.
 */
export class MemoryOAuthProvider {
  /** The loopback redirect URI (RFC 8252): never served, the test reads the redirect itself. */
  readonly redirectUrl: string;
  readonly clientMetadata: ClientMetadata;
  /** Every authorization request the SDK started, in order. */
  readonly authorizationUrls: URL[] = [];
  /** The `state` values handed out, in order. */
  readonly states: string[] = [];
  client: Record<string, unknown> | undefined;
  saved: Record<string, unknown> | undefined;
  private verifier: string | undefined;
  private discovery: unknown;

  /**
   * `grantTypes`: what the client registers for; without `refresh_token` the authorization
   * server issues no refresh token (and the SDK re-authorizes instead of refreshing).
   */
  constructor(name: string, grantTypes: string[] = ['authorization_code', 'refresh_token']) {
    // A port nobody listens on: the redirect is read from the Location header, never followed.
    this.redirectUrl = `http://127.0.0.1:9/${name}/callback`;
    this.clientMetadata = {
      client_name: name,
      redirect_uris: [this.redirectUrl],
      grant_types: grantTypes,
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    const state = randomBytes(16).toString('base64url');
    this.states.push(state);
    return state;
  }
  clientInformation() {
    return this.client as never;
  }
  saveClientInformation(info: Record<string, unknown>): void {
    this.client = info;
  }
  tokens() {
    return this.saved as never;
  }
  saveTokens(tokens: Record<string, unknown>): void {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL): void {
    this.authorizationUrls.push(url);
  }
  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }
  codeVerifier(): string {
    if (this.verifier === undefined) throw new Error('no code verifier saved');
    return this.verifier;
  }
  discoveryState() {
    return this.discovery as never;
  }
  saveDiscoveryState(state: unknown): void {
    this.discovery = state;
  }
  invalidateCredentials(scope: string): void {
    if (scope === 'all' || scope === 'client') this.client = undefined;
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  }

  /** The access token's claims (the local server issues JWTs). */
  accessTokenClaims(): Record<string, unknown> {
    const token = this.saved?.['access_token'];
    if (typeof token !== 'string') throw new Error('no access token saved');
    return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  }

  /**
   * Does what the user's browser does with the newest authorization URL: follows the
   * authorization server's redirects (the local server approves without pages in non-interactive
   * mode) up to the redirect to {@link redirectUrl}, and checks `state` like a callback handler.
   */
  async followAuthorization(): Promise<Callback> {
    const start = this.authorizationUrls.at(-1);
    if (start === undefined) throw new Error('the SDK never sent the user to authorize');
    const cookies = new Map<string, string>();
    let url = start;
    for (let hop = 0; hop < 10; hop++) {
      const res = await fetch(url, {
        redirect: 'manual',
        headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const c of res.headers.getSetCookie()) {
        const pair = c.split(';')[0]!;
        const eq = pair.indexOf('=');
        cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      await res.body?.cancel();
      const location = res.headers.get('location');
      if (res.status < 300 || res.status > 399 || location === null) {
        throw new Error(`the authorization server answered ${res.status} without a redirect`);
      }
      const next = new URL(location, url);
      if (next.href.startsWith(this.redirectUrl)) {
        const params = next.searchParams;
        const error = params.get('error');
        if (error !== null) throw new Error(`authorization refused: ${error}`);
        if (params.get('state') !== this.states.at(-1)) throw new Error('state mismatch');
        return {
          url: next,
          code: params.get('code') ?? '',
          state: params.get('state'),
          iss: params.get('iss'),
        };
      }
      url = next;
    }
    throw new Error('too many redirects before the callback');
  }
}
