import { unionScopes } from '@mcp-auth/internal';
import { OIDC_SCOPES, type Profile } from './types.js';

/**
 * Okta custom authorization servers:
 * - issuer `https://<org>/oauth2/default`: here `http://127.0.0.1:P/oauth2/default`;
 * - both discovery documents under the issuer path (`/oauth2/default/.well-known/...`), none at the
 *   root or path-inserted;
 * - `aud` is the authorization server's audience, `api://default` by default (`oktaAudience`),
 *   whatever resource was asked for;
 * - `scp` array (OpenID scopes included) instead of `scope`, `cid` = client, `uid` = user id,
 *   `sub` = the user's login, `ver: 1`, no `typ` in the header, no `client_id`;
 * - introspection at `/v1/introspect`; no dynamic registration (Okta's is admin-API only).
 */
export const okta: Profile = {
  name: 'okta',
  defaultIssuerPath: '/oauth2/default',
  issuerTrailingSlash: false,
  routes: {
    authorization: '/v1/authorize',
    token: '/v1/token',
    introspection: '/v1/introspect',
    revocation: '/v1/revoke',
    registration: '/v1/clients',
    jwks: '/v1/keys',
    userinfo: '/v1/userinfo',
    end_session: '/v1/logout',
  },
  discoveryPaths: (issuerPath) => ({
    openid: [`${issuerPath}/.well-known/openid-configuration`],
    oauth: [`${issuerPath}/.well-known/oauth-authorization-server`],
  }),
  transformMetadata: (doc) => doc,
  registrationByDefault: false,
  audience: (_resource, options) => options.oktaAudience ?? 'api://default',
  // Okta has no resource indicators: every token is for the authorization server's audience.
  defaultResource: (resources) => resources[0],
  clientCredentialsGetsAllScopes: false,
  extraAuthorizationParams: [],
  shapeAccessToken(token, input) {
    token.header = { ...token.header, typ: undefined };
    const { payload } = token;
    payload.ver = 1;
    payload.scp = unionScopes(
      input.requestedScopes.filter((s) => OIDC_SCOPES.has(s)),
      input.scopes,
    );
    delete payload.scope;
    payload.cid = input.clientId;
    delete payload.client_id;
    if (input.user) {
      payload.uid = input.user.sub;
      payload.sub = input.user.username ?? input.user.email ?? input.user.sub;
      payload.auth_time = payload.iat;
    }
  },
};
