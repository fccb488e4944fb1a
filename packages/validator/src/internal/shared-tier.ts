import { type Cache, createCache, hashKey } from '@mcp-auth/cache';
import { acceptClaims, type CachedAuth, type EntryRules, type TokenType } from './entry.js';
import type { ResolvedOptions } from './options.js';

/** What a shared store holds per token (JSON; re-checked on read). */
interface SharedAuth {
  v: 1;
  tokenType: TokenType;
  claims: Record<string, unknown>;
  scopes: string[];
  expiresAt: number;
  extra: Record<string, unknown>;
}

/**
 * The shared tier (e.g. Redis) behind the in-process cache: validation results stored under a
 * hash of the token, namespaced by everything that decides validity, and re-checked on every
 * read (a stale or foreign entry can never grant more than its claims allow). The tier is an
 * optimisation: a failing store is a miss, a failed write is dropped.
 */
export class SharedTier {
  private readonly cache: Cache<SharedAuth>;
  private readonly namespace: string;

  constructor(
    private readonly cfg: ResolvedOptions,
    private readonly rules: EntryRules,
  ) {
    this.cache = createCache<SharedAuth>({
      store: cfg.cache.store!,
      maxEntries: cfg.cache.maxEntries,
      ttlSeconds: cfg.cache.ttlSeconds,
      now: cfg.now,
      logger: cfg.logger,
      name: 'validator-shared',
    });
    // Two validators with different resources (or issuers, profiles, bindings) sharing one
    // Redis never trust each other's entries.
    this.namespace = `validator:v1:${hashKey(
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
  }

  private key(token: string): string {
    return this.namespace + hashKey(token);
  }

  /** The stored result for `token`, re-checked now, or undefined (miss, failing store). */
  async get(token: string): Promise<CachedAuth | undefined> {
    let hit: SharedAuth | undefined;
    try {
      hit = await this.cache.get(this.key(token));
    } catch {
      return undefined;
    }
    if (hit === undefined || hit.v !== 1 || typeof hit.claims !== 'object' || hit.claims === null) {
      return undefined;
    }
    // Re-run every claim check on the stored claims (time, audience, binding).
    return acceptClaims(
      this.rules,
      token,
      hit.tokenType,
      { ...hit.claims },
      { scopes: hit.scopes, expiresAt: hit.expiresAt, extra: hit.extra },
      this.cfg.now(),
    );
  }

  /** Stores a fresh result in the background for at most `lifeSeconds`. */
  put(token: string, entry: CachedAuth, lifeSeconds: number): void {
    const a = entry.authInfo;
    const { subject: _s, issuer: _i, tokenType, claims, ...extra } = a.extra!;
    this.cache
      .set(
        this.key(token),
        {
          v: 1,
          tokenType: tokenType as TokenType,
          claims: claims as Record<string, unknown>,
          scopes: [...a.scopes],
          expiresAt: a.expiresAt!,
          extra,
        },
        { expiresAt: Math.min(a.expiresAt!, this.cfg.now() / 1000 + lifeSeconds) },
      )
      .catch(() => {});
  }

  /** Removes `token`'s result from the shared store. */
  delete(token: string): Promise<void> {
    return this.cache.delete(this.key(token));
  }

  close(): Promise<void> {
    // @mcp-auth/cache reference-counts stores: the caller's store closes only when the last
    // cache using it is closed.
    return this.cache.close();
  }
}
