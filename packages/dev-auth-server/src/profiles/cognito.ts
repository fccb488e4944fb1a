import { unionScopes } from '@mcp-auth/internal';
import { hideClaim, OIDC_SCOPES, type Profile } from './types.js';

/**
 * AWS Cognito user pools, as real tenants send them:
 * - issuer `https://cognito-idp.<region>.amazonaws.com/<poolId>`: here `http://127.0.0.1:P/us-east-1_Example`;
 * - only OpenID discovery under the issuer path; no RFC 8414 document (404);
 * - the discovery document lacks `code_challenge_methods_supported`, though S256 PKCE works (and is
 *   still required here);
 * - access tokens have no `aud` (resource indicators are a paid-tier feature), carry `client_id`,
 *   `token_use: "access"`, a `scope` string (OpenID scopes included), `username` for user tokens, `version: 2`, and a header
 *   without `typ`;
 * - no dynamic client registration.
 */
export const cognito: Profile = {
  name: 'cognito',
  defaultIssuerPath: '/us-east-1_Example',
  issuerTrailingSlash: false,
  routes: {
    authorization: '/oauth2/authorize',
    token: '/oauth2/token',
    introspection: '/oauth2/introspect',
    revocation: '/oauth2/revoke',
    registration: '/oauth2/register',
    jwks: '/.well-known/jwks.json',
    userinfo: '/oauth2/userInfo',
    end_session: '/logout',
  },
  discoveryPaths: (issuerPath) => ({
    openid: [`${issuerPath}/.well-known/openid-configuration`],
    oauth: [],
  }),
  transformMetadata(doc) {
    const { code_challenge_methods_supported: _omitted, ...rest } = doc;
    return rest;
  },
  registrationByDefault: false,
  audience: (resource) => resource,
  // Cognito ignores resource indicators: a token request without one still gets an API token.
  defaultResource: (resources) => resources[0],
  clientCredentialsGetsAllScopes: true,
  extraAuthorizationParams: [],
  idTokenMarkers: { token_use: 'id' },
  shapeAccessToken(token, input) {
    token.header = { ...token.header, typ: undefined };
    const { payload } = token;
    hideClaim(payload, 'aud');
    payload.token_use = 'access';
    payload.version = 2;
    payload.client_id = input.clientId;
    // Cognito lists the OpenID scopes (`openid email`) next to the custom ones.
    const oidcScopes = input.requestedScopes.filter((s) => OIDC_SCOPES.has(s));
    payload.scope = unionScopes(oidcScopes, input.scopes).join(' ') || undefined;
    if (input.user) {
      payload.username = input.user.username ?? input.user.sub;
      payload.auth_time = payload.iat;
    }
  },
};
