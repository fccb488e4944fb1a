import { protectedResourceMetadataUrl } from '@mcp-auth/discovery';
import { extractBearerToken, type HeaderSource } from './bearer.js';
import {
  IssuerValidator,
  type ScopeOption,
  type TokenRouter,
} from './internal/issuer-validator.js';
import { MultiIssuerRouter } from './internal/multi-issuer.js';
import { resolveIssuerList, resolveOptions } from './internal/options.js';
import { toSdkError } from './internal/sdk.js';
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
  if (list === undefined) {
    const cfg = resolveOptions(options);
    return publicValidator(new IssuerValidator(cfg), {
      resource: cfg.resource,
      requiredScopes: cfg.requiredScopes,
      maxTokenLength: cfg.maxTokenLength,
      issuers: [cfg.issuer],
    });
  }
  const configs = list.map(resolveOptions);
  const first = configs[0]!;
  return publicValidator(new MultiIssuerRouter(configs), {
    resource: first.resource,
    requiredScopes: first.requiredScopes,
    maxTokenLength: first.maxTokenLength,
    issuers: configs.map((c) => c.issuer),
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
  },
): TokenValidator {
  const validate = (token: string, s?: ScopeOption) => router.validateToken(token, s, false);
  return Object.freeze({
    validate,
    verifyAccessToken: (token: string) => validate(token).catch((err) => toSdkError(err)),
    authenticate: (req: unknown, s?: ScopeOption) => {
      let token: string;
      try {
        token = extractBearerToken(req as HeaderSource, { maxLength: o.maxTokenLength });
      } catch (err) {
        return Promise.reject(err);
      }
      return router.validateToken(token, s, true);
    },
    resource: o.resource,
    resourceMetadataUrl: protectedResourceMetadataUrl(o.resource),
    requiredScopes: [...o.requiredScopes],
    issuer: o.issuers[0]!,
    issuers: Object.freeze([...o.issuers]),
    evict: (token: string) => router.evict(token),
    stats: () => router.stats(),
    close: () => router.close(),
  });
}
