import type { JWK } from 'jose';
import type { DpopKeyPair } from './dpop.js';
import type {
  AuthorizationCodeFlowOptions,
  AuthorizeResult,
  DpopTokenOptions,
  ExchangeCodeOptions,
  GetTokenOptions,
  IdJagRequestOptions,
  JwtBearerOptions,
  WorkloadJwtOptions,
} from './flow-types.js';

/** Log sink, the same shape every @mcp-auth package accepts. */
export interface Logger {
  debug?: (msg: string, meta?: object) => void;
  info?: (msg: string, meta?: object) => void;
  warn?: (msg: string, meta?: object) => void;
  error?: (msg: string, meta?: object) => void;
}

/** JWS algorithms the server can sign access tokens with. */
export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';

/** Which provider's shapes the server emulates. */
export type ProfileName = 'generic' | 'cognito' | 'auth0' | 'okta' | 'entra' | 'keycloak';

/** A protected resource (an MCP server) the authorization server issues tokens for. */
export interface ResourceConfig {
  /** The resource indicator (RFC 8707). Tokens for it carry `aud` = this URI (profile permitting). */
  uri: string;
  /** Scopes that may be granted for this resource. */
  scopes: string[];
  /** Access token format; `'jwt'` by default. */
  format?: 'jwt' | 'opaque';
  /** JWS algorithm for JWT access tokens; `'RS256'` by default. */
  alg?: SigningAlg;
  /** Access token lifetime for this resource; defaults to the server's `accessTokenTtlSeconds`. */
  accessTokenTtlSeconds?: number;
}

/**
 * An extra client, in RFC 7591 metadata (snake_case) as oidc-provider takes it, e.g.
 * `{ client_id: 'x', token_endpoint_auth_method: 'none', redirect_uris: [...] }`.
 */
export type ClientConfig = Record<string, unknown> & { client_id: string };

/** A person who can sign in. */
export interface UserConfig {
  /** Subject identifier (`sub`). */
  sub: string;
  /** Password for the HTML login page (interactive mode). */
  password: string;
  email?: string;
  name?: string;
  /** Login name; defaults to `email`, else `sub`. Cognito's `username`, Okta's `sub`. */
  username?: string;
  /** Extra claims, released with the `profile` scope (userinfo, ID token). */
  claims?: Record<string, unknown>;
}

export interface DevAuthServerOptions {
  /** Port to listen on; 0 (random) by default. */
  port?: number;
  /** Interface to listen on; `'127.0.0.1'` by default. */
  host?: string;
  /**
   * Path of the issuer, e.g. `'/tenant1'`. Default: `''` (generic, auth0), `'/oauth2/default'`
   * (okta), `'/us-east-1_Example'` (cognito).
   */
  issuerPath?: string;
  /** Protected resources. None by default: tests pass theirs. */
  resources?: ResourceConfig[];
  /** Clients added to the built-in ones. */
  clients?: ClientConfig[];
  /** Users; default one user `{ sub: 'user-1', email: 'user1@example.com', password: 'password' }`. */
  users?: UserConfig[];
  /**
   * `false` (default): `/authorize` redirects straight back with a code for the default user (or the
   * user named by `login_hint`). `true`: real HTML login and consent pages.
   */
  interactive?: boolean;
  /** Provider emulation; `'generic'` (RFC 9068 / RFC 8414) by default. */
  profile?: ProfileName;
  /**
   * Access token lifetime; 3600 by default. Tests that run with a frozen clock far from real time can
   * pass a long one (e.g. ten years) so tokens stay valid whatever `now` the validator uses.
   */
  accessTokenTtlSeconds?: number;
  /** Refresh token lifetime; 14 days by default. */
  refreshTokenTtlSeconds?: number;
  /** Open dynamic client registration (RFC 7591). Default: on for generic and auth0, off for cognito and okta. */
  registration?: boolean;
  /**
   * Serve the endpoints clients call (authorization, token, userinfo, revocation, introspection,
   * logout, PAR) and the login pages on a second port, at its root, while the issuer keeps discovery
   * and the JWKS: what AWS Cognito does (hosted UI domain vs `cognito-idp`). Off by default.
   */
  endpointsOnSeparateOrigin?: boolean;
  /** Okta profile: the `aud` of every access token; `'api://default'` by default. */
  oktaAudience?: string;
  /**
   * Entra profile: the `aud` of every access token: the API's application (client) id, a GUID
   * (default `6e74172b-be56-4843-9ff4-e66a39bb12e3`), or its Application ID URI (`api://...`).
   */
  entraAudience?: string;
  /**
   * Entra profile: the API's Application ID URI, which prefixes its scopes (`<uri>/mcp.read`,
   * `<uri>/.default`). Default: `entraAudience` when it is a URI, else `api://<application id>`.
   */
  entraAppIdUri?: string;
  /** Keycloak profile: an audience mapper puts the resource in `aud` (default); `false`: `aud` is `"account"`. */
  keycloakAudienceMapper?: boolean;
  /** Auth0 profile: the RFC 9068 token profile (`typ: at+jwt`, `client_id`); off by default. */
  auth0Rfc9068Profile?: boolean;
  /**
   * DPoP (RFC 9449): the token endpoint demands a server nonce in every proof (`use_dpop_nonce` with
   * a `DPoP-Nonce` header, then the proof again with the nonce). Off by default: nonces are offered,
   * not required. DPoP itself is always on: a token request with a proof gets a DPoP-bound token.
   */
  requireDpopNonce?: boolean;
  /**
   * Enterprise-managed authorization: enterprise IdPs whose identity assertion JWTs (ID-JAG, header
   * `typ: oauth-id-jag+jwt`, `aud` = this issuer, `client_id` = the presenting client) the JWT-bearer
   * grant accepts. Turns the grant on (`urn:ietf:params:oauth:grant-type:jwt-bearer`).
   */
  trustedIdJagIssuers?: TrustedIssuer[];
  /**
   * Workload identity federation: issuers whose workload JWTs (`aud` = this issuer) the JWT-bearer
   * grant accepts as `assertion`. Turns the grant on and adds the public client `mcp-workload`.
   */
  trustedWorkloadIssuers?: TrustedWorkloadIssuer[];
  /**
   * Enterprise IdP mode: RFC 8693 token exchange of an ID token this server issued
   * (`subject_token_type` id_token) for an ID-JAG addressed to another authorization server
   * (`requested_token_type` `urn:ietf:params:oauth:token-type:id-jag`, `audience` = its issuer).
   */
  enterpriseIdp?: boolean | EnterpriseIdpOptions;
  logger?: Logger;
}

/** An issuer whose JWTs the JWT-bearer grant (RFC 7523) accepts as `assertion`. */
export interface TrustedIssuer {
  /** Its `iss`, compared exactly. */
  issuer: string;
  /** Its public keys; or `jwksUri`. */
  jwks?: { keys: JWK[] };
  /** Where its public keys are (fetched when needed); or `jwks`. */
  jwksUri?: string;
  /**
   * Clients allowed to present its assertions; any client allowed the grant when omitted. Another
   * client gets `unauthorized_client`.
   */
  clientIds?: string[];
}

export interface TrustedWorkloadIssuer extends TrustedIssuer {
  /** Workload identities (`sub`) accepted; any when omitted. Another gets `invalid_grant`. */
  subjects?: string[];
}

export interface EnterpriseIdpOptions {
  /** Lifetime of the ID-JAGs it issues; 300 s by default. */
  idJagTtlSeconds?: number;
  /**
   * The `client_id` an ID-JAG names, per audience (the other server's issuer); by default the
   * requesting client's own id (the dev servers share their built-in client ids).
   */
  clientIdAt?: Record<string, string>;
}

/** A token endpoint response. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
  [key: string]: unknown;
}

export interface KeyInfo {
  kid: string;
  alg: SigningAlg;
  /** Whether new tokens of this `alg` are signed with this key. */
  current: boolean;
}

export interface KeyManager {
  /** Generates a new signing key (published in the JWKS, not yet current); returns its `kid`. */
  add(alg?: SigningAlg): Promise<string>;
  /** `add(alg)` then `setCurrent` on it: new tokens get the new `kid`, old ones still verify. */
  rotate(alg?: SigningAlg): Promise<string>;
  /** Makes a key the one new tokens of its algorithm are signed with. */
  setCurrent(kid: string): void;
  /** Retires a key: it leaves the JWKS, so tokens it signed no longer verify. Not the current key. */
  remove(kid: string): void;
  list(): KeyInfo[];
}

export type {
  AuthorizationCodeFlowOptions,
  AuthorizeResult,
  DpopTokenOptions,
  ExchangeCodeOptions,
  GetTokenOptions,
  IdJagRequestOptions,
  JwtBearerOptions,
  WorkloadJwtOptions,
};

/** The running server. */
export interface DevAuthServer {
  /** The issuer exactly as discovery reports it (trailing slash for auth0). */
  issuer: string;
  /** `http://host:port` */
  origin: string;
  /** The second origin, with `endpointsOnSeparateOrigin`. */
  endpointsOrigin: string | undefined;
  jwksUri: string;
  /** The OpenID discovery document the server serves. */
  metadata: Record<string, unknown>;
  /** The RFC 8414 document, or `undefined` when the profile serves none (cognito). */
  authorizationServerMetadata: Record<string, unknown> | undefined;
  /** Absolute URLs of every discovery document served. */
  discoveryUrls: { openidConfiguration: string[]; oauthAuthorizationServer: string[] };
  profile: ProfileName;
  /** Entra profile: the API's Application ID URI, prefix of its scopes (`<uri>/.default`). */
  entraAppIdUri: string | undefined;
  interactive: boolean;
  resources: ResourceConfig[];
  users: UserConfig[];
  clients: {
    public: { clientId: 'mcp-public'; redirectUris: string[] };
    confidential: { clientId: 'mcp-confidential'; clientSecret: string; redirectUris: string[] };
    service: { clientId: 'mcp-service'; clientSecret: string };
    introspector: { clientId: 'mcp-introspector'; clientSecret: string };
    /** client_credentials with `private_key_jwt` (RFC 7523); its ES256 key, generated at start. */
    serviceJwt: { clientId: 'mcp-service-jwt'; privateJwk: JWK; alg: 'ES256'; kid: string };
    /** Public client for workload JWTs (with `trustedWorkloadIssuers`). */
    workload: { clientId: 'mcp-workload' } | undefined;
  };
  /**
   * Adds a protected resource at run time (for a server whose URL is known only once it listens).
   * A TypeError for a bad or already configured one.
   */
  addResource(resource: ResourceConfig): ResourceConfig;
  getToken(o: GetTokenOptions): Promise<string>;
  /** Like `getToken`, but returns the whole token response. */
  clientCredentials(o: GetTokenOptions): Promise<TokenResponse>;
  /** Real `/authorize` + `/token` with PKCE: `authorize` then `exchangeCode`. */
  authorizationCodeFlow(o: AuthorizationCodeFlowOptions): Promise<TokenResponse>;
  /** The front channel only: follows `/authorize` (and the login and consent pages) to the code. */
  authorize(o: AuthorizationCodeFlowOptions): Promise<AuthorizeResult>;
  /** The token request of the code flow; a wrong `codeVerifier` gets `invalid_grant`. */
  exchangeCode(o: ExchangeCodeOptions): Promise<TokenResponse>;
  refresh(o: {
    refreshToken: string;
    clientId?: string;
    clientSecret?: string;
    resource?: string;
    scope?: string;
    format?: 'jwt' | 'opaque';
    /** Required for a refresh token bound to a DPoP key (public clients). */
    dpop?: DpopKeyPair;
  }): Promise<TokenResponse>;
  /**
   * A DPoP-bound token for `keyPair` through a real client_credentials or authorization code grant
   * (a `use_dpop_nonce` answer is retried once with the nonce).
   */
  getDpopToken(o: DpopTokenOptions): Promise<TokenResponse>;
  /** The JWT-bearer grant (RFC 7523) with an ID-JAG or a workload JWT. */
  jwtBearer(o: JwtBearerOptions): Promise<TokenResponse>;
  /** Enterprise IdP mode: RFC 8693 exchange of an ID token for an ID-JAG; the whole response. */
  tokenExchange(o: IdJagRequestOptions): Promise<TokenResponse>;
  /** `tokenExchange`, returning the ID-JAG. */
  getIdJag(o: IdJagRequestOptions): Promise<string>;
  /** Signs a workload JWT (`iss` = this issuer, verifiable with its JWKS): a workload issuer. */
  signWorkloadJwt(o: WorkloadJwtOptions): Promise<string>;
  /** RFC 7662 introspection as `mcp-introspector`. */
  introspect(token: string, o?: { tokenTypeHint?: string }): Promise<Record<string, unknown>>;
  /** RFC 7009 revocation as the client the token was issued to (default `mcp-service`). */
  revoke(
    token: string,
    o?: { clientId?: string; clientSecret?: string; tokenTypeHint?: string },
  ): Promise<void>;
  /** RFC 7591 registration; returns the registration response. */
  registerClient(metadata: Record<string, unknown>): Promise<Record<string, unknown>>;
  keys: KeyManager;
  /** Which endpoint URL serves what, as discovery reports them. */
  endpoints: {
    authorization: string;
    token: string;
    introspection: string;
    revocation: string;
    registration: string | undefined;
    userinfo: string;
    jwks: string;
  };
  stop(): Promise<void>;
}
