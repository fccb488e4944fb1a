import { type Cache, createCache, hashKey, type RemoteCacheStore } from '@mcp-auth/cache';
import type { KeyResolver } from '../jwt.js';
import { acceptClaims, type CachedAuth, type EntryRules, type TokenType } from './entry.js';
import { entryLifeEndMs, type LoadPolicy } from './load-policy.js';
import type { ResolvedOptions } from './options.js';

/** What a shared store holds per token (JSON; re-checked on read). */
interface SharedAuth {
  v: 2;
  tokenType: TokenType;
  /** The key a JWT was verified with: it must still be published when the entry is read. */
  alg?: string;
  kid?: string;
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
  /**
   * Shared key → token, for the tokens this process looked up (bounded like the in-process tier,
   * oldest first): how a broadcast key (a hash) finds the in-process entry to drop.
   */
  private readonly tokens = new Map<string, string>();
  private readonly unsubscribe: (() => void) | undefined;
  private publishFailureLogged = false;

  constructor(
    private readonly cfg: ResolvedOptions,
    private readonly rules: EntryRules,
    private readonly policy: LoadPolicy,
    /** The issuer's key function: a JWT entry is only reused while its key is still published. */
    private readonly keys: KeyResolver,
    /** Called with a token another instance evicted (see {@link delete}). */
    onEvictedElsewhere?: (token: string) => void,
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
    this.namespace = `validator:v2:${hashKey(
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
    const store = cfg.cache.store as RemoteCacheStore;
    if (onEvictedElsewhere !== undefined && store.subscribeDeletes !== undefined) {
      this.unsubscribe = store.subscribeDeletes((key) => {
        const token = this.tokens.get(key);
        if (token === undefined) return; // another namespace, or a token we never held
        this.tokens.delete(key);
        onEvictedElsewhere(token);
      });
    }
  }

  /** Remembers which token a shared key stands for (oldest forgotten past `maxEntries`). */
  private remember(key: string, token: string): void {
    const tokens = this.tokens;
    if (tokens.has(key)) return;
    tokens.set(key, token);
    if (tokens.size > this.cfg.cache.maxEntries) {
      tokens.delete(tokens.keys().next().value as string);
    }
  }

  private key(token: string): string {
    return this.namespace + hashKey(token);
  }

  /** The stored result for `token`, re-checked now, or undefined (miss, failing store). */
  async get(token: string): Promise<CachedAuth | undefined> {
    let hit: SharedAuth | undefined;
    const sharedKey = this.key(token);
    if (this.unsubscribe !== undefined) this.remember(sharedKey, token);
    try {
      hit = await this.cache.get(sharedKey);
    } catch {
      return undefined;
    }
    if (hit === undefined || hit.v !== 2 || typeof hit.claims !== 'object' || hit.claims === null) {
      return undefined;
    }
    const key = hit.tokenType === 'jwt' ? await this.publishedKey(hit) : undefined;
    if (hit.tokenType === 'jwt' && key === undefined) return undefined; // verify it afresh
    // Re-run every claim check on the stored claims (time, audience, binding).
    return acceptClaims(
      this.rules,
      token,
      hit.tokenType,
      { ...hit.claims },
      { scopes: hit.scopes, expiresAt: hit.expiresAt, extra: hit.extra },
      this.cfg.now(),
      key,
    );
  }

  /**
   * The key of a stored JWT result if the issuer still publishes it (our keys are refetched when
   * stale, as for any verification); undefined otherwise, and the token is verified afresh.
   */
  private async publishedKey(hit: SharedAuth) {
    if (typeof hit.alg !== 'string') return undefined;
    try {
      await this.keys({ alg: hit.alg, ...(hit.kid === undefined ? {} : { kid: hit.kid }) });
      return { alg: hit.alg, kid: hit.kid };
    } catch {
      return undefined;
    }
  }

  /** Stores a fresh result in the background, for as long as the in-process tier would keep it. */
  put(token: string, entry: CachedAuth): void {
    const a = entry.authInfo;
    const { subject: _s, issuer: _i, tokenType, claims, ...extra } = a.extra!;
    const value: SharedAuth = {
      v: 2,
      tokenType: tokenType as TokenType,
      claims: claims as Record<string, unknown>,
      scopes: [...a.scopes],
      expiresAt: a.expiresAt!,
      extra,
    };
    if (entry.key !== undefined) {
      value.alg = entry.key.alg;
      if (entry.key.kid !== undefined) value.kid = entry.key.kid;
    }
    const now = this.cfg.now();
    // A JWT entry is re-checked against the published keys on every read: only the key
    // freshness of this process does not bound it.
    const end =
      entry.tokenType === 'jwt'
        ? Math.min(a.expiresAt! * 1000, now + this.policy.ttlSeconds * 1000)
        : Math.min(a.expiresAt! * 1000, entryLifeEndMs(entry, this.policy, now));
    if (end <= now) return;
    this.cache.set(this.key(token), value, { expiresAt: end / 1000 }).catch(() => {});
  }

  /**
   * Removes `token`'s result from the shared store, then tells every validator on the store (by
   * the key, a hash, never the token) to drop it from its in-process tier.
   */
  async delete(token: string): Promise<void> {
    const key = this.key(token);
    this.tokens.delete(key);
    await this.cache.delete(key);
    const store = this.cfg.cache.store as RemoteCacheStore;
    if (store.publishDelete === undefined) return;
    try {
      await store.publishDelete(key);
    } catch (err) {
      if (this.publishFailureLogged) return;
      this.publishFailureLogged = true;
      this.cfg.logger.warn?.(
        'validator: evict broadcast failed; other instances keep the result for at most the cache TTL',
        { error: err instanceof Error ? err.message : String(err) },
      );
    }
  }

  close(): Promise<void> {
    this.unsubscribe?.();
    this.tokens.clear();
    // @mcp-auth/cache reference-counts stores: the caller's store closes only when the last
    // cache using it is closed.
    return this.cache.close();
  }
}
