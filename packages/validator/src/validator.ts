import { type Cache, createCache, hashKey } from '@mcp-auth/cache';
import { protectedResourceMetadataUrl } from '@mcp-auth/discovery';
import { compactVerify, type JWTHeaderParameters } from 'jose';
import { checkTokenSyntax, extractBearerToken, type HeaderSource } from './bearer.js';
import { TokenValidationError } from './errors.js';
import { type ClaimRules, checkAccessTokenClaims } from './internal/claims.js';
import { RemoteKeySet } from './internal/jwks.js';
import { IssuerMetadata } from './internal/metadata.js';
import { type ResolvedOptions, resolveOptions } from './internal/options.js';
import { toSdkError } from './internal/sdk.js';
import { type IntrospectionSettings, introspectToken } from './introspection.js';
import {
  allowlistedKeys,
  checkedClaims,
  mapJoseError,
  parseClaims,
  verifyJwtSignature,
} from './jwt.js';
import type {
  AuthInfo,
  CustomValidatorResult,
  TokenValidator,
  TokenValidatorOptions,
  TokenValidatorStats,
} from './types.js';

/** What the in-process cache holds per token: everything the hot path needs, precomputed. */
interface CachedAuth {
  readonly authInfo: AuthInfo;
  /** A settled promise of `authInfo`, made on the first cache hit and returned as is after that. */
  promise: Promise<AuthInfo> | undefined;
  /** `exp` in milliseconds: past it the entry is never used, whatever the cache says. */
  readonly validUntilMs: number;
  /** The granted scopes (short lists: `includes` beats building a Set per token). */
  readonly scopes: readonly string[];
  /** Whether the token has every validator-wide required scope. */
  readonly satisfiesDefault: boolean;
}

/** What a shared store holds per token (JSON; re-checked on read). */
interface SharedAuth {
  v: 1;
  tokenType: 'jwt' | 'opaque' | 'custom';
  claims: Record<string, unknown>;
  scopes: string[];
  expiresAt: number;
  extra: Record<string, unknown>;
}

/** Rejections that are a property of the token itself: safe to remember briefly. */
const CACHEABLE_REJECTIONS = new Set([
  'ERR_TOKEN_MALFORMED',
  'ERR_ALG_NOT_ALLOWED',
  'ERR_SIGNATURE_INVALID',
  'ERR_CRIT_UNSUPPORTED',
  'ERR_TYP_INVALID',
  'ERR_NOT_ACCESS_TOKEN',
  'ERR_ISSUER_MISMATCH',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_TOO_OLD',
  'ERR_CLAIM_INVALID',
  'ERR_AUDIENCE_MISMATCH',
  'ERR_CLIENT_NOT_ALLOWED',
  'ERR_TOKEN_INACTIVE',
  'ERR_CUSTOM_VALIDATION_FAILED',
  'ERR_KEY_NOT_FOUND',
]);

/** No extra AuthInfo fields (the common case: no custom validator). */
const NO_EXTRA: Record<string, unknown> = Object.freeze({});

function looksLikeJwt(token: string): boolean {
  const first = token.indexOf('.');
  if (first <= 0) return false;
  const second = token.indexOf('.', first + 1);
  return second > first && token.indexOf('.', second + 1) === -1;
}

function insufficientScope(required: readonly string[]): TokenValidationError {
  return new TokenValidationError('ERR_INSUFFICIENT_SCOPE', 'The token lacks a required scope', {
    requiredScopes: [...required],
    reason: 'missing_scope',
  });
}

/**
 * Creates a validator for the access tokens of one authorization server and one resource (this MCP
 * server): JWTs verified locally against the issuer's JWKS (RFC 9068), opaque tokens introspected
 * (RFC 7662), audience bound to the resource (RFC 8707), scopes enforced, results cached with
 * single-flight loading. Option mistakes throw a `TypeError` here; the issuer's metadata is
 * discovered on the first request, with backoff, and never crashes the process.
 *
 * A cached token is validated synchronously from memory (`validate` returns an already settled
 * promise). A revoked token keeps working until its cache entry ends: at most `cache.ttlSeconds`.
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
  const cfg: ResolvedOptions = resolveOptions(options);
  const { now, logger } = cfg;
  const resourceUrl = new URL(cfg.resource);
  const resourceMetadataUrl = protectedResourceMetadataUrl(cfg.resource);

  const rules: ClaimRules = {
    issuer: cfg.issuer,
    audiences: cfg.audiences,
    strictAudience: cfg.strictAudienceValidation,
    allowedClientIds: cfg.allowedClientIds,
    profile: cfg.profile,
    clockToleranceSeconds: cfg.jwt.clockToleranceSeconds,
    maxTokenAgeSeconds: cfg.jwt.maxTokenAgeSeconds,
  };

  const counters = { jwtVerifications: 0, introspections: 0 };

  const metadata = new IssuerMetadata(cfg.issuer, {
    http: cfg.http,
    timeoutMs: cfg.discoveryTimeoutMs,
    maxAgeMs: 3_600_000,
    now,
    logger,
  });

  const keys = new RemoteKeySet({
    uri: async () => {
      if (cfg.jwt.jwksUri !== undefined) return cfg.jwt.jwksUri;
      const m = await metadata.get();
      if (m.jwksUri === undefined) {
        logger.error?.('The authorization server metadata has no jwks_uri', { issuer: cfg.issuer });
        throw new TokenValidationError(
          'ERR_AUTH_SERVER_UNAVAILABLE',
          'The authorization server publishes no keys (jwks_uri)',
          { reason: 'no_jwks_uri', retryAfterSeconds: 60 },
        );
      }
      return m.jwksUri;
    },
    http: cfg.http,
    timeoutMs: cfg.jwt.jwksTimeoutMs,
    maxBytes: cfg.jwt.jwksMaxBytes,
    maxAgeMs: cfg.jwt.jwksCacheMaxAgeSeconds * 1000,
    cooldownMs: cfg.jwt.jwksRefetchCooldownSeconds * 1000,
    maxStaleMs: 3_600_000,
    now,
    logger,
  });

  /** The key function every JWT verification uses: the algorithm allowlist, then the issuer's keys. */
  const jwtKeys = allowlistedKeys(cfg.jwt.algorithms, keys.getKey);

  async function introspectionSettings(): Promise<IntrospectionSettings> {
    const i = cfg.introspection!;
    let endpoint = i.endpoint;
    let authMethod = i.authMethod;
    // An explicitly configured endpoint needs no discovery: authMethod then defaults to basic.
    if (endpoint !== undefined) authMethod ??= 'client_secret_basic';
    if (endpoint === undefined || authMethod === undefined) {
      const m = await metadata.get();
      endpoint ??= m.introspectionEndpoint;
      if (endpoint === undefined) {
        logger.error?.('The authorization server metadata has no introspection_endpoint', {
          issuer: cfg.issuer,
        });
        throw new TokenValidationError(
          'ERR_AUTH_SERVER_UNAVAILABLE',
          'The authorization server offers no token introspection',
          { reason: 'no_introspection_endpoint', retryAfterSeconds: 60 },
        );
      }
      const methods = m.introspectionAuthMethods;
      authMethod ??=
        methods !== undefined &&
        !methods.includes('client_secret_basic') &&
        methods.includes('client_secret_post')
          ? 'client_secret_post'
          : 'client_secret_basic';
    }
    return {
      endpoint,
      clientId: i.clientId,
      clientSecret: i.clientSecret,
      authMethod,
      timeoutMs: i.timeoutMs,
      maxResponseBytes: i.maxResponseBytes,
    };
  }

  const local: Cache<CachedAuth> = createCache<CachedAuth>({
    maxEntries: cfg.cache.maxEntries,
    ttlSeconds: cfg.cache.ttlSeconds,
    negative: {
      maxEntries: cfg.cache.negativeMaxEntries,
      // 0 disables negative caching: load() then never returns an error entry.
      ttlSeconds: cfg.cache.negativeTtlSeconds || 1,
    },
    now,
    logger,
    name: 'validator',
  });
  const shared: Cache<SharedAuth> | undefined =
    cfg.cache.store === undefined
      ? undefined
      : createCache<SharedAuth>({
          store: cfg.cache.store,
          maxEntries: cfg.cache.maxEntries,
          ttlSeconds: cfg.cache.ttlSeconds,
          now,
          logger,
          name: 'validator-shared',
        });
  // Shared keys are namespaced by everything that decides validity, so two validators with
  // different resources (or issuers, profiles, bindings) sharing one Redis never trust each other.
  const sharedNamespace = `validator:v1:${hashKey(
    JSON.stringify([
      cfg.issuer,
      cfg.resource,
      cfg.profile.name,
      [...cfg.audiences].sort(),
      cfg.allowedClientIds ? [...cfg.allowedClientIds].sort() : null,
      cfg.strictAudienceValidation,
      cfg.tokenFormat,
    ]),
  ).slice(0, 16)}:`;

  function buildEntry(
    token: string,
    tokenType: 'jwt' | 'opaque' | 'custom',
    claims: Record<string, unknown>,
    checked: { clientId: string; scopes: string[]; subject: string | undefined; expiresAt: number },
    extra: Record<string, unknown>,
  ): CachedAuth {
    const authInfo: AuthInfo = {
      token,
      clientId: checked.clientId,
      scopes: checked.scopes,
      expiresAt: checked.expiresAt,
      resource: resourceUrl,
      extra: {
        ...(extra === NO_EXTRA ? undefined : extra),
        subject: checked.subject,
        issuer: cfg.issuer,
        tokenType,
        claims,
      },
    };
    // Shared by every request carrying this token: frozen so no handler can alter another's view.
    Object.freeze(claims);
    Object.freeze(authInfo.scopes);
    Object.freeze(authInfo.extra);
    Object.freeze(authInfo);
    return {
      authInfo,
      promise: undefined,
      // The clock tolerance applies to a cached entry exactly as to a fresh check of `exp`.
      validUntilMs: (checked.expiresAt + cfg.jwt.clockToleranceSeconds) * 1000,
      scopes: checked.scopes,
      satisfiesDefault: cfg.requiredScopes.every((s) => checked.scopes.includes(s)),
    };
  }

  /** Runs the custom validator and applies its result without ever weakening the checks. */
  async function applyCustom(
    token: string,
    tokenType: 'jwt' | 'opaque' | 'custom',
    claims: Record<string, unknown> | undefined,
    header: Record<string, unknown> | undefined,
  ): Promise<CustomValidatorResult | undefined> {
    const custom = cfg.customValidator;
    if (custom === undefined) return undefined;
    let result: CustomValidatorResult | false | undefined;
    try {
      result = await custom(token, {
        tokenType,
        claims,
        header,
        issuer: cfg.issuer,
        resource: cfg.resource,
      });
    } catch (err) {
      if (err instanceof TokenValidationError) throw err;
      throw new TokenValidationError('ERR_CUSTOM_VALIDATION_FAILED', 'The token was rejected', {
        reason: 'custom_validator',
        cause: err,
      });
    }
    if (result === false) {
      throw new TokenValidationError('ERR_CUSTOM_VALIDATION_FAILED', 'The token was rejected', {
        reason: 'custom_validator',
      });
    }
    if (result !== undefined && (typeof result !== 'object' || result === null)) {
      throw new TokenValidationError(
        'ERR_CUSTOM_VALIDATION_FAILED',
        'The custom validator returned an invalid result',
        {
          reason: 'invalid_result',
        },
      );
    }
    return result;
  }

  function finish(
    token: string,
    tokenType: 'jwt' | 'opaque' | 'custom',
    claims: Record<string, unknown>,
    custom: CustomValidatorResult | undefined,
    nowMs: number,
  ): CachedAuth {
    const checked = checkAccessTokenClaims(claims, rules, nowMs / 1000, tokenType);
    let extra: Record<string, unknown> = NO_EXTRA;
    if (custom !== undefined) {
      if (custom.scopes !== undefined) {
        if (!Array.isArray(custom.scopes) || custom.scopes.some((s) => typeof s !== 'string')) {
          throw new TokenValidationError(
            'ERR_CUSTOM_VALIDATION_FAILED',
            'The custom validator returned invalid scopes',
            {
              reason: 'invalid_result',
            },
          );
        }
        // Verified tokens: narrowing only. Custom tokens: their claims already gave the scopes.
        const allowed = new Set(checked.scopes);
        checked.scopes = custom.scopes.filter((s) => allowed.has(s));
      }
      if (custom.expiresAt !== undefined) {
        if (typeof custom.expiresAt !== 'number' || !Number.isFinite(custom.expiresAt)) {
          throw new TokenValidationError(
            'ERR_CUSTOM_VALIDATION_FAILED',
            'The custom validator returned an invalid expiresAt',
            {
              reason: 'invalid_result',
            },
          );
        }
        checked.expiresAt = Math.min(checked.expiresAt, custom.expiresAt);
        if (checked.expiresAt * 1000 <= nowMs) {
          throw new TokenValidationError('ERR_TOKEN_EXPIRED', 'The token has expired', {
            claim: 'exp',
            reason: 'custom_validator',
          });
        }
      }
      if (custom.extra !== undefined && typeof custom.extra === 'object' && custom.extra !== null) {
        extra = { ...custom.extra };
      }
    }
    return buildEntry(token, tokenType, claims, checked, extra);
  }

  /**
   * Dispatches a token to its verification. The common case (a JWT, no custom validator) is a
   * plain then-chain with no async frame of its own: it is the cold path the benchmark measures.
   */
  function verify(token: string): Promise<CachedAuth> {
    if (
      cfg.customValidator === undefined &&
      cfg.tokenFormat !== 'opaque' &&
      cfg.tokenFormat !== 'custom' &&
      looksLikeJwt(token)
    ) {
      counters.jwtVerifications++;
      return verifyJwtSignature(token, jwtKeys, cfg.jwt, now()).then((r) =>
        finish(token, 'jwt', r.claims, undefined, now()),
      );
    }
    return verifyOther(token);
  }

  async function verifyOther(token: string): Promise<CachedAuth> {
    const format = cfg.tokenFormat;
    const jwtShaped = looksLikeJwt(token);
    if (
      format === 'custom' ||
      (format === 'auto' &&
        !jwtShaped &&
        cfg.introspection === undefined &&
        cfg.customValidator !== undefined)
    ) {
      const result = await applyCustom(token, 'custom', undefined, undefined);
      if (result === undefined || typeof result.claims !== 'object' || result.claims === null) {
        throw new TokenValidationError(
          'ERR_CUSTOM_VALIDATION_FAILED',
          'The token was not recognised',
          {
            reason: 'no_claims',
          },
        );
      }
      const { claims, ...rest } = result;
      return finish(token, 'custom', { ...claims }, rest, now());
    }
    if (format === 'jwt' || (format === 'auto' && jwtShaped)) {
      if (!jwtShaped) {
        throw new TokenValidationError(
          'ERR_TOKEN_MALFORMED',
          'The token is not a JWT (three segments)',
          {
            reason: 'not_a_jwt',
          },
        );
      }
      counters.jwtVerifications++;
      const { header, claims } = await verifyJwtSignature(token, jwtKeys, cfg.jwt, now());
      const custom = cfg.customValidator
        ? await applyCustom(token, 'jwt', claims, header as Record<string, unknown>)
        : undefined;
      return finish(token, 'jwt', claims, custom, now());
    }
    if (cfg.introspection === undefined) {
      throw new TokenValidationError(
        'ERR_TOKEN_MALFORMED',
        'The token is not a JWT and token introspection is not configured',
        { reason: 'not_a_jwt' },
      );
    }
    const settings = await introspectionSettings();
    counters.introspections++;
    const claims = await introspectToken(token, settings, cfg.http, logger);
    const custom = cfg.customValidator
      ? await applyCustom(token, 'opaque', claims, undefined)
      : undefined;
    return finish(token, 'opaque', claims, custom, now());
  }

  async function verifyWithSharedStore(token: string): Promise<CachedAuth> {
    const key = sharedNamespace + hashKey(token);
    let hit: SharedAuth | undefined;
    try {
      hit = await shared!.get(key);
    } catch {
      hit = undefined; // the shared tier is an optimisation: a failing store is a miss
    }
    if (hit !== undefined && hit.v === 1 && typeof hit.claims === 'object' && hit.claims !== null) {
      // Re-run every claim check on the stored claims (time, audience, binding): a stale or
      // foreign entry can never grant more than the claims allow.
      return finish(
        token,
        hit.tokenType,
        { ...hit.claims },
        { scopes: hit.scopes, expiresAt: hit.expiresAt, extra: hit.extra },
        now(),
      );
    }
    const entry = await verify(token);
    const a = entry.authInfo;
    const { subject: _s, issuer: _i, tokenType, claims, ...extra } = a.extra!;
    shared!
      .set(
        key,
        {
          v: 1,
          tokenType: tokenType as SharedAuth['tokenType'],
          claims: claims as Record<string, unknown>,
          scopes: [...a.scopes],
          expiresAt: a.expiresAt!,
          extra,
        },
        { expiresAt: Math.min(a.expiresAt!, now() / 1000 + cfg.cache.ttlSeconds) },
      )
      .catch(() => {});
    return entry;
  }

  function toLoadResult(entry: CachedAuth) {
    return {
      value: entry,
      expiresAt: Math.min(entry.validUntilMs / 1000, now() / 1000 + cfg.cache.ttlSeconds),
    };
  }

  function toNegative(err: unknown): { error: unknown; ttlSeconds: number } {
    if (err instanceof TokenValidationError && CACHEABLE_REJECTIONS.has(err.code)) {
      // Unknown keys may appear with rotation: remember those only for the refetch cooldown.
      const ttlSeconds =
        err.code === 'ERR_KEY_NOT_FOUND'
          ? Math.min(cfg.cache.negativeTtlSeconds, cfg.jwt.jwksRefetchCooldownSeconds)
          : cfg.cache.negativeTtlSeconds;
      if (ttlSeconds > 0) return { error: err, ttlSeconds };
    }
    throw err;
  }

  const clockTolerance = cfg.jwt.clockToleranceSeconds;

  /** The signature-verified JWS of the cold path to a load result (header, claims, entry). */
  function acceptJws(
    token: string,
    result: { protectedHeader: JWTHeaderParameters; payload: Uint8Array },
  ) {
    const nowMs = now();
    const header = result.protectedHeader;
    let payload: Record<string, unknown>;
    try {
      payload = parseClaims(header, result.payload, clockTolerance, nowMs);
    } catch (err) {
      return toNegative(mapJoseError(err));
    }
    try {
      const claims = checkedClaims({ protectedHeader: header, payload }, cfg.jwt);
      return toLoadResult(finish(token, 'jwt', claims, undefined, nowMs));
    } catch (err) {
      return toNegative(err);
    }
  }

  function load(token: string) {
    if (
      shared === undefined &&
      cfg.customValidator === undefined &&
      cfg.tokenFormat !== 'opaque' &&
      cfg.tokenFormat !== 'custom' &&
      looksLikeJwt(token)
    ) {
      // The cold path of the common case in a single continuation: signature (jose's
      // compactVerify; the algorithm allowlist is jwtKeys', checked where jose checks it, before
      // any key lookup), claims set, header, claims, entry, load result. Same checks as verify().
      counters.jwtVerifications++;
      return compactVerify(token, jwtKeys).then(
        (result) => acceptJws(token, result),
        (err) => toNegative(mapJoseError(err)),
      );
    }
    return (shared ? verifyWithSharedStore(token) : verify(token)).then(toLoadResult, toNegative);
  }

  /** A loaded entry, for the request's default scopes (one function for all: no closure per call). */
  function afterLoad(entry: CachedAuth): AuthInfo {
    assertUnexpired(entry);
    return checkScopes(entry, undefined) as AuthInfo;
  }

  function assertUnexpired(entry: CachedAuth): void {
    if (now() >= entry.validUntilMs) {
      throw new TokenValidationError('ERR_TOKEN_EXPIRED', 'The token has expired', {
        claim: 'exp',
        reason: 'check_failed',
      });
    }
  }

  /** @param syntaxChecked the token came from extractBearerToken (already size and token68 checked) */
  function slowValidate(
    token: string,
    requiredScopes: readonly string[] | undefined,
    syntaxChecked: boolean,
  ): Promise<AuthInfo> {
    if (!syntaxChecked) {
      try {
        checkTokenSyntax(token, cfg.maxTokenLength);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const loaded = local.getOrLoad(token, load);
    if (requiredScopes === undefined || requiredScopes.length === 0) return loaded.then(afterLoad);
    return loaded.then((entry) => {
      assertUnexpired(entry);
      return checkScopes(entry, requiredScopes);
    });
  }

  function requiredFor(extra: readonly string[] | undefined): readonly string[] {
    if (extra === undefined || extra.length === 0) return cfg.requiredScopes;
    return [...new Set([...cfg.requiredScopes, ...extra])];
  }

  function checkScopes(
    entry: CachedAuth,
    extra: readonly string[] | undefined,
  ): Promise<AuthInfo> | AuthInfo {
    if (extra === undefined || extra.length === 0) {
      if (entry.satisfiesDefault) return entry.authInfo;
      throw insufficientScope(cfg.requiredScopes);
    }
    const required = requiredFor(extra);
    for (const s of required) if (!entry.scopes.includes(s)) throw insufficientScope(required);
    return entry.authInfo;
  }

  function validateScopesOption(
    o: { requiredScopes?: string[] } | undefined,
  ): readonly string[] | undefined {
    if (o === undefined || o === null) return undefined;
    const r = o.requiredScopes;
    if (r === undefined) return undefined;
    if (!Array.isArray(r) || r.some((s) => typeof s !== 'string' || s === '' || s.includes(' '))) {
      throw new TypeError('"requiredScopes" must be an array of scope strings');
    }
    if (r.includes('offline_access')) {
      throw new TypeError(
        '"requiredScopes" must not contain offline_access (a refresh-token scope, never required by a resource)',
      );
    }
    return r;
  }

  /** The entry's settled promise, made once (on its first hit) and shared by every later hit. */
  function settle(entry: CachedAuth): Promise<AuthInfo> {
    entry.promise = Promise.resolve(entry.authInfo);
    return entry.promise;
  }

  // The hot path: not async. A cached, unexpired token with the default scopes costs one
  // synchronous Map lookup, a clock read and a boolean, and returns the entry's settled promise.
  function validate(token: string, o?: { requiredScopes?: string[] }): Promise<AuthInfo> {
    return validateToken(token, o, false);
  }

  function validateToken(
    token: string,
    o: { requiredScopes?: string[] } | undefined,
    syntaxChecked: boolean,
  ): Promise<AuthInfo> {
    const hit = typeof token === 'string' ? local.peek(token) : undefined;
    if (hit !== undefined && now() < hit.validUntilMs) {
      if (o === undefined && hit.satisfiesDefault) {
        return hit.promise ?? settle(hit);
      }
      try {
        const extra = validateScopesOption(o);
        checkScopes(hit, extra);
        return hit.promise ?? settle(hit);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    let extra: readonly string[] | undefined;
    try {
      extra = validateScopesOption(o);
    } catch (err) {
      return Promise.reject(err);
    }
    return slowValidate(token, extra, syntaxChecked);
  }

  function authenticate(req: unknown, o?: { requiredScopes?: string[] }): Promise<AuthInfo> {
    let token: string;
    try {
      token = extractBearerToken(req as HeaderSource, { maxLength: cfg.maxTokenLength });
    } catch (err) {
      return Promise.reject(err);
    }
    return validateToken(token, o, true);
  }

  function verifyAccessToken(token: string): Promise<AuthInfo> {
    return validate(token).catch((err) => toSdkError(err));
  }

  function stats(): TokenValidatorStats {
    const s = local.stats();
    return {
      jwtVerifications: counters.jwtVerifications,
      introspections: counters.introspections,
      jwksFetches: keys.fetches,
      discoveries: metadata.fetches,
      cache: {
        hits: s.hits,
        misses: s.misses,
        loads: s.loads,
        coalesced: (s as { coalesced?: number }).coalesced ?? 0,
        negativeHits: (s as { negativeHits?: number }).negativeHits ?? 0,
        size: s.size,
      },
    };
  }

  async function close(): Promise<void> {
    await local.close();
    // @mcp-auth/cache reference-counts stores: the caller's store closes only when the last
    // cache using it is closed.
    await shared?.close();
  }

  return Object.freeze({
    validate,
    verifyAccessToken,
    authenticate,
    resource: cfg.resource,
    resourceMetadataUrl,
    requiredScopes: [...cfg.requiredScopes],
    issuer: cfg.issuer,
    stats,
    close,
  });
}
