import { randomBytes } from 'node:crypto';

// biome-ignore lint/suspicious/noExplicitAny: oidc-provider's koa context, untyped
type Ctx = any;

const KEPT = Symbol('dev-auth-server registered scope');

/**
 * `scope` in dynamic registration requests (RFC 7591 §2), for every scope the server advertises.
 *
 * oidc-provider checks a client's `scope` against its OpenID scopes only (its `scopes` option), so a
 * registration naming a resource scope (`mcp:tools`) fails with `invalid_client_metadata`. The
 * official MCP SDK client and the MCP Inspector send `scope` (the resource's `scopes_supported`) when
 * they register, so they could not sign in. Resource scopes cannot join oidc-provider's `scopes`
 * (they would become OpenID scopes, granted to ID tokens and userinfo). Instead:
 *
 * 1. before oidc-provider validates the metadata (its `idFactory` hook runs first), every value must be
 *    an advertised scope, else `invalid_client_metadata` with oidc-provider's own message; the stored
 *    client keeps the OpenID part of its `scope` (oidc-provider's allow-list applies to those only);
 * 2. the registration response echoes the `scope` the client registered (`registration_create.success`).
 */
export interface RegistrationScope {
  /** oidc-provider `features.registration.idFactory`. */
  idFactory(ctx: Ctx): string;
  /** Listener for oidc-provider's `registration_create.success` event. */
  onRegistered(ctx: Ctx): void;
}

export function registrationScope(o: {
  /** Every scope the server advertises (`scopes_supported`), read at each registration. */
  advertised: () => ReadonlySet<string>;
  /** oidc-provider's own (OpenID) scopes. */
  openidScopes: ReadonlySet<string>;
  /** oidc-provider's `errors.InvalidClientMetadata`. */
  InvalidClientMetadata: new (
    description: string,
  ) => Error;
}): RegistrationScope {
  return {
    idFactory(ctx) {
      const body = ctx?.oidc?.body;
      const scope = body?.scope;
      if (typeof scope === 'string' && scope !== '') {
        const values = [...new Set(scope.split(' '))];
        const advertised = o.advertised();
        if (!values.every((s) => advertised.has(s))) {
          throw new o.InvalidClientMetadata(
            'scope must only contain Authorization Server supported scope values',
          );
        }
        ctx[KEPT] = values.join(' ');
        const openid = values.filter((s) => o.openidScopes.has(s));
        if (openid.length) body.scope = openid.join(' ');
        else delete body.scope;
      }
      // oidc-provider's default client ids are 21 url-safe characters; these are 22.
      return randomBytes(16).toString('base64url');
    },
    onRegistered(ctx) {
      if (typeof ctx?.[KEPT] === 'string' && ctx.body && typeof ctx.body === 'object') {
        ctx.body.scope = ctx[KEPT];
      }
    },
  };
}
