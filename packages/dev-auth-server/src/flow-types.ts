// Options and results of the token flows: `getToken`, the authorization code flow, DPoP, and the
// RFC 7523 and RFC 8693 grants.
import type { PrivateKeyJwtKey } from './client-assertion.js';
import type { DpopKeyPair } from './dpop.js';

export interface GetTokenOptions {
  resource: string;
  /**
   * Access token format for this request, overriding the resource's (dev-only token request
   * parameter `x_dev_token_format`): test a resource server with both kinds of token for its URI.
   */
  format?: 'jwt' | 'opaque';
  /** Space-separated scopes; defaults to every scope of the resource. */
  scope?: string;
  /** Defaults to the built-in `mcp-service` client. */
  clientId?: string;
  clientSecret?: string;
  /**
   * Authenticate with an RFC 7523 client assertion signed by this key (`private_key_jwt`) instead
   * of a secret. The built-in `mcp-service-jwt` client needs none: its key is used.
   */
  privateKeyJwt?: PrivateKeyJwtKey;
  /** Send a DPoP proof made with this key pair: the token is DPoP-bound (RFC 9449). */
  dpop?: DpopKeyPair;
}

export interface AuthorizationCodeFlowOptions {
  /** The resource indicator; omitted from both requests when `null`. */
  resource: string | null;
  /** Space-separated scopes; defaults to every scope of the resource. */
  scope?: string;
  /** Defaults to the built-in `mcp-public` client (or `mcp-confidential` when a secret is given). */
  clientId?: string;
  clientSecret?: string;
  /** Defaults to `http://127.0.0.1:<random port>/callback` (a loopback URI the built-in clients accept). */
  redirectUri?: string;
  /** `sub`, `email` or username of the user to sign in as; the default user otherwise. */
  user?: string;
  /** Extra authorization request parameters (e.g. `{ audience }` for auth0, `{ prompt }`). */
  extraParams?: Record<string, string>;
  /** Extra token request parameters. */
  extraTokenParams?: Record<string, string>;
  /** Access token format, overriding the resource's (see `GetTokenOptions.format`). */
  format?: 'jwt' | 'opaque';
  /** DPoP proof at the token request: the tokens are DPoP-bound (RFC 9449). */
  dpop?: DpopKeyPair;
}

export interface AuthorizeResult {
  code: string;
  codeVerifier: string;
  redirectUri: string;
  state: string;
  /** The `iss` of the authorization response (RFC 9207). */
  iss: string | undefined;
}

export interface ExchangeCodeOptions {
  code: string;
  codeVerifier: string;
  redirectUri: string;
  resource?: string | null;
  clientId?: string;
  clientSecret?: string;
  extraTokenParams?: Record<string, string>;
  format?: 'jwt' | 'opaque';
  dpop?: DpopKeyPair;
}

/** `getDpopToken`: a DPoP-bound token through a real grant. */
export interface DpopTokenOptions {
  keyPair: DpopKeyPair;
  /** `'client_credentials'` (default, client `mcp-service`) or `'authorization_code'` (`mcp-public`). */
  grant?: 'client_credentials' | 'authorization_code';
  /** The resource indicator; `null` sends none (authorization code only). */
  resource: string | null;
  scope?: string;
  clientId?: string;
  clientSecret?: string;
  privateKeyJwt?: PrivateKeyJwtKey;
  /** Authorization code: the user to sign in as. */
  user?: string;
  redirectUri?: string;
}

/** `jwtBearer`: the RFC 7523 JWT-bearer grant. */
export interface JwtBearerOptions {
  /** The ID-JAG or workload JWT. */
  assertion: string;
  resource?: string;
  scope?: string;
  /** Defaults to `mcp-confidential` (with its secret); `mcp-workload` for workload JWTs. */
  clientId?: string;
  clientSecret?: string;
  privateKeyJwt?: PrivateKeyJwtKey;
  /** Send a DPoP proof made with this key pair: the token is DPoP-bound (RFC 9449). */
  dpop?: DpopKeyPair;
}

/** `tokenExchange` / `getIdJag`: RFC 8693 at an enterprise IdP (`enterpriseIdp`). */
export interface IdJagRequestOptions {
  /** An ID token this server issued to the client. */
  idToken: string;
  /** The issuer of the authorization server the ID-JAG is for. */
  audience: string;
  /** The resource (MCP server) the ID-JAG is for. */
  resource?: string;
  scope?: string;
  /** Defaults to `mcp-confidential` (with its secret). */
  clientId?: string;
  clientSecret?: string;
}

/** `signWorkloadJwt`: this server playing a workload identity issuer. */
export interface WorkloadJwtOptions {
  /** The workload identity (`sub`). */
  subject: string;
  /** The authorization server it is for (`aud`): that server's issuer. */
  audience: string;
  ttlSeconds?: number;
  /** Extra claims. */
  claims?: Record<string, unknown>;
}
