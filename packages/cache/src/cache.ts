import { positiveNumber } from '@mcp-auth/internal';
import { CacheError } from './errors.js';
import { lifeMs } from './internal/life.js';
import { RateLimitedLog } from './internal/log.js';
import { Lru } from './internal/lru.js';
import { errorMeta, RemoteTier, toCacheError } from './internal/remote-tier.js';
import { type Flight, type Loader, SingleFlight } from './internal/single-flight.js';
import { SWEEP_BUDGET, sweepTimer } from './internal/sweep.js';
import { cacheKey, keyError, SECONDS } from './internal/validate.js';
import { type CacheOptions, resolveCacheOptions } from './options.js';
import type { Cache, CacheStats, LoadResult, SetOptions } from './types.js';

export type { Cache, CacheOptions };

class NegativeEntry {
  constructor(readonly error: unknown) {}
}

/**
 * The cache: an in-process LRU tier and/or a remote tier, a negative space, and single flight.
 * Each of those is its own piece (`Lru`, `RemoteTier`, `SingleFlight`); this class routes every
 * operation through them in the right order.
 */
class TtlCache<V> implements Cache<V> {
  /** The in-process tier: the memory store, or the front of a two-level cache. */
  private readonly local: Lru<V> | undefined;
  private readonly remote: RemoteTier<V> | undefined;
  private readonly negative: Lru<NegativeEntry> | undefined;
  private readonly flights: SingleFlight<V>;
  private readonly ttlMs: number;
  private readonly localTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly now: () => number;
  private readonly log: RateLimitedLog;
  /** Armed on the first insert, never at construction (Workers forbid timers at module scope). */
  private timer: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  private takeHits = 0;
  private takeMisses = 0;
  private loads = 0;
  private coalesced = 0;

  constructor(options: CacheOptions) {
    const o = resolveCacheOptions(options);
    this.ttlMs = o.ttlMs;
    this.now = o.now;
    this.local =
      o.local === undefined
        ? undefined
        : new Lru<V>(o.local.maxEntries, o.readNow, o.now, this.armSweeps);
    this.localTtlMs = o.local?.ttlMs ?? 0;
    this.negative =
      o.negative === undefined
        ? undefined
        : new Lru<NegativeEntry>(o.negative.maxEntries, o.readNow, o.now, this.armSweeps);
    this.negativeTtlMs = o.negative?.ttlMs ?? 0;
    this.log = new RateLimitedLog(o.logger, o.logIntervalMs, o.now, o.name);
    this.flights = new SingleFlight<V>(o.loadTimeoutMs, (key, result, flight) =>
      this.accept(key, result, flight),
    );
    // Last, so a constructor that throws never counts as a user of the store.
    this.remote =
      o.remote === undefined
        ? undefined
        : new RemoteTier<V>(o.remote, this.local, this.localTtlMs, o.now, this.log, (key) =>
            this.droppedElsewhere(key),
          );
  }

  /**
   * Arms the unref'd sweep timer of the in-process tiers, on their first insert: a cache created
   * at module scope sets no timer (Cloudflare Workers refuse timers outside a handler), and a
   * cache that is never written to never has one.
   */
  private readonly armSweeps = (): void => {
    if (this.timer === undefined && !this.closed) this.timer = sweepTimer(new WeakRef(this));
  };

  /** @internal One sweep step of the in-process tiers (from the timer). */
  sweepTick(): void {
    const now = this.now();
    this.local?.sweepSome(SWEEP_BUDGET, now);
    this.negative?.sweepSome(SWEEP_BUDGET, now);
  }

  // ---- reads ---------------------------------------------------------------------------------

  peek(key: string): V | undefined {
    const local = this.local;
    return local === undefined ? undefined : local.peek(key);
  }

  get(key: string): Promise<V | undefined> {
    if (this.closed) return Promise.reject(this.closedError('get'));
    if (typeof key !== 'string' || key.length === 0) {
      return Promise.reject(keyError(key));
    }
    const local = this.local;
    const remote = this.remote;
    if (remote === undefined) return Promise.resolve(local!.peek(key));
    if (local !== undefined) {
      const hit = local.peek(key);
      if (hit !== undefined) return Promise.resolve(hit);
      // Counted again by the remote tier as a hit or miss.
      local.misses--;
    }
    return remote.get(key);
  }

  // ---- writes --------------------------------------------------------------------------------

  set(key: string, value: V, options?: SetOptions): Promise<void> {
    try {
      if (this.closed) throw this.closedError('set');
      cacheKey(key);
      if (value === undefined) throw new TypeError('"value" must not be undefined');
      if (options !== undefined && (options === null || typeof options !== 'object')) {
        throw new TypeError('"options" must be { ttlSeconds?, expiresAt? }');
      }
      const now = this.now();
      const life = lifeMs(this.ttlMs, options?.ttlSeconds, options?.expiresAt, now, 'options.');
      this.remote?.store.assertStorable(value);
      this.invalidate(key);
      if (life === 0) return this.deleteEverywhere(key);
      return this.write(key, value, life, now, true);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Writes the local tier synchronously, then the remote one (awaited or in the background). */
  private write(key: string, value: V, life: number, now: number, await_: boolean): Promise<void> {
    this.local?.set(key, value, now + Math.min(life, this.localTtlMs));
    const remote = this.remote;
    if (remote === undefined) return Promise.resolve();
    const done = remote.set(key, value, life);
    return await_ ? done : Promise.resolve();
  }

  delete(key: string): Promise<void> {
    try {
      if (this.closed) throw this.closedError('delete');
      cacheKey(key);
      this.invalidate(key);
      return this.deleteEverywhere(key);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private deleteEverywhere(key: string): Promise<void> {
    this.local?.delete(key);
    this.negative?.delete(key);
    const remote = this.remote;
    if (remote === undefined) return Promise.resolve();
    return remote.delete(key);
  }

  /** Another cache on the shared store removed `key`: drop every local trace of it. */
  private droppedElsewhere(key: string): void {
    this.invalidate(key);
    this.local?.delete(key);
  }

  /** A write to `key` makes a load in flight stale, and ends a remembered failure. */
  private invalidate(key: string): void {
    this.flights.invalidate(key);
    this.negative?.delete(key);
  }

  async clear(): Promise<void> {
    if (this.closed) throw this.closedError('clear');
    this.flights.invalidateAll();
    this.local?.clear();
    this.negative?.clear();
    const remote = this.remote;
    if (remote === undefined) return;
    remote.deleted();
    try {
      await remote.store.clear();
    } catch (err) {
      remote.writeFailures++;
      this.log.warn('write', 'remote clear failed', errorMeta(err));
      throw toCacheError(err, 'clear');
    }
  }

  take(key: string): Promise<V | undefined> {
    try {
      if (this.closed) throw this.closedError('take');
      cacheKey(key);
    } catch (err) {
      return Promise.reject(err);
    }
    this.invalidate(key);
    const remote = this.remote;
    if (remote === undefined) {
      const value = this.local!.take(key);
      if (value === undefined) this.takeMisses++;
      else this.takeHits++;
      return Promise.resolve(value);
    }
    // The remote store is the only authority for a single-use value: drop any local copy first.
    remote.deleted();
    this.local?.delete(key);
    return remote.store.take(key).then(
      (entry) => {
        if (entry === undefined) {
          this.takeMisses++;
          return undefined;
        }
        void remote.broadcastDelete(key);
        this.takeHits++;
        return entry.value as V;
      },
      (err: unknown) => {
        this.log.warn('take', 'remote take failed; rejected', errorMeta(err));
        throw toCacheError(err, 'take');
      },
    );
  }

  // ---- single flight -------------------------------------------------------------------------

  getOrLoad(key: string, loader: Loader<V>): Promise<V> {
    if (this.closed) return Promise.reject(this.closedError('get'));
    if (typeof key !== 'string' || key.length === 0) return Promise.reject(keyError(key));
    if (typeof loader !== 'function') {
      return Promise.reject(new TypeError('"loader" must be a function'));
    }
    const local = this.local;
    if (local !== undefined) {
      const hit = local.peek(key);
      if (hit !== undefined) return Promise.resolve(hit);
      if (this.remote !== undefined) local.misses--;
    }
    const negative = this.negative?.peek(key);
    if (negative !== undefined) return Promise.reject(negative.error);
    const running = this.flights.running(key);
    if (running !== undefined) {
      this.coalesced++;
      return running.promise;
    }
    const flight = this.flights.start(key);
    flight.promise = this.load(key, loader, flight);
    return flight.promise;
  }

  /**
   * Runs one load. The memory-store case is a plain then-chain (no async frame, no extra promise
   * per hop): it is the cold path of every cache miss.
   */
  private load(key: string, loader: Loader<V>, flight: Flight<V>): Promise<V> {
    if (this.remote !== undefined) return this.loadThroughRemote(this.remote, key, loader, flight);
    this.loads++;
    return this.flights.run(key, loader, flight);
  }

  private async loadThroughRemote(
    remote: RemoteTier<V>,
    key: string,
    loader: Loader<V>,
    flight: Flight<V>,
  ): Promise<V> {
    let hit: V | undefined;
    try {
      hit = await remote.get(key);
    } catch (err) {
      this.flights.end(key, flight);
      throw err;
    }
    if (hit !== undefined) {
      this.flights.end(key, flight);
      return hit;
    }
    this.loads++;
    return this.flights.run(key, loader, flight);
  }

  /** Applies a loader result: stores a value or a negative entry. Returns the value or throws. */
  private accept(key: string, result: LoadResult<V>, flight: Flight<V>): V {
    if (result === null || typeof result !== 'object') {
      throw new TypeError(
        'a getOrLoad loader must return { value, ttlSeconds?, expiresAt? } or { error, ttlSeconds? }',
      );
    }
    if ('error' in result) {
      const negative = this.negative;
      if (negative !== undefined && flight.store && !this.closed) {
        const ttl =
          result.ttlSeconds === undefined
            ? this.negativeTtlMs
            : positiveNumber(result.ttlSeconds, 'loader result ttlSeconds', SECONDS) * 1000;
        negative.set(key, new NegativeEntry(result.error), this.now() + ttl);
      }
      throw result.error;
    }
    if (!('value' in result) || result.value === undefined) {
      throw new TypeError(
        'a getOrLoad loader must return { value } with a value other than undefined',
      );
    }
    const value = result.value;
    const now = this.now();
    const life = lifeMs(this.ttlMs, result.ttlSeconds, result.expiresAt, now, 'loader result ');
    this.remote?.store.assertStorable(value);
    if (life > 0 && flight.store && !this.closed) this.write(key, value, life, now, false);
    return value;
  }

  // ---- housekeeping --------------------------------------------------------------------------

  stats(): CacheStats {
    const local = this.local;
    const negative = this.negative;
    const remote = this.remote;
    return {
      hits: (local?.hits ?? 0) + (remote?.hits ?? 0) + this.takeHits,
      misses: (local?.misses ?? 0) + (remote?.misses ?? 0) + this.takeMisses,
      loads: this.loads,
      coalesced: this.coalesced,
      negativeHits: negative?.hits ?? 0,
      evictions: local?.evictions ?? 0,
      expirations: local?.expirations ?? 0,
      size: local?.size ?? 0,
      negativeSize: negative?.size ?? 0,
      writeFailures: remote?.writeFailures ?? 0,
      readFailures: remote?.readFailures ?? 0,
    };
  }

  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    if (this.remote !== undefined) this.remote.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    // The deadline timer keeps running (unref'd) until pending loads settle or time out, so no
    // caller of a hung loader waits forever after close().
    this.flights.invalidateAll();
    this.local?.clear();
    this.negative?.clear();
    this.closing = this.remote === undefined ? Promise.resolve() : this.remote.release();
    return this.closing;
  }

  private closedError(op: 'get' | 'set' | 'delete' | 'take' | 'clear'): CacheError {
    return new CacheError('ERR_CACHE_CLOSED', op, `cache used after close() (${op})`);
  }
}

/**
 * Creates a bounded TTL cache with single-flight loading, in memory (default) or on a shared
 * store such as Redis, optionally with a local in-process tier in front of it.
 *
 * Every entry lives `min(ttlSeconds, expiresAt - now)`; an already expired `expiresAt` is not
 * stored. Caching token validation results means a revoked token is accepted for at most the
 * cache TTL: keep `ttlSeconds` short where revocation matters.
 *
 * @example
 * ```ts
 * import { createCache, hashKey } from '@mcp-auth/cache';
 *
 * const cache = createCache<{ sub: string; scopes: string[] }>({ maxEntries: 10_000, ttlSeconds: 300 });
 * const info = await cache.getOrLoad(hashKey(token), async () => {
 *   const claims = await verify(token); // your validation
 *   return { value: { sub: claims.sub, scopes: claims.scopes }, expiresAt: claims.exp };
 * });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-4 (caching introspection responses)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12 (single-use `state`, see `take`)
 */
export function createCache<V>(options: CacheOptions = {}): Cache<V> {
  return new TtlCache<V>(options);
}
