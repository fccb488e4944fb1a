import { type Cache, createCache } from '@mcp-auth/cache';
import { tokenSyntax } from '../bearer.js';
import { TokenValidationError } from '../errors.js';
import type { AuthInfo, TokenValidatorStats } from '../types.js';
import type { CachedAuth, EntryRules } from './entry.js';
import { IssuerClient } from './issuer-client.js';
import { type LoadPolicy, negativeResult, positiveResult } from './load-policy.js';
import type { ResolvedOptions } from './options.js';
import { checkScopes, perCallScopes } from './scope-check.js';
import { SharedTier } from './shared-tier.js';
import { TokenVerifier } from './verifier.js';

/** The per-call option of `validate` and `authenticate`. */
export type ScopeOption = { requiredScopes?: string[] } | undefined;

/**
 * What is already known of a token's syntax: nothing (`validate()`), token68 and its size (read
 * from a header by `extractBearerToken`), or a canonical compact JWS, which is token68 too.
 */
export type TokenSyntax = 'unchecked' | 'token68' | 'jws';

/** What the public validator object delegates to: one issuer, or a router over several. */
export interface TokenRouter {
  validateToken(token: string, o: ScopeOption, syntax: TokenSyntax): Promise<AuthInfo>;
  /** The answer from the in-process cache, or undefined on a miss (no other work). */
  cached(token: string, o: ScopeOption): Promise<AuthInfo> | undefined;
  evict(token: string): Promise<void>;
  stats(): TokenValidatorStats;
  close(): Promise<void>;
}

/**
 * The validator of one issuer: the in-process cache in front of the shared tier (if any) in front of the
 * {@link TokenVerifier}. A request goes `authenticate` → `validateToken` (hot path: a cache hit)
 * → `slowValidate` → `local.getOrLoad(token, load)` → `verifier.verify` → `verifyJwt` (or
 * introspection, or the custom validator) → `acceptClaims`.
 */
export class IssuerValidator implements TokenRouter {
  private readonly issuer: IssuerClient;
  private readonly verifier: TokenVerifier;
  private readonly local: Cache<CachedAuth>;
  private readonly shared: SharedTier | undefined;
  private readonly policy: LoadPolicy;
  private readonly now: () => number;
  /** The token `load_` found a canonical JWS, while its `getOrLoad` runs (see `load_`). */
  private checkedJws: string | undefined;

  constructor(private readonly cfg: ResolvedOptions) {
    this.now = cfg.now;
    const rules: EntryRules = {
      claims: {
        issuer: cfg.issuer,
        audiences: cfg.audiences,
        strictAudience: cfg.strictAudienceValidation,
        allowedClientIds: cfg.allowedClientIds,
        profile: cfg.profile,
        clockToleranceSeconds: cfg.jwt.clockToleranceSeconds,
        maxTokenAgeSeconds: cfg.jwt.maxTokenAgeSeconds,
        acceptDpopBinding: cfg.acceptDpopBinding,
      },
      issuer: cfg.issuer,
      resourceUrl: new URL(cfg.resource),
      requiredScopes: cfg.requiredScopes,
      clockToleranceSeconds: cfg.jwt.clockToleranceSeconds,
    };
    // A key the issuer stopped publishing: every result verified with it goes at once.
    this.issuer = new IssuerClient(cfg, () => this.forgetAllResults());
    this.verifier = new TokenVerifier(cfg, rules, this.issuer);
    const keys = this.issuer.keys;
    this.policy = {
      ttlSeconds: cfg.cache.ttlSeconds,
      opaqueTtlSeconds: cfg.introspection?.cacheMaxSeconds ?? cfg.cache.ttlSeconds,
      keysFreshUntilMs: () => keys.freshUntilMs(),
      negativeTtlSeconds: cfg.cache.negativeTtlSeconds,
      unknownKeyTtlSeconds: () => keys.nextRefetchInMs() / 1000,
    };
    this.local = createCache<CachedAuth>({
      maxEntries: cfg.cache.maxEntries,
      ttlSeconds: cfg.cache.ttlSeconds,
      negative: {
        maxEntries: cfg.cache.negativeMaxEntries,
        // 0 disables negative caching: load() then never returns an error entry.
        ttlSeconds: cfg.cache.negativeTtlSeconds || 1,
      },
      now: cfg.now,
      logger: cfg.logger,
      name: 'validator',
    });
    this.shared =
      cfg.cache.store === undefined
        ? undefined
        : new SharedTier(cfg, rules, this.policy, this.issuer.jwtKeys, (token) =>
            this.forgetLocally(token),
          );
  }

  // ---- cold path: the cache loader -------------------------------------------------------

  /**
   * The loader of the in-process cache (one function for every token: no closure per load). A
   * token verified in place gives a synchronous result, which the single flight takes without a
   * promise or a deadline of its own.
   */
  private readonly load = (token: string) => {
    if (this.shared !== undefined) {
      return this.verifyThroughShared(token).then(this.toPositive, this.toNegative);
    }
    let verified: CachedAuth | Promise<CachedAuth>;
    try {
      verified = this.verifier.verify(token, token === this.checkedJws);
    } catch (err) {
      return this.toNegative(err);
    }
    return verified instanceof Promise
      ? verified.then(this.toPositive, this.toNegative)
      : this.toPositive(verified);
  };

  private readonly toPositive = (entry: CachedAuth) =>
    positiveResult(entry, this.policy, this.now());

  private readonly toNegative = (err: unknown) => negativeResult(err, this.policy);

  private async verifyThroughShared(token: string): Promise<CachedAuth> {
    const shared = this.shared!;
    const hit = await shared.get(token);
    if (hit !== undefined) return hit;
    const entry = await this.verifier.verify(token);
    shared.put(token, entry);
    return entry;
  }

  /** Drops every cached result and remembered rejection of this process (keys were removed). */
  private forgetAllResults(): void {
    this.local.clear().catch(() => {});
  }

  /** Another instance evicted `token` (delete broadcast): drop it from this process. */
  private forgetLocally(token: string): void {
    this.verifier.limits?.forget(token);
    this.local.delete(token).catch(() => {});
  }

  /** Forgets `token` in every tier (see `TokenValidator.evict`). */
  async evict(token: string): Promise<void> {
    if (typeof token !== 'string' || token === '') {
      throw new TypeError('"token" must be a non-empty string');
    }
    this.verifier.limits?.forget(token);
    await Promise.all([this.local.delete(token), this.shared?.delete(token)]);
  }

  // ---- hot path ------------------------------------------------------------------------------

  /**
   * Not async. A cached, unexpired token with the default scopes costs one synchronous Map
   * lookup, a clock read and a boolean, and returns the entry's settled promise.
   */
  validateToken(token: string, o: ScopeOption, syntax: TokenSyntax): Promise<AuthInfo> {
    return this.cached(token, o) ?? this.load_(token, o, syntax);
  }

  /** The answer from the in-process cache, or undefined on a miss (no other work). */
  cached(token: string, o: ScopeOption): Promise<AuthInfo> | undefined {
    const hit = typeof token === 'string' ? this.local.peek(token) : undefined;
    if (hit === undefined || this.now() >= hit.validUntilMs) return undefined;
    if (o === undefined && hit.satisfiesDefault) return hit.promise ?? settle(hit);
    try {
      checkScopes(hit, this.cfg.requiredScopes, perCallScopes(o));
      return hit.promise ?? settle(hit);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A cache miss: verifies the token (single flight) and checks the request's scopes. */
  private load_(token: string, o: ScopeOption, syntax: TokenSyntax): Promise<AuthInfo> {
    let extra: readonly string[] | undefined;
    let jws = syntax === 'jws';
    try {
      extra = perCallScopes(o);
      if (syntax === 'unchecked') jws = tokenSyntax(token, this.cfg.maxTokenLength);
    } catch (err) {
      return Promise.reject(err);
    }
    // The loader runs inside getOrLoad (or not at all): it reads which token was just found a
    // canonical JWS, so the JWT path does not scan it a second time.
    this.checkedJws = jws ? token : undefined;
    const loaded = this.local.getOrLoad(token, this.load);
    this.checkedJws = undefined;
    if (extra === undefined || extra.length === 0) return loaded.then(this.afterLoad);
    return loaded.then((entry) => {
      this.assertUnexpired(entry);
      return checkScopes(entry, this.cfg.requiredScopes, extra);
    });
  }

  /** A loaded entry, for the request's default scopes (one function for all: no closure per call). */
  private readonly afterLoad = (entry: CachedAuth): AuthInfo => {
    this.assertUnexpired(entry);
    return checkScopes(entry, this.cfg.requiredScopes, undefined);
  };

  private assertUnexpired(entry: CachedAuth): void {
    if (this.now() >= entry.validUntilMs) {
      throw new TokenValidationError('ERR_TOKEN_EXPIRED', 'The token has expired', {
        claim: 'exp',
        reason: 'check_failed',
      });
    }
  }

  stats(): TokenValidatorStats {
    const s = this.local.stats();
    return {
      jwtVerifications: this.verifier.jwtVerifications,
      introspections: this.verifier.introspections,
      jwksFetches: this.issuer.keys.fetches,
      discoveries: this.issuer.metadata.fetches,
      cache: {
        hits: s.hits,
        misses: s.misses,
        loads: s.loads,
        coalesced: s.coalesced,
        negativeHits: s.negativeHits,
        size: s.size,
      },
    };
  }

  async close(): Promise<void> {
    await this.local.close();
    await this.shared?.close();
    await this.verifier.limits?.close();
  }
}

/** The entry's settled promise, made once (on its first hit) and shared by every later hit. */
function settle(entry: CachedAuth): Promise<AuthInfo> {
  entry.promise = Promise.resolve(entry.authInfo);
  return entry.promise;
}
