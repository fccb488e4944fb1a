import { protectedResourceMetadataUrl } from '@mcp-auth/discovery';
import { bearerTokenForLookup, extractBearerToken, type HeaderSource } from './bearer.js';
import { DpopAuthenticator, refuseBoundToken } from './dpop/authenticate.js';
import { type ResolvedDpop, resolveDpopOptions } from './dpop/options.js';
import {
  IssuerValidator,
  type ScopeOption,
  type TokenRouter,
} from './internal/issuer-validator.js';
import { isCanonicalJws } from './internal/jws.js';
import { MultiIssuerRouter } from './internal/multi-issuer.js';
import { resolveIssuerList, resolveOptions } from './internal/options.js';
import { toSdkError } from './internal/sdk.js';
import { loadTracing } from './internal/tracing.js';
import type { TokenValidator, TokenValidatorOptions } from './types.js';

/**
 * Creates a validator for the access tokens of one authorization server and one resource (this MCP
 * server): JWTs verified locally against the issuer's JWKS (RFC 9068), opaque tokens introspected
 * (RFC 7662), audience bound to the resource (RFC 8707), scopes enforced, results cached with
 * single-flight loading. Option mistakes throw a `TypeError` here; the issuer's metadata is
 * discovered on the first request, with backoff, and never crashes the process.
 *
 * A cached token is validated synchronously from memory (`validate` returns an already settled
 * promise). A revoked opaque token is refused at most `introspection.cacheMaxSeconds` after
 * revocation, a JWT of a removed key at most `jwt.jwksCacheMaxAgeSeconds` after removal, any
 * token at once after `evict(token)` (README, "Security model").
 *
 * @example
 * ```ts
 * import { createTokenValidator } from '@mcp-auth/validator';
 *
 * const validator = createTokenValidator({
 *   issuer: 'https://auth.example.com',
 *   resource: 'https://mcp.example.com/mcp',
 *   requiredScopes: ['mcp:read'],
 * });
 * const auth = await validator.validate(token); // AuthInfo, or throws TokenValidationError
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function createTokenValidator(options: TokenValidatorOptions): TokenValidator {
  const list = resolveIssuerList(options);
  const configs = list === undefined ? [resolveOptions(options)] : list.map(resolveOptions);
  const first = configs[0]!;
  const dpop = resolveDpopOptions(options.dpop, {
    sharedCacheStore: first.cache.store !== undefined,
    now: first.now,
  });
  const router = list === undefined ? new IssuerValidator(first) : new MultiIssuerRouter(configs);
  // Optional spans (JWKS fetches, introspection) when @opentelemetry/api and a provider are there.
  void loadTracing();
  return publicValidator(router, {
    resource: first.resource,
    requiredScopes: first.requiredScopes,
    maxTokenLength: first.maxTokenLength,
    issuers: configs.map((c) => c.issuer),
    now: first.now,
    dpop,
  });
}

/** The frozen public object over a single-issuer validator or a multi-issuer router. */
function publicValidator(
  router: TokenRouter,
  o: {
    resource: string;
    requiredScopes: readonly string[];
    maxTokenLength: number;
    issuers: readonly string[];
    now: () => number;
    dpop: ResolvedDpop | undefined;
  },
): TokenValidator {
  if (o.dpop !== undefined) return dpopValidator(router, o, o.dpop);
  const validate = (token: string, s?: ScopeOption) => router.validateToken(token, s, 'unchecked');
  return Object.freeze({
    validate,
    verifyAccessToken: (token: string) => validate(token).catch((err) => toSdkError(err)),
    authenticate: (req: unknown, s?: ScopeOption) => {
      // A token equal to a cached one passed every syntax rule when it was first validated.
      const known = bearerTokenForLookup(req as HeaderSource, o.maxTokenLength);
      if (known !== undefined) {
        const hit = router.cached(known, s);
        if (hit !== undefined) return hit;
        // A canonical compact JWS is token68 too: one scan checks the header's token.
        if (isCanonicalJws(known, 0, known.length)) return router.validateToken(known, s, 'jws');
      }
      let token: string;
      try {
        token = extractBearerToken(req as HeaderSource, { maxLength: o.maxTokenLength });
      } catch (err) {
        return Promise.reject(err);
      }
      return router.validateToken(token, s, 'token68');
    },
    resource: o.resource,
    resourceMetadataUrl: protectedResourceMetadataUrl(o.resource),
    requiredScopes: [...o.requiredScopes],
    issuer: o.issuers[0]!,
    issuers: Object.freeze([...o.issuers]),
    dpop: undefined,
    evict: (token: string) => router.evict(token),
    stats: () => router.stats(),
    close: () => router.close(),
  });
}

/**
 * The public object with DPoP on: `authenticate` goes through the {@link DpopAuthenticator};
 * `validate` and `verifyAccessToken` (a bare token, no proof) refuse DPoP-bound tokens.
 */
function dpopValidator(
  router: TokenRouter,
  o: Parameters<typeof publicValidator>[1],
  dpop: ResolvedDpop,
): TokenValidator {
  const authn = new DpopAuthenticator(dpop, router, o);
  const validate = (token: string, s?: ScopeOption) =>
    router.validateToken(token, s, 'unchecked').then(refuseBoundToken);
  return Object.freeze({
    validate,
    verifyAccessToken: (token: string) => validate(token).catch((err) => toSdkError(err)),
    authenticate: (req: unknown, s?: { requiredScopes?: string[]; url?: string }) =>
      authn.authenticate(req, s),
    resource: o.resource,
    resourceMetadataUrl: protectedResourceMetadataUrl(o.resource),
    requiredScopes: [...o.requiredScopes],
    issuer: o.issuers[0]!,
    issuers: Object.freeze([...o.issuers]),
    dpop: Object.freeze({ mode: dpop.mode, algorithms: dpop.algorithms }),
    evict: (token: string) => router.evict(token),
    stats: () => router.stats(),
    close: async () => {
      await router.close();
      await authn.close();
    },
  });
}
