/** A logger as injected everywhere in `@mcp-auth/*`: every method optional. */
export interface Logger {
  debug?: (msg: string, meta?: object) => void;
  info?: (msg: string, meta?: object) => void;
  warn?: (msg: string, meta?: object) => void;
  error?: (msg: string, meta?: object) => void;
}

/** The in-process store: a bounded LRU `Map` inside the cache. Created by `memoryStore()`. */
export interface MemoryCacheStore {
  readonly kind: 'memory';
}

/** What a remote store returns for a hit. */
export interface RemoteEntry {
  value: unknown;
  /** Remaining life in milliseconds, when asked for (`withTtl`) and known. */
  ttlMs?: number;
}

/**
 * A shared store behind the cache (Redis via `redisStore()`, or your own). Methods reject on
 * failure, preferably with a `CacheError`; the cache turns failed reads into misses and failed
 * writes into counted, logged drops, and lets failed `take`s reject.
 */
export interface RemoteCacheStore {
  readonly kind: 'remote';
  /** Throws a `TypeError` if the store cannot hold `value` (called synchronously by `set`). */
  assertStorable(value: unknown): void;
  /** `withTtl`: also return the remaining life (two-level mode needs it). */
  get(key: string, withTtl: boolean): Promise<RemoteEntry | undefined>;
  /** Stores `value` for `ttlMs` milliseconds (an integer >= 1). */
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Atomic get-and-delete: of two concurrent callers, at most one receives the value. */
  take(key: string): Promise<{ value: unknown } | undefined>;
  /** Removes every entry of this store (and nothing else). */
  clear(): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional: tells every two-level cache on this store that `key` was removed, so they drop
   * their local copies (Redis: `PUBLISH` on the channel named by the prefix). Best effort.
   */
  publishDelete?(key: string): Promise<void>;
  /**
   * Optional: calls `listener` with every key announced by `publishDelete` (by any cache on this
   * store, this one included). Returns the function that stops listening.
   */
  subscribeDeletes?(listener: (key: string) => void): () => void;
}

/** A cache store: `memoryStore()`, `redisStore()`, or your own {@link RemoteCacheStore}. */
export type CacheStore = MemoryCacheStore | RemoteCacheStore;

/** Per-entry options of `set`. */
export interface SetOptions {
  /** Life in seconds (default: the cache's `ttlSeconds`). */
  ttlSeconds?: number;
  /** Hard end of life, in seconds since the epoch (like a JWT `exp`). */
  expiresAt?: number;
}

/** What a `getOrLoad` loader returns. */
export type LoadResult<V> =
  | { value: V; ttlSeconds?: number; expiresAt?: number }
  | { error: unknown; ttlSeconds?: number };

/** Counters since the cache was created. */
export interface CacheStats {
  /** Reads answered from the cache (`peek`, `get`, `getOrLoad`; local or remote tier). */
  hits: number;
  /** Reads not answered from the cache. */
  misses: number;
  /** Loader calls made by `getOrLoad`. */
  loads: number;
  /** `getOrLoad` callers that joined a load already in flight instead of starting one. */
  coalesced: number;
  /** `getOrLoad` callers answered from the negative space (rejected with the cached error). */
  negativeHits: number;
  /** Live entries pushed out by the `maxEntries` bound (local tier). */
  evictions: number;
  /** Entries dropped because their life ended (local tier). */
  expirations: number;
  /** Entries in the local tier (the memory store, or the front of a two-level cache); 0 for a remote-only cache. */
  size: number;
  /** Entries in the negative space. */
  negativeSize: number;
  /** Remote writes (set, delete) that failed and were dropped. */
  writeFailures: number;
  /** Remote reads that failed and were answered as misses. */
  readFailures: number;
}

/** A bounded TTL cache. Create one with `createCache`. */
export interface Cache<V> {
  /** Synchronous lookup in the in-process tier only (memory store or two-level front). Never touches the network. */
  peek(key: string): V | undefined;
  /** Lookup in every tier; a failed remote read is a miss. */
  get(key: string): Promise<V | undefined>;
  /** Stores `value` for `min(ttlSeconds, expiresAt - now)`; an already expired `expiresAt` stores nothing (and removes the key). */
  set(key: string, value: V, options?: SetOptions): Promise<void>;
  /** Removes `key` from every tier (and from the negative space). */
  delete(key: string): Promise<void>;
  /** Removes everything (every tier and the negative space). Rejects with a `CacheError` if the store fails. */
  clear(): Promise<void>;
  /** Atomic get-and-delete: of concurrent callers, across processes sharing a remote store, exactly one gets the value. Rejects with a `CacheError` when the store fails. */
  take(key: string): Promise<V | undefined>;
  /**
   * Single-flight read-through: concurrent callers for one key share one loader call. The loader
   * is called with the key (so one loader function can serve every key, without a closure per call).
   */
  getOrLoad(
    key: string,
    loader: (key: string) => Promise<LoadResult<V>> | LoadResult<V>,
  ): Promise<V>;
  stats(): CacheStats;
  /**
   * Stops the sweep timer, waits for background writes, and closes a remote store once the last
   * open cache using it is closed (`store.close()` closes it at once). Idempotent.
   */
  close(): Promise<void>;
}
