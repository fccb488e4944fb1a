import { CacheError } from './errors';
import { coarseNow } from './internal/clock';
import { RateLimitedLog } from './internal/log';
import { Lru } from './internal/lru';
import {
  cacheKey,
  epochSeconds,
  positiveInteger,
  positiveMs,
  positiveSeconds,
} from './internal/validate';
import type {
  CacheStats,
  CacheStore,
  LoadResult,
  Logger,
  RemoteCacheStore,
  SetOptions,
} from './types';

/** Options of {@link createCache}. */
export interface CacheOptions {
  /** Bound of the in-process tier (the memory store, or the front of a two-level cache). Default 10,000. */
  maxEntries?: number;
  /** Default life of an entry, in seconds. Default 300. */
  ttlSeconds?: number;
  /** `memoryStore()` (default), `redisStore(...)` or your own remote store. */
  store?: CacheStore;
  /**
   * Two-level mode (remote stores only): an in-process LRU in front of the remote store. `true`
   * uses `maxEntries` and `ttlSeconds`; a local entry never lives longer than the remote one (its
   * life is capped by the remote's remaining TTL). Default: off.
   */
  local?: boolean | { maxEntries?: number; ttlSeconds?: number };
  /**
   * The negative space: failed loads that a `getOrLoad` loader asked to cache (`{ error }`), kept
   * apart from values so a flood of bad keys never evicts good entries. Always in-process.
   * Default `{ maxEntries: 1_000, ttlSeconds: 30 }`; `false` disables it.
   */
  negative?: false | { maxEntries?: number; ttlSeconds?: number };
  /** Clock in milliseconds, like `Date.now` (inject in tests). */
  now?: () => number;
  /** Where store failures are reported (`warn`), at most once per `logIntervalMs` per kind. Default: `console`. */
  logger?: Logger;
  /** Minimum time between two log lines of the same kind. Default 60,000 ms. */
  logIntervalMs?: number;
  /**
   * A `getOrLoad` loader that has not settled after this long is abandoned: its callers reject with
   * `ERR_CACHE_TIMEOUT` and the next call starts a new load, so one hung request can never pin a
   * key. Default 30,000 ms.
   */
  loadTimeoutMs?: number;
  /** Name used in log lines. Default `"cache"`. */
  name?: string;
}

/** A bounded TTL cache. Create one with {@link createCache}. */
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

const DEFAULT_MAX_ENTRIES = 10_000;
const DEFAULT_TTL_SECONDS = 300;
const DEFAULT_NEGATIVE_MAX_ENTRIES = 1_000;
const DEFAULT_NEGATIVE_TTL_SECONDS = 30;
const DEFAULT_LOG_INTERVAL_MS = 60_000;
const DEFAULT_LOAD_TIMEOUT_MS = 30_000;
/** About 4,400 years. */
const MAX_LIFE_MS = 2 ** 47;
/** The unref'd sweep timer inspects this many entries per tick and tier. */
const SWEEP_INTERVAL_MS = 30_000;
const SWEEP_BUDGET = 10_000;
/** The longest delay setTimeout honours (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const consoleLogger: Logger = {
  warn: (msg, meta) => console.warn(msg, meta),
};

/** How many open caches use each remote store (see close). */
const storeUsers = new WeakMap<RemoteCacheStore, number>();

/**
 * One load in flight. While its loader is pending it is also a link in the cache's FIFO of
 * watched loads (all share one timeout, so start order is deadline order).
 */
class Flight<V> {
  promise: Promise<V> = undefined as unknown as Promise<V>;
  /** Cleared by a write to the key during the load: the (now stale) result is not stored. */
  store = true;
  /** `performance.now()` past which the load is abandoned. */
  deadline = 0;
  /** Set once the loader settled or the load timed out (whichever came first wins). */
  settled = false;
  reject: (err: unknown) => void = noop;
  prev: Flight<V> | undefined = undefined;
  next: Flight<V> | undefined = undefined;
  constructor(readonly key: string) {}
}

function noop(): void {}

class NegativeEntry {
  constructor(readonly error: unknown) {}
}

function isRemote(store: CacheStore): store is RemoteCacheStore {
  return store.kind === 'remote';
}

function toCacheError(err: unknown, operation: 'take' | 'clear'): CacheError {
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

class TtlCache<V> implements Cache<V> {
  /** The in-process tier: the memory store, or the front of a two-level cache. */
  private readonly local: Lru<V> | undefined;
  private readonly remote: RemoteCacheStore | undefined;
  private readonly negative: Lru<NegativeEntry> | undefined;
  private readonly ttlMs: number;
  private readonly loadTimeoutMs: number;
  private readonly localTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly now: () => number;
  private readonly log: RateLimitedLog;
  private readonly flights = new Map<string, Flight<V>>();
  private readonly pendingWrites = new Set<Promise<void>>();
  /** Loads waiting for their loader, oldest first: an intrusive list (no hashing per load). */
  private oldest: Flight<V> | undefined;
  private newest: Flight<V> | undefined;
  /** One unref'd timer for the oldest pending load's deadline, armed only while loads are pending. */
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  /** Bumped by every delete, take and clear (see remoteGet). */
  private deleteEpoch = 0;
  private remoteHits = 0;
  private remoteMisses = 0;
  private takeHits = 0;
  private takeMisses = 0;
  private loads = 0;
  private coalesced = 0;
  private writeFailures = 0;
  private readFailures = 0;

  constructor(options: CacheOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('"options" must be an object');
    }
    const maxEntries = positiveInteger('maxEntries', options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    const ttlSeconds = positiveSeconds('ttlSeconds', options.ttlSeconds ?? DEFAULT_TTL_SECONDS);
    this.ttlMs = ttlSeconds * 1000;
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new TypeError('"now" must be a function returning milliseconds since the epoch');
    }
    const injected = options.now;
    this.now = injected ?? Date.now;
    // The coarse clock only when nobody injected one: tests see their clock on every read.
    const readNow = injected ?? coarseNow;

    const store = options.store ?? { kind: 'memory' };
    if (
      store === null ||
      typeof store !== 'object' ||
      (store.kind !== 'memory' && store.kind !== 'remote')
    ) {
      throw new TypeError('"store" must be memoryStore(), redisStore(...) or a RemoteCacheStore');
    }
    if (isRemote(store)) {
      for (const method of ['assertStorable', 'get', 'set', 'delete', 'take', 'clear', 'close']) {
        if (typeof (store as unknown as Record<string, unknown>)[method] !== 'function') {
          throw new TypeError(`"store" is a remote store without a ${method}() method`);
        }
      }
      this.remote = store;
    }

    const local = options.local ?? false;
    if (typeof local !== 'boolean' && (local === null || typeof local !== 'object')) {
      throw new TypeError('"local" must be a boolean or { maxEntries?, ttlSeconds? }');
    }
    if (this.remote === undefined) {
      if (local !== false) {
        throw new TypeError('"local" (two-level mode) needs a remote "store" such as redisStore()');
      }
      this.local = new Lru<V>(maxEntries, readNow, this.now);
      this.localTtlMs = Number.POSITIVE_INFINITY;
    } else if (local === false) {
      this.local = undefined;
      this.localTtlMs = 0;
    } else {
      const o = local === true ? {} : local;
      const localMax = positiveInteger('local.maxEntries', o.maxEntries ?? maxEntries);
      this.localTtlMs = positiveSeconds('local.ttlSeconds', o.ttlSeconds ?? ttlSeconds) * 1000;
      this.local = new Lru<V>(localMax, readNow, this.now);
    }

    const negative = options.negative ?? {};
    if (negative !== false && (negative === null || typeof negative !== 'object')) {
      throw new TypeError('"negative" must be false or { maxEntries?, ttlSeconds? }');
    }
    if (negative === false) {
      this.negative = undefined;
      this.negativeTtlMs = 0;
    } else {
      const negMax = positiveInteger(
        'negative.maxEntries',
        negative.maxEntries ?? DEFAULT_NEGATIVE_MAX_ENTRIES,
      );
      this.negativeTtlMs =
        positiveSeconds(
          'negative.ttlSeconds',
          negative.ttlSeconds ?? DEFAULT_NEGATIVE_TTL_SECONDS,
        ) * 1000;
      this.negative = new Lru<NegativeEntry>(negMax, readNow, this.now);
    }

    if (
      options.logger !== undefined &&
      (options.logger === null || typeof options.logger !== 'object')
    ) {
      throw new TypeError('"logger" must be an object with optional debug/info/warn/error methods');
    }
    if (options.name !== undefined && typeof options.name !== 'string') {
      throw new TypeError('"name" must be a string');
    }
    this.loadTimeoutMs = positiveMs(
      'loadTimeoutMs',
      options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS,
    );
    const logIntervalMs = positiveMs(
      'logIntervalMs',
      options.logIntervalMs ?? DEFAULT_LOG_INTERVAL_MS,
    );
    this.log = new RateLimitedLog(
      options.logger ?? consoleLogger,
      logIntervalMs,
      this.now,
      options.name ?? 'cache',
    );

    if (this.local !== undefined || this.negative !== undefined) {
      // Holds the cache weakly: a cache dropped without close() can still be garbage-collected
      // (its timer then stops itself).
      const ref = new WeakRef(this);
      const timer: ReturnType<typeof setInterval> = setInterval(() => {
        const cache = ref.deref();
        if (cache === undefined) clearInterval(timer);
        else cache.sweepTick();
      }, SWEEP_INTERVAL_MS);
      // Never keep the process alive for housekeeping.
      (timer as { unref?: () => void }).unref?.();
      this.timer = timer;
    }
    // Last, so a constructor that throws never counts as a user of the store.
    if (this.remote !== undefined) {
      storeUsers.set(this.remote, (storeUsers.get(this.remote) ?? 0) + 1);
    }
  }

  private sweepTick(): void {
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
      return Promise.reject(cacheKeyError(key));
    }
    const local = this.local;
    if (this.remote === undefined) return Promise.resolve(local!.peek(key));
    if (local !== undefined) {
      const hit = local.peek(key);
      if (hit !== undefined) return Promise.resolve(hit);
      // Counted again below as a remote hit or miss.
      local.misses--;
    }
    return this.remoteGet(key);
  }

  /** Reads the remote tier, fills the local tier from it. Failures are misses. */
  private async remoteGet(key: string): Promise<V | undefined> {
    const remote = this.remote!;
    const local = this.local;
    const epoch = this.deleteEpoch;
    // Taken before the request: the remote measured its remaining life after this instant, so
    // `started + ttlMs` never ends later than the remote entry.
    const started = local === undefined ? 0 : this.now();
    let entry: Awaited<ReturnType<RemoteCacheStore['get']>>;
    try {
      entry = await remote.get(key, local !== undefined);
    } catch (err) {
      this.readFailures++;
      this.remoteMisses++;
      this.log.warn('read', 'remote read failed; answered as a miss', errorMeta(err));
      return undefined;
    }
    if (entry === undefined) {
      this.remoteMisses++;
      return undefined;
    }
    this.remoteHits++;
    const value = entry.value as V;
    // Skip the local fill if a delete happened during the read: the value may be the deleted one.
    if (local !== undefined && !this.closed && epoch === this.deleteEpoch) {
      // A local copy never outlives the remote entry: cap by the remote's remaining life.
      const remaining = entry.ttlMs ?? this.localTtlMs;
      const life = Math.min(remaining, this.localTtlMs);
      if (started + life > this.now()) local.set(key, value, started + life);
    }
    return value;
  }

  // ---- writes --------------------------------------------------------------------------------

  /** Life in ms for a write, or 0 when it must not be stored. Throws TypeError on bad options. */
  private lifeMs(ttlSeconds: unknown, expiresAt: unknown, now: number, what: string): number {
    let life =
      ttlSeconds === undefined
        ? this.ttlMs
        : positiveSeconds(`${what}ttlSeconds`, ttlSeconds) * 1000;
    if (expiresAt !== undefined) {
      const exp = epochSeconds(`${what}expiresAt`, expiresAt) * 1000;
      life = Math.min(life, exp - now);
    }
    // Whole milliseconds, rounded down: an entry never outlives what it was given. Capped so a
    // huge ttlSeconds stays a valid Redis PX (and an exact number).
    life = Math.floor(Math.min(life, MAX_LIFE_MS));
    return life >= 1 ? life : 0;
  }

  set(key: string, value: V, options?: SetOptions): Promise<void> {
    try {
      if (this.closed) throw this.closedError('set');
      cacheKey(key);
      if (value === undefined) throw new TypeError('"value" must not be undefined');
      if (options !== undefined && (options === null || typeof options !== 'object')) {
        throw new TypeError('"options" must be { ttlSeconds?, expiresAt? }');
      }
      const now = this.now();
      const life = this.lifeMs(options?.ttlSeconds, options?.expiresAt, now, 'options.');
      this.remote?.assertStorable(value);
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
    const done = this.guardWrite(remote.set(key, value, life), 'set');
    return await_ ? done : Promise.resolve();
  }

  /** A failed remote write is counted, logged (rate-limited) and dropped. Never rejects. */
  private guardWrite(p: Promise<void>, op: string): Promise<void> {
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
    this.deleteEpoch++;
    this.local?.delete(key);
    this.negative?.delete(key);
    const remote = this.remote;
    if (remote === undefined) return Promise.resolve();
    return this.guardWrite(remote.delete(key), 'delete');
  }

  /** A write to `key` makes a load in flight stale: its result is returned but not stored. */
  private invalidate(key: string): void {
    const flight = this.flights.get(key);
    if (flight !== undefined) {
      flight.store = false;
      this.flights.delete(key);
    }
    this.negative?.delete(key);
  }

  async clear(): Promise<void> {
    if (this.closed) throw this.closedError('clear');
    for (const flight of this.flights.values()) flight.store = false;
    this.flights.clear();
    this.deleteEpoch++;
    this.local?.clear();
    this.negative?.clear();
    const remote = this.remote;
    if (remote === undefined) return;
    try {
      await remote.clear();
    } catch (err) {
      this.writeFailures++;
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
    this.deleteEpoch++;
    this.local?.delete(key);
    return remote.take(key).then(
      (entry) => {
        if (entry === undefined) {
          this.takeMisses++;
          return undefined;
        }
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

  getOrLoad(
    key: string,
    loader: (key: string) => Promise<LoadResult<V>> | LoadResult<V>,
  ): Promise<V> {
    if (this.closed) return Promise.reject(this.closedError('get'));
    if (typeof key !== 'string' || key.length === 0) return Promise.reject(cacheKeyError(key));
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
    const running = this.flights.get(key);
    if (running !== undefined) {
      this.coalesced++;
      return running.promise;
    }
    const flight = new Flight<V>(key);
    // Registered before the load starts, so a loader that throws synchronously still cleans up.
    this.flights.set(key, flight);
    flight.promise = this.load(key, loader, flight);
    return flight.promise;
  }

  /**
   * Runs one load. The memory-store case is a plain then-chain (no async frame, no extra promise
   * per hop): it is the cold path of every cache miss.
   */
  private load(
    key: string,
    loader: (key: string) => Promise<LoadResult<V>> | LoadResult<V>,
    flight: Flight<V>,
  ): Promise<V> {
    if (this.remote !== undefined) return this.loadThroughRemote(key, loader, flight);
    this.loads++;
    return this.watch(key, loader, flight);
  }

  private async loadThroughRemote(
    key: string,
    loader: (key: string) => Promise<LoadResult<V>> | LoadResult<V>,
    flight: Flight<V>,
  ): Promise<V> {
    let hit: V | undefined;
    try {
      hit = await this.remoteGet(key);
    } catch (err) {
      this.endFlight(key, flight);
      throw err;
    }
    if (hit !== undefined) {
      this.endFlight(key, flight);
      return hit;
    }
    this.loads++;
    return this.watch(key, loader, flight);
  }

  private endFlight(key: string, flight: Flight<V>): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }

  /**
   * Calls the loader (sync or async), bounds it by `loadTimeoutMs`, and turns its result into the
   * flight's value (or failure). The timeout costs no timer per load: pending loads sit in a
   * FIFO (all share one timeout, so start order is deadline order) watched by one unref'd timer
   * armed for the oldest deadline (see {@link checkDeadlines}).
   */
  private watch(
    key: string,
    loader: (key: string) => Promise<LoadResult<V>> | LoadResult<V>,
    flight: Flight<V>,
  ): Promise<V> {
    let pending: Promise<LoadResult<V>> | LoadResult<V>;
    try {
      pending = loader(key);
    } catch (err) {
      // A loader that throws synchronously is a failed load like any other.
      this.endFlight(key, flight);
      return Promise.reject(err);
    }
    if (
      pending === null ||
      typeof pending !== 'object' ||
      typeof (pending as { then?: unknown }).then !== 'function'
    ) {
      try {
        return Promise.resolve(this.accept(key, pending as LoadResult<V>, flight));
      } catch (err) {
        return Promise.reject(err);
      } finally {
        this.endFlight(key, flight);
      }
    }
    return new Promise<V>((resolve, reject) => {
      flight.deadline = performance.now() + this.loadTimeoutMs;
      flight.reject = reject;
      this.link(flight);
      // Promise.resolve adopts foreign thenables safely (a throwing or double-calling `then`).
      Promise.resolve(pending).then(
        (result) => {
          if (flight.settled) return; // timed out: an abandoned result is never stored
          this.unlink(flight);
          this.endFlight(key, flight);
          let value: V;
          try {
            value = this.accept(key, result, flight);
          } catch (err) {
            reject(err);
            return;
          }
          resolve(value);
        },
        (err: unknown) => {
          if (flight.settled) return;
          this.unlink(flight);
          this.endFlight(key, flight);
          reject(err);
        },
      );
    });
  }

  private link(flight: Flight<V>): void {
    const newest = this.newest;
    if (newest === undefined) {
      this.oldest = flight;
      if (this.deadlineTimer === undefined) this.armDeadlineTimer(this.loadTimeoutMs);
    } else {
      newest.next = flight;
      flight.prev = newest;
    }
    this.newest = flight;
  }

  /** Marks the load settled and takes it out of the watched list. */
  private unlink(flight: Flight<V>): void {
    flight.settled = true;
    const { prev, next } = flight;
    if (prev === undefined) this.oldest = next;
    else prev.next = next;
    if (next === undefined) this.newest = prev;
    else next.prev = prev;
    flight.prev = undefined;
    flight.next = undefined;
  }

  private armDeadlineTimer(ms: number): void {
    // setTimeout treats delays beyond 2^31 - 1 ms as 1 ms: wait at most that long, then look again.
    const timer = setTimeout(
      () => {
        this.deadlineTimer = undefined;
        this.checkDeadlines();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    // Never keep the process alive for a watchdog.
    (timer as { unref?: () => void }).unref?.();
    this.deadlineTimer = timer;
  }

  /** Times out every pending load past its deadline; re-arms for the oldest one left. */
  private checkDeadlines(): void {
    const now = performance.now();
    for (let flight = this.oldest; flight !== undefined; flight = this.oldest) {
      const remaining = flight.deadline - now;
      if (remaining > 0) {
        // Timers may fire a fraction of a millisecond early: never time out a load early.
        this.armDeadlineTimer(Math.max(1, Math.ceil(remaining)));
        return;
      }
      this.unlink(flight);
      this.endFlight(flight.key, flight);
      flight.reject(
        new CacheError(
          'ERR_CACHE_TIMEOUT',
          'load',
          `loader did not settle within ${this.loadTimeoutMs} ms`,
        ),
      );
    }
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
            : positiveSeconds('loader result ttlSeconds', result.ttlSeconds) * 1000;
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
    const life = this.lifeMs(result.ttlSeconds, result.expiresAt, now, 'loader result ');
    this.remote?.assertStorable(value);
    if (life > 0 && flight.store && !this.closed) this.write(key, value, life, now, false);
    return value;
  }

  // ---- housekeeping --------------------------------------------------------------------------

  stats(): CacheStats {
    const local = this.local;
    const negative = this.negative;
    return {
      hits: (local?.hits ?? 0) + this.remoteHits + this.takeHits,
      misses: (local?.misses ?? 0) + this.remoteMisses + this.takeMisses,
      loads: this.loads,
      coalesced: this.coalesced,
      negativeHits: negative?.hits ?? 0,
      evictions: local?.evictions ?? 0,
      expirations: local?.expirations ?? 0,
      size: local?.size ?? 0,
      negativeSize: negative?.size ?? 0,
      writeFailures: this.writeFailures,
      readFailures: this.readFailures,
    };
  }

  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    // The deadline timer keeps running (unref'd) until pending loads settle or time out, so no
    // caller of a hung loader waits forever after close().
    for (const flight of this.flights.values()) flight.store = false;
    this.flights.clear();
    this.local?.clear();
    this.negative?.clear();
    this.closing = (async () => {
      await Promise.allSettled([...this.pendingWrites]);
      const remote = this.remote;
      if (remote !== undefined) {
        // A store shared by several caches is closed with the last of them.
        const users = (storeUsers.get(remote) ?? 1) - 1;
        if (users > 0) storeUsers.set(remote, users);
        else {
          storeUsers.delete(remote);
          await remote.close();
        }
      }
    })();
    return this.closing;
  }

  private closedError(op: 'get' | 'set' | 'delete' | 'take' | 'clear'): CacheError {
    return new CacheError('ERR_CACHE_CLOSED', op, `cache used after close() (${op})`);
  }
}

function cacheKeyError(key: unknown): TypeError {
  try {
    cacheKey(key);
  } catch (err) {
    return err as TypeError;
  }
  return new TypeError('"key" must be a non-empty string');
}

function errorMeta(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { error: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { error: String(err) };
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
