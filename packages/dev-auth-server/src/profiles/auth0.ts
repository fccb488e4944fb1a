import { unionScopes } from '@mcp-auth/internal';
import { OIDC_SCOPES, type Profile } from './types.js';

/**
 * Auth0 tenants:
 * - issuer `https://<tenant>.auth0.com/` with a trailing slash: here `http://127.0.0.1:P/`;
 * - OpenID discovery only;
 * - the `audience` parameter (on /authorize and /oauth/token) selects the API; `resource` works too;
 * - `aud` is `[api, "<issuer>userinfo"]` when `openid` was asked, the API string otherwise;
 * - `scope` string with the OpenID scopes too, `permissions` array (the API scopes), `azp` = client,
 *   no `client_id` and header `typ: "JWT"` unless the RFC 9068 profile is on;
 * - client_credentials tokens: `sub` = `<client_id>@clients`, `gty: "client-credentials"`.
 */
export const auth0: Profile = {
  name: 'auth0',
  defaultIssuerPath: '',
  issuerTrailingSlash: true,
  routes: {
    authorization: '/authorize',
    token: '/oauth/token',
    introspection: '/oauth/introspect',
    revocation: '/oauth/revoke',
    registration: '/oidc/register',
    jwks: '/.well-known/jwks.json',
    userinfo: '/userinfo',
    end_session: '/oidc/logout',
  },
  discoveryPaths: (issuerPath) => ({
    openid: [`${issuerPath}/.well-known/openid-configuration`],
    oauth: [],
  }),
  transformMetadata: (doc) => doc,
  registrationByDefault: true,
  audience: (resource) => resource,
  defaultResource: (_resources, params) =>
    typeof params.audience === 'string' && params.audience ? params.audience : undefined,
  clientCredentialsGetsAllScopes: true,
  extraAuthorizationParams: ['audience'],
  shapeAccessToken(token, input) {
    const rfc9068 = input.options.auth0Rfc9068Profile === true;
    const { payload } = token;
    if (!rfc9068) {
      token.header = { ...token.header, typ: 'JWT' };
      delete payload.client_id;
    }
    const openid = input.requestedScopes.includes('openid');
    payload.aud = openid ? [input.resource, `${input.issuer}userinfo`] : input.resource;
    const oidcScopes = input.requestedScopes.filter((s) => OIDC_SCOPES.has(s));
    payload.scope = unionScopes(oidcScopes, input.scopes).join(' ') || undefined;
    payload.permissions = input.scopes.filter((s) => !OIDC_SCOPES.has(s));
    payload.azp = input.clientId;
    if (!input.user) {
      payload.sub = `${input.clientId}@clients`;
      payload.gty = 'client-credentials';
    }
  },
};
