import { createHash } from 'node:crypto';
import type { DevAuthServerOptions } from '../types.js';
import { OIDC_SCOPES, type Profile } from './types.js';

/** The API application (client) id every Entra emulation token is for, unless `entraAudience` says otherwise. */
export const ENTRA_DEFAULT_AUDIENCE = '6e74172b-be56-4843-9ff4-e66a39bb12e3';

/**
 * The API's Application ID URI, the prefix of its scopes: `entraAppIdUri`, else `entraAudience` when
 * that is already a URI, else `api://<application id>` (what the Entra portal proposes).
 */
export function entraAppIdUri(options: DevAuthServerOptions): string {
  if (options.entraAppIdUri) return options.entraAppIdUri;
  const aud = options.entraAudience;
  if (aud && /^[a-z][a-z0-9+.-]*:/i.test(aud)) return aud;
  return `api://${aud ?? ENTRA_DEFAULT_AUDIENCE}`;
}

/** A stable GUID-shaped id for a string (Entra's `oid` is a GUID; ours derives from `sub`). */
function guidFrom(value: string): string {
  const h = createHash('sha256').update(value).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The short scope names a token carries for the scopes granted: `api://<app>/mcp.read` is
 * `mcp.read`; `api://<app>/.default` is every scope of the API (what the client was granted).
 */
function apiScopeNames(
  granted: readonly string[],
  configured: readonly string[],
  options: DevAuthServerOptions,
): string[] {
  const prefix = `${entraAppIdUri(options)}/`;
  const names = new Set<string>();
  for (const scope of granted) {
    if (!scope.startsWith(prefix)) continue;
    const name = scope.slice(prefix.length);
    if (name === '.default') for (const c of configured) names.add(c);
    else names.add(name);
  }
  return [...names];
}

/**
 * Microsoft Entra ID (v2 endpoint), as it really is:
 * - issuer `https://login.microsoftonline.com/<tenant id>/v2.0`: here
 *   `http://127.0.0.1:P/00000000-0000-4000-8000-000000000000/v2.0`;
 * - OpenID discovery only, listing OpenID scopes only; no dynamic registration;
 * - the `resource` parameter is refused at /authorize and /token (`invalid_request`, AADSTS901002):
 *   the API is named by its scopes, `api://<app>/<scope>`, and client credentials must ask for
 *   `api://<app>/.default` (anything else: `invalid_scope`, AADSTS1002012);
 * - `aud` is the API's application id (a GUID; `entraAudience`, or its `api://` URI);
 * - delegated tokens: `scp` space-separated string of short scope names; app-only (client
 *   credentials) tokens: `roles` array, `idtyp: "app"`, no `scp`;
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
  // Entra's discovery document lists the OpenID scopes only; API scopes live on the app registration.
  transformMetadata: (doc) => ({
    ...doc,
    scopes_supported: (doc.scopes_supported as string[]).filter((s) => OIDC_SCOPES.has(s)),
  }),
  registrationByDefault: false,
  audience: (_resource, options) => options.entraAudience ?? ENTRA_DEFAULT_AUDIENCE,
  // Entra selects the API by scope (`api://<app>/.default`), not by resource: one API per server here.
  defaultResource: (resources) => resources[0],
  clientCredentialsGetsAllScopes: false,
  extraAuthorizationParams: [],
  rejectsResourceParameter: true,
  resourceScopes: (scopes, options) => {
    const uri = entraAppIdUri(options);
    return [...scopes.map((s) => `${uri}/${s}`), `${uri}/.default`];
  },
  checkClientCredentialsScope(scope, options) {
    const expected = `${entraAppIdUri(options)}/.default`;
    return scope === expected
      ? undefined
      : `AADSTS1002012: The provided value for scope ${scope ?? '(none)'} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`;
  },
  helperScope: (scopes, grant, options) => {
    const uri = entraAppIdUri(options);
    return grant === 'client_credentials'
      ? `${uri}/.default`
      : scopes.map((s) => `${uri}/${s}`).join(' ');
  },
  shapeAccessToken(token, input) {
    token.header = { ...token.header, typ: 'JWT' };
    const { payload } = token;
    const tid = new URL(input.issuer).pathname.split('/').filter(Boolean).at(-2);
    payload.ver = '2.0';
    payload.tid = tid;
    payload.azp = input.clientId;
    payload.uti = payload.jti;
    payload.nbf = payload.iat;
    const apiScopes = apiScopeNames(input.scopes, input.resourceScopes, input.options);
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
