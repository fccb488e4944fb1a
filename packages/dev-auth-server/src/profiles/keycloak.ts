import { unionScopes } from '@mcp-auth/internal';
import { OIDC_SCOPES, type Profile } from './types.js';

/**
 * Keycloak realms:
 * - issuer `https://host/realms/<realm>`: here `http://127.0.0.1:P/realms/mcp`;
 * - OpenID discovery under the issuer path and RFC 8414 path-inserted (Keycloak 25+);
 * - endpoints under `/protocol/openid-connect/`; dynamic registration open;
 * - `aud` needs an audience mapper: with it (`keycloakAudienceMapper`, on by default)
 *   `[resource, "account"]`, without it just `"account"`;
 * - `typ: "Bearer"` claim (ID tokens say `"ID"`), `azp` = client, `scope` string with the OpenID
 *   scopes, `realm_access` / `resource_access` roles, `preferred_username`; service-account tokens
 *   (client credentials) carry `client_id` and `preferred_username: "service-account-<client>"`;
 *   header `typ: "JWT"`.
 */
export const keycloak: Profile = {
  name: 'keycloak',
  defaultIssuerPath: '/realms/mcp',
  issuerTrailingSlash: false,
  routes: {
    authorization: '/protocol/openid-connect/auth',
    token: '/protocol/openid-connect/token',
    introspection: '/protocol/openid-connect/token/introspect',
    revocation: '/protocol/openid-connect/revoke',
    registration: '/clients-registrations/openid-connect',
    jwks: '/protocol/openid-connect/certs',
    userinfo: '/protocol/openid-connect/userinfo',
    end_session: '/protocol/openid-connect/logout',
  },
  discoveryPaths: (issuerPath) => ({
    openid: [`${issuerPath}/.well-known/openid-configuration`],
    oauth: [`/.well-known/oauth-authorization-server${issuerPath}`],
  }),
  transformMetadata: (doc) => doc,
  registrationByDefault: true,
  audience: (resource) => resource,
  defaultResource: () => undefined,
  clientCredentialsGetsAllScopes: true,
  extraAuthorizationParams: [],
  idTokenMarkers: { typ: 'ID' },
  shapeAccessToken(token, input) {
    token.header = { ...token.header, typ: 'JWT' };
    const { payload } = token;
    const realm = new URL(input.issuer).pathname.split('/').filter(Boolean).at(-1);
    payload.typ = 'Bearer';
    payload.azp = input.clientId;
    payload.aud =
      input.options.keycloakAudienceMapper === false ? 'account' : [input.resource, 'account'];
    const oidcScopes = input.requestedScopes.filter((s) => OIDC_SCOPES.has(s));
    payload.scope = unionScopes(oidcScopes, input.scopes).join(' ') || undefined;
    payload.realm_access = {
      roles: [`default-roles-${realm}`, 'offline_access', 'uma_authorization'],
    };
    payload.resource_access = { account: { roles: ['manage-account', 'view-profile'] } };
    if (input.user) {
      delete payload.client_id;
      payload.preferred_username = input.user.username ?? input.user.email ?? input.user.sub;
      if (input.user.email) {
        payload.email = input.user.email;
        payload.email_verified = true;
      }
      if (input.user.name) payload.name = input.user.name;
    } else {
      payload.client_id = input.clientId;
      payload.preferred_username = `service-account-${input.clientId}`;
    }
  },
};
