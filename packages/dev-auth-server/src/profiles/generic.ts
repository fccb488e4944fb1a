import type { Profile } from './types.js';

/**
 * Standards only: RFC 8414 and OpenID discovery, RFC 9068 JWT access tokens (`typ: at+jwt`,
 * `aud` = the resource indicator, `client_id`, `scope` string), open dynamic registration.
 */
export const generic: Profile = {
  name: 'generic',
  defaultIssuerPath: '',
  issuerTrailingSlash: false,
  routes: {
    authorization: '/authorize',
    token: '/token',
    introspection: '/introspect',
    revocation: '/revoke',
    registration: '/register',
    jwks: '/jwks',
    userinfo: '/userinfo',
    end_session: '/logout',
  },
  discoveryPaths(issuerPath) {
    // RFC 8414 §3.1 inserts the well-known segment before the issuer path; OpenID Connect Discovery
    // appends it. With a path we serve the inserted OpenID form too, as MCP clients try it.
    const openid = [`${issuerPath}/.well-known/openid-configuration`];
    if (issuerPath) openid.push(`/.well-known/openid-configuration${issuerPath}`);
    return { openid, oauth: [`/.well-known/oauth-authorization-server${issuerPath}`] };
  },
  transformMetadata: (doc) => doc,
  registrationByDefault: true,
  audience: (resource) => resource,
  defaultResource: () => undefined,
  clientCredentialsGetsAllScopes: false,
  extraAuthorizationParams: [],
  shapeAccessToken() {
    // oidc-provider's own output is RFC 9068 already.
  },
};
