import { FORMAT_PARAM, findResource } from './config.js';
import type { ServerContext } from './context.js';

// biome-ignore lint/suspicious/noExplicitAny: oidc-provider's koa context, untyped
type Ctx = any;

/**
 * oidc-provider's resource server information for a resource indicator (its
 * `resourceIndicators.getResourceServerInfo`): scopes, audience (per profile), lifetime, format and
 * signing key. `invalid_target` for a resource this server does not know.
 */
export function resourceServerInfo(
  s: ServerContext,
  ctx: Ctx,
  indicator: string,
): Record<string, unknown> {
  const { profile, resources, options, accessTokenTtl } = s.config;
  const params = ctx?.oidc?.params;
  if (profile.rejectsResourceParameter) {
    // The request as the client sent it (oidc-provider fills `params.resource` with the default).
    const sent = ctx?.method === 'GET' ? ctx?.query : ctx?.oidc?.body;
    if (sent?.resource !== undefined) {
      throw new s.oidc.errors.InvalidRequest(
        "AADSTS901002: The 'resource' request parameter is not supported.",
      );
    }
  }
  const r = findResource(resources, indicator);
  if (!r) throw new s.oidc.errors.InvalidTarget();
  if (profile.checkClientCredentialsScope && params?.grant_type === 'client_credentials') {
    const refused = profile.checkClientCredentialsScope(params.scope, options);
    if (refused) throw new s.oidc.errors.InvalidScope(refused, params.scope);
  }
  const scopes = profile.resourceScopes?.(r.scopes, options) ?? r.scopes;
  if (
    profile.clientCredentialsGetsAllScopes &&
    params?.grant_type === 'client_credentials' &&
    !params.scope
  ) {
    // oidc-provider reads the requested scopes after resolving the resource.
    params.scope = scopes.join(' ');
  }
  const alg = r.alg ?? 'RS256';
  // Dev-only token request extension (the helpers' `format`): the same resource as JWT or
  // opaque, so a resource server can be tested with both kinds of token for its own URI.
  const asked = ctx?.oidc?.route === 'token' ? ctx.oidc.body?.[FORMAT_PARAM] : undefined;
  const format = asked === 'jwt' || asked === 'opaque' ? asked : (r.format ?? 'jwt');
  return {
    scope: scopes.join(' '),
    audience: profile.audience(r.uri, options),
    accessTokenTTL: r.accessTokenTtlSeconds ?? accessTokenTtl,
    accessTokenFormat: format,
    ...(format === 'opaque' ? {} : { jwt: { sign: { alg, kid: s.keys.currentKid(alg) } } }),
  };
}
