import { CacheError } from '../errors.js';
import type { RemoteCacheStore } from '../types.js';
import type { RateLimitedLog } from './log.js';
import type { Lru } from './lru.js';

/** How many open caches use each remote store (see {@link RemoteTier.release}). */
const storeUsers = new WeakMap<RemoteCacheStore, number>();

/** A log line's metadata for a store failure: the message and code, never a key or value. */
export function errorMeta(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { error: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { error: String(err) };
}

/** A store failure as the `CacheError` a caller of `take` or `clear` sees. */
export function toCacheError(err: unknown, operation: 'take' | 'clear'): CacheError {
  if (
    err instanceof CacheError ||
    (err instanceof Error && (err as { name?: string }).name === 'CacheError')
  ) {
    return err as CacheError;
  }
  return new CacheError(
    'ERR_CACHE_COMMAND_FAILED',
    operation,
    `cache store failed on ${operation}`,
    {
      cause: err,
    },
  );
}

/**
 * The remote tier of a cache: reads that fill the local tier without outliving the remote entry,
 * writes that never reject (failures are counted, logged and dropped), background writes awaited
 * on close, and reference counting of a store shared by several caches.
 */
export class RemoteTier<V> {
  hits = 0;
  misses = 0;
  writeFailures = 0;
  readFailures = 0;
  /** Set by the cache's close(): no more local fills. */
  closed = false;
  /** Bumped by every delete, take and clear (see {@link get}). */
  private epoch = 0;
  private readonly pendingWrites = new Set<Promise<void>>();

  constructor(
    readonly store: RemoteCacheStore,
    /** The local tier of a two-level cache, or undefined. */
    private readonly local: Lru<V> | undefined,
    private readonly localTtlMs: number,
    private readonly now: () => number,
    private readonly log: RateLimitedLog,
    /** Called with a key another cache on the store removed (two-level mode only). */
    onRemoteDelete?: (key: string) => void,
  ) {
    storeUsers.set(store, (storeUsers.get(store) ?? 0) + 1);
    // Two-level mode: listen for deletes by other instances, so their keys leave our local tier.
    if (local !== undefined && onRemoteDelete !== undefined && store.subscribeDeletes) {
      this.unsubscribe = store.subscribeDeletes((key) => {
        if (typeof key !== 'string' || key.length === 0 || this.closed) return;
        this.epoch++; // a read in flight must not put the deleted value back
        onRemoteDelete(key);
      });
    }
  }

  private readonly unsubscribe: (() => void) | undefined;

  /**
   * After the remote delete or take of `key` completed: tells the other two-level caches on the
   * store to drop their local copies. Only a two-level cache broadcasts. Never rejects.
   */
  broadcastDelete(key: string): Promise<void> {
    const publish = this.store.publishDelete;
    if (this.local === undefined || publish === undefined) return Promise.resolve();
    return publish.call(this.store, key).then(
      () => undefined,
      (err: unknown) => {
        this.log.warn('broadcast', 'delete broadcast failed; other local tiers expire by TTL', {
          ...errorMeta(err),
        });
      },
    );
  }

  /** A delete happened: a read in flight must not fill the local tier with the deleted value. */
  deleted(): void {
    this.epoch++;
  }

  /** Reads the remote tier, fills the local tier from it. Failures are misses. */
  async get(key: string): Promise<V | undefined> {
    const local = this.local;
    const epoch = this.epoch;
    // Taken before the request: the remote measured its remaining life after this instant, so
    // `started + ttlMs` never ends later than the remote entry.
    const started = local === undefined ? 0 : this.now();
    let entry: Awaited<ReturnType<RemoteCacheStore['get']>>;
    try {
      entry = await this.store.get(key, local !== undefined);
    } catch (err) {
      this.readFailures++;
      this.misses++;
      this.log.warn('read', 'remote read failed; answered as a miss', errorMeta(err));
      return undefined;
    }
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    const value = entry.value as V;
    // Skip the local fill if a delete happened during the read: the value may be the deleted one.
    if (local !== undefined && !this.closed && epoch === this.epoch) {
      // A local copy never outlives the remote entry: cap by the remote's remaining life.
      const remaining = entry.ttlMs ?? this.localTtlMs;
      const life = Math.min(remaining, this.localTtlMs);
      if (started + life > this.now()) local.set(key, value, started + life);
    }
    return value;
  }

  set(key: string, value: V, lifeMs: number): Promise<void> {
    return this.guard(this.store.set(key, value, lifeMs), 'set');
  }

  delete(key: string): Promise<void> {
    this.epoch++;
    return this.guard(
      this.store.delete(key).then(() => this.broadcastDelete(key)),
      'delete',
    );
  }

  /** A failed remote write is counted, logged (rate-limited) and dropped. Never rejects. */
  private guard(p: Promise<void>, op: string): Promise<void> {
    const guarded = p.then(
      () => undefined,
      (err: unknown) => {
        this.writeFailures++;
        this.log.warn('write', `remote ${op} failed; dropped`, errorMeta(err));
      },
    );
    this.pendingWrites.add(guarded);
    void guarded.then(() => this.pendingWrites.delete(guarded));
    return guarded;
  }

  /** Waits for background writes, then closes the store if this was its last open cache. */
  async release(): Promise<void> {
    this.unsubscribe?.();
    await Promise.allSettled([...this.pendingWrites]);
    const store = this.store;
    // A store shared by several caches is closed with the last of them.
    const users = (storeUsers.get(store) ?? 1) - 1;
    if (users > 0) storeUsers.set(store, users);
    else {
      storeUsers.delete(store);
      await store.close();
    }
  }
}
