import { createHash } from 'node:crypto';
import { OIDC_SCOPES, type Profile } from './types';

/** The API application id every Entra emulation token is for, unless `entraAudience` says otherwise. */
export const ENTRA_DEFAULT_AUDIENCE = '6e74172b-be56-4843-9ff4-e66a39bb12e3';

/** A stable GUID-shaped id for a string (Entra's `oid` is a GUID; ours derives from `sub`). */
function guidFrom(value: string): string {
  const h = createHash('sha256').update(value).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Microsoft Entra ID (v2 endpoint):
 * - issuer `https://login.microsoftonline.com/<tenant id>/v2.0`: here
 *   `http://127.0.0.1:P/00000000-0000-4000-8000-000000000000/v2.0`;
 * - OpenID discovery only; no dynamic registration;
 * - `aud` is the API's application id (a GUID; `entraAudience`), whatever resource was asked for;
 * - delegated tokens: `scp` space-separated string; app-only (client credentials) tokens: `roles`
 *   array, `idtyp: "app"`, no `scp`;
 * - the client in `azp`; `tid`, `oid`, `ver: "2.0"`, `uti`; header `typ: "JWT"`; no `client_id`, no
 *   `scope`.
 */
export const entra: Profile = {
  name: 'entra',
  defaultIssuerPath: '/00000000-0000-4000-8000-000000000000/v2.0',
  issuerTrailingSlash: false,
  routes: {
    authorization: '/oauth2/v2.0/authorize',
    token: '/oauth2/v2.0/token',
    introspection: '/oauth2/v2.0/introspect',
    revocation: '/oauth2/v2.0/revoke',
    registration: '/oauth2/v2.0/register',
    jwks: '/discovery/v2.0/keys',
    userinfo: '/oidc/userinfo',
    end_session: '/oauth2/v2.0/logout',
  },
  discoveryPaths: (issuerPath) => ({
    openid: [`${issuerPath}/.well-known/openid-configuration`],
    oauth: [],
  }),
  transformMetadata: (doc) => doc,
  registrationByDefault: false,
  audience: (_resource, options) => options.entraAudience ?? ENTRA_DEFAULT_AUDIENCE,
  // Entra selects the API by scope (`api://<app>/.default`), not by resource: one API per server here.
  defaultResource: (resources) => resources[0],
  clientCredentialsGetsAllScopes: true,
  extraAuthorizationParams: [],
  shapeAccessToken(token, input) {
    token.header = { ...token.header, typ: 'JWT' };
    const { payload } = token;
    const tid = new URL(input.issuer).pathname.split('/').filter(Boolean).at(-2);
    payload.ver = '2.0';
    payload.tid = tid;
    payload.azp = input.clientId;
    payload.uti = payload.jti;
    payload.nbf = payload.iat;
    const apiScopes = input.scopes.filter((s) => !OIDC_SCOPES.has(s));
    if (input.user) {
      payload.scp = apiScopes.join(' ') || undefined;
      payload.oid = guidFrom(input.user.sub);
      payload.preferred_username = input.user.email ?? input.user.username ?? input.user.sub;
      if (input.user.name) payload.name = input.user.name;
    } else {
      payload.roles = apiScopes;
      payload.idtyp = 'app';
      payload.oid = guidFrom(input.clientId);
      payload.sub = payload.oid;
    }
    delete payload.scope;
    delete payload.client_id;
  },
};
