import { randomBytes } from 'node:crypto';
import { findResource, findUser, OIDC_SCOPES } from './config.js';
import type { ServerContext } from './context.js';
import { registerExtensionGrants } from './grants/index.js';
import { createAdapter } from './internal/adapter.js';
import { secret } from './internal/http.js';
import { type RegistrationScope, registrationScope } from './internal/registration-scope.js';
import { escapeHtml, messagePage } from './internal/views.js';
import type { StructuredToken } from './profiles/index.js';
import { resourceServerInfo } from './resource-server.js';

/**
 * Provider construction: the oidc-provider configuration of one server (clients, keys, scopes,
 * resource indicators, token formats and lifetimes, the profile's token shapes) and the (re)build of
 * the instance, which key rotation repeats.
 */

// Deliberately loose shapes: oidc-provider's objects, typed only as far as this file reads them.
// biome-ignore lint/suspicious/noExplicitAny: oidc-provider ships no types
type Ctx = any;
// biome-ignore lint/suspicious/noExplicitAny: oidc-provider ships no types
type Token = any;

function requestedScopes(ctx: Ctx, token: Token): string[] {
  const e = ctx?.oidc?.entities ?? {};
  const scope =
    e.AuthorizationCode?.scope ??
    e.RefreshToken?.scope ??
    ctx?.oidc?.params?.scope ??
    token.scope ??
    '';
  return String(scope).split(' ').filter(Boolean);
}

function customizeJwt(s: ServerContext, ctx: Ctx, token: Token, jwt: StructuredToken): void {
  const { profile, users, options } = s.config;
  const resource: string | undefined = token.resourceServer?.identifier();
  if (!resource) return;
  // oidc-provider does not store JWT access tokens; remembering their ids lets the introspection
  // endpoint answer for them (and for no other JWT signed with the same keys, like ID tokens).
  const { jti, exp } = jwt.payload;
  if (typeof jti === 'string' && typeof exp === 'number') {
    s.store.set(`IssuedJwt:${jti}`, true, Math.max(1, exp - Math.floor(Date.now() / 1000)));
  }
  const user = token.accountId ? findUser(users, token.accountId) : undefined;
  profile.shapeAccessToken(jwt, {
    issuer: s.issuer,
    clientId: token.clientId,
    user,
    scopes: String(token.scope ?? '')
      .split(' ')
      .filter(Boolean),
    requestedScopes: requestedScopes(ctx, token),
    resource,
    resourceScopes: findResource(s.config.resources, resource)?.scopes ?? [],
    grantType: token.kind === 'ClientCredentials' ? 'client_credentials' : 'user',
    options,
  });
}

/** Parts of the configuration made once per server and kept across rebuilds. */
interface Persistent {
  Adapter: ReturnType<typeof createAdapter>;
  cookieKeys: string[];
  registrationScopes: RegistrationScope;
  /** Key of oidc-provider's stateless DPoP nonces (RFC 9449 §8). */
  dpopNonceSecret: Buffer;
}

/** DPoP proof algorithms accepted: oidc-provider's (ES256, EdDSA) plus RSA ones clients use. */
const DPOP_ALGS = ['ES256', 'Ed25519', 'EdDSA', 'RS256', 'PS256'];

/** oidc-provider's configuration for this server, read afresh at each (re)build. */
function configuration(s: ServerContext, p: Persistent): Record<string, unknown> {
  const { profile, users, resources, registration, accessTokenTtl, refreshTokenTtl } = s.config;
  const { errors } = s.oidc;
  return {
    adapter: p.Adapter,
    clients: s.clients.all,
    jwks: s.keys.jwks(),
    cookies: { keys: p.cookieKeys },
    claims: {
      openid: ['sub', ...Object.keys(profile.idTokenMarkers ?? {})],
      email: ['email', 'email_verified'],
      // users' extra claims are released with the profile scope
      profile: [
        ...new Set([
          'name',
          'preferred_username',
          ...users.flatMap((u) => Object.keys(u.claims ?? {})),
        ]),
      ],
    },
    scopes: OIDC_SCOPES,
    responseTypes: ['code'],
    conformIdTokenClaims: false,
    extraParams: profile.extraAuthorizationParams,
    enabledJWA: { dPoPSigningAlgValues: DPOP_ALGS },
    features: {
      devInteractions: { enabled: false },
      dPoP: {
        enabled: true,
        nonceSecret: p.dpopNonceSecret,
        requireNonce: () => s.config.options.requireDpopNonce === true,
      },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Resource servers (any confidential client, `mcp-introspector` above all) may introspect
        // every token; a public client only its own.
        allowedPolicy: async (_ctx: Ctx, client: Token, token: Token) =>
          client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: Ctx, client: Token, token: Token) => {
          if (token.clientId === client.clientId || client.clientId === 'mcp-introspector') {
            return true;
          }
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      registration: {
        enabled: registration,
        initialAccessToken: false,
        idFactory: p.registrationScopes.idFactory,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx: Ctx, _client: Token, oneOf?: string[]) => {
          if (oneOf) return oneOf;
          return profile.defaultResource(
            resources.map((r) => r.uri),
            { audience: ctx?.oidc?.params?.audience ?? ctx?.oidc?.body?.audience },
          );
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx: Ctx, indicator: string) =>
          resourceServerInfo(s, ctx, indicator),
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    findAccount: async (_ctx: Ctx, sub: string) => {
      const user = findUser(users, sub);
      if (!user || user.sub !== sub) return undefined;
      return {
        accountId: user.sub,
        claims: async (use: string) => ({
          ...user.claims,
          ...(use === 'id_token' ? profile.idTokenMarkers : {}),
          sub: user.sub,
          ...(user.email ? { email: user.email, email_verified: true } : {}),
          ...(user.name ? { name: user.name } : {}),
          preferred_username: user.username ?? user.email ?? user.sub,
        }),
      };
    },
    formats: {
      customizers: {
        jwt: (ctx: Ctx, token: Token, jwt: StructuredToken) => customizeJwt(s, ctx, token, jwt),
      },
    },
    interactions: {
      url: async (_ctx: Ctx, i: { uid: string }) => `${s.config.issuerPath}/interaction/${i.uid}`,
    },
    pkce: { required: () => true },
    routes: profile.routes,
    ttl: {
      AccessToken: (_ctx: Ctx, token: Token) =>
        token.resourceServer?.accessTokenTTL ?? accessTokenTtl,
      ClientCredentials: (_ctx: Ctx, token: Token) =>
        token.resourceServer?.accessTokenTTL ?? accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Grant: Math.max(refreshTokenTtl, accessTokenTtl),
      Session: 24 * 3600,
      RefreshToken: refreshTokenTtl,
    },
    // OAuth 2.1 clients get refresh tokens without the OpenID `offline_access` ceremony.
    issueRefreshToken: async (_ctx: Ctx, client: Token) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: async () => false,
    clientBasedCORS: (_ctx: Ctx, origin: string, client: Token) => {
      if (origin === 'null') return false;
      const parsed = URL.parse(origin);
      if (parsed && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) return true;
      return client.redirectUris.some((u: string) => URL.parse(u)?.origin === origin);
    },
    renderError: async (ctx: Ctx, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = messagePage(
        'Authorization error',
        `${out.error ?? 'error'}: ${out.error_description ?? ''}`,
      ).replace(
        '</main>',
        `<pre><strong>error</strong>: ${escapeHtml(out.error ?? '')}</pre></main>`,
      );
    },
    logoutSource: async (ctx: Ctx, form: string) => {
      ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign out</title></head><body>${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button></body></html>`;
    },
    postLogoutSuccessSource: async (ctx: Ctx) => {
      ctx.body = messagePage('Signed out', 'You are signed out.');
    },
  };
}

export function providerBuilder(s: ServerContext): () => void {
  const persistent: Persistent = {
    Adapter: createAdapter(s.store),
    cookieKeys: [secret()],
    dpopNonceSecret: randomBytes(32),
    registrationScopes: registrationScope({
      advertised: () => new Set([...OIDC_SCOPES, ...s.config.resources.flatMap((r) => r.scopes)]),
      openidScopes: new Set(OIDC_SCOPES),
      InvalidClientMetadata: s.oidc.errors.InvalidClientMetadata,
    }),
  };
  return () => buildProvider(s, persistent);
}

/** Makes a new oidc-provider instance from the current configuration and keys, and installs it. */
function buildProvider(s: ServerContext, p: Persistent): void {
  const { logger } = s.config;
  const next = new s.oidc.default(s.issuer, configuration(s, p));
  next.proxy = false;
  next.on('server_error', (_ctx: unknown, err: Error) =>
    logger.error?.('dev-auth-server: server_error', { err: String(err), stack: err.stack }),
  );
  for (const event of [
    'grant.error',
    'introspection.error',
    'revocation.error',
    'registration_create.error',
  ]) {
    next.on(event, (_ctx: unknown, err: Error) =>
      logger.debug?.(`dev-auth-server: ${event}`, { err: String(err) }),
    );
  }
  next.on('registration_create.success', p.registrationScopes.onRegistered);
  registerExtensionGrants(s, next);
  s.provider = next;
  s.callback = next.callback();
}
