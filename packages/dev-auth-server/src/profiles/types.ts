import type { DevAuthServerOptions, ProfileName, UserConfig } from '../types.js';

/** What a profile needs to know to shape one access token. */
export interface TokenShapeInput {
  issuer: string;
  clientId: string;
  /** The signed-in user; undefined for client_credentials tokens. */
  user: UserConfig | undefined;
  /** The scopes the token carries for its resource. */
  scopes: string[];
  /** Every scope the client asked for and was granted, including OpenID scopes (`openid`, `email`...). */
  requestedScopes: string[];
  /** The resource indicator the token is for. */
  resource: string;
  /** Every scope configured for that resource (`ResourceConfig.scopes`). */
  resourceScopes: string[];
  grantType: 'client_credentials' | 'user';
  options: DevAuthServerOptions;
}

/** oidc-provider's JWT access token before signing: `formats.customizers.jwt` edits it in place. */
export interface StructuredToken {
  header: Record<string, unknown> | undefined;
  payload: Record<string, unknown>;
}

/** How the server looks to clients and resource servers when it emulates a provider. */
export interface Profile {
  name: ProfileName;
  /** Issuer path when the options give none. */
  defaultIssuerPath: string;
  /** Auth0's issuer ends with a slash. */
  issuerTrailingSlash: boolean;
  /** oidc-provider `routes`, relative to the issuer path. */
  routes: Record<string, string>;
  /** Where discovery documents are served, relative to the origin, given the issuer path. */
  discoveryPaths(issuerPath: string): { openid: string[]; oauth: string[] };
  /** Edits the discovery document oidc-provider produced. */
  transformMetadata(doc: Record<string, unknown>): Record<string, unknown>;
  /** Dynamic client registration when `registration` is not given. */
  registrationByDefault: boolean;
  /** `aud` oidc-provider puts in tokens for `resource` (before `shapeAccessToken`). */
  audience(resource: string, options: DevAuthServerOptions): string;
  /** The resource a request without `resource` gets (Okta and Cognito never need one). */
  defaultResource(resources: readonly string[], params: { audience?: unknown }): string | undefined;
  /**
   * A client_credentials request without `scope` gets every scope of the API (Auth0, Cognito grant
   * the client's authorized scopes); otherwise it gets none, as oidc-provider does.
   */
  clientCredentialsGetsAllScopes: boolean;
  /** Extra authorization request parameters the profile accepts (Auth0's `audience`). */
  extraAuthorizationParams: string[];
  /**
   * Claims the provider puts in every ID token that say what it is (Cognito's `token_use: "id"`,
   * Keycloak's `typ: "ID"`), so an ID token presented as an access token can be told apart.
   */
  idTokenMarkers?: Record<string, string>;
  /**
   * Entra v2 refuses the `resource` parameter at the authorization and token endpoints
   * (AADSTS901002): the API is named by its scopes instead.
   */
  rejectsResourceParameter?: boolean;
  /**
   * The scope values clients ask for, for a resource's configured scopes, when they differ
   * (Entra: `api://<app>/<scope>` and `api://<app>/.default`).
   */
  resourceScopes?(scopes: readonly string[], options: DevAuthServerOptions): string[];
  /** A client_credentials `scope` the provider refuses: the `invalid_scope` description, else undefined. */
  checkClientCredentialsScope?(
    scope: string | undefined,
    options: DevAuthServerOptions,
  ): string | undefined;
  /** The scope the helpers ask for by default for a resource, when not every configured scope. */
  helperScope?(
    scopes: readonly string[],
    grant: 'client_credentials' | 'user',
    options: DevAuthServerOptions,
  ): string;
  /** Shapes a JWT access token's header and claims like the provider's. */
  shapeAccessToken(token: StructuredToken, input: TokenShapeInput): void;
}

/** OpenID Connect scopes, which providers keep out of API permission lists. */
export const OIDC_SCOPES = new Set([
  'openid',
  'profile',
  'email',
  'address',
  'phone',
  'offline_access',
]);

/** Removes a claim from the signed JSON while leaving oidc-provider's own `aud` presence check happy. */
export function hideClaim(payload: Record<string, unknown>, claim: string): void {
  Object.defineProperty(payload, claim, {
    value: payload[claim],
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
