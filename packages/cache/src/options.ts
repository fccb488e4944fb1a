import { positiveInteger, positiveNumber } from '@mcp-auth/internal';
import { coarseNow } from './internal/clock.js';
import { COUNT, MILLISECONDS, SECONDS } from './internal/validate.js';
import type { CacheStore, Logger, RemoteCacheStore } from './types.js';

/** Options of `createCache`. */
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

/** {@link CacheOptions} after checks and defaults. */
export interface ResolvedCacheOptions {
  ttlMs: number;
  /** The precise clock (writes, sweeps). */
  now: () => number;
  /** The clock of the hit path: the coarse clock unless a clock was injected. */
  readNow: () => number;
  remote: RemoteCacheStore | undefined;
  /** The in-process tier (memory store, or the front of a two-level cache); undefined: remote only. */
  local: { maxEntries: number; ttlMs: number } | undefined;
  /** The negative space; undefined: disabled. */
  negative: { maxEntries: number; ttlMs: number } | undefined;
  loadTimeoutMs: number;
  logger: Logger;
  logIntervalMs: number;
  name: string;
}

const DEFAULT_MAX_ENTRIES = 10_000;
const DEFAULT_TTL_SECONDS = 300;
const DEFAULT_NEGATIVE_MAX_ENTRIES = 1_000;
const DEFAULT_NEGATIVE_TTL_SECONDS = 30;
const DEFAULT_LOG_INTERVAL_MS = 60_000;
const DEFAULT_LOAD_TIMEOUT_MS = 30_000;

const consoleLogger: Logger = {
  warn: (msg, meta) => console.warn(msg, meta),
};

function resolveStore(store: unknown): RemoteCacheStore | undefined {
  const s = (store ?? { kind: 'memory' }) as CacheStore | null;
  if (s === null || typeof s !== 'object' || (s.kind !== 'memory' && s.kind !== 'remote')) {
    throw new TypeError('"store" must be memoryStore(), redisStore(...) or a RemoteCacheStore');
  }
  if (s.kind !== 'remote') return undefined;
  for (const method of ['assertStorable', 'get', 'set', 'delete', 'take', 'clear', 'close']) {
    if (typeof (s as unknown as Record<string, unknown>)[method] !== 'function') {
      throw new TypeError(`"store" is a remote store without a ${method}() method`);
    }
  }
  return s;
}

function resolveLocal(
  local: CacheOptions['local'],
  remote: RemoteCacheStore | undefined,
  maxEntries: number,
  ttlSeconds: number,
): ResolvedCacheOptions['local'] {
  const l = local ?? false;
  if (typeof l !== 'boolean' && (l === null || typeof l !== 'object')) {
    throw new TypeError('"local" must be a boolean or { maxEntries?, ttlSeconds? }');
  }
  if (remote === undefined) {
    if (l !== false) {
      throw new TypeError('"local" (two-level mode) needs a remote "store" such as redisStore()');
    }
    // The memory store: entries live as long as their own life says.
    return { maxEntries, ttlMs: Number.POSITIVE_INFINITY };
  }
  if (l === false) return undefined;
  const o = l === true ? {} : l;
  return {
    maxEntries: positiveInteger(o.maxEntries ?? maxEntries, 'local.maxEntries', COUNT),
    ttlMs: positiveNumber(o.ttlSeconds ?? ttlSeconds, 'local.ttlSeconds', SECONDS) * 1000,
  };
}

function resolveNegative(negative: CacheOptions['negative']): ResolvedCacheOptions['negative'] {
  const n = negative ?? {};
  if (n !== false && (n === null || typeof n !== 'object')) {
    throw new TypeError('"negative" must be false or { maxEntries?, ttlSeconds? }');
  }
  if (n === false) return undefined;
  return {
    maxEntries: positiveInteger(
      n.maxEntries ?? DEFAULT_NEGATIVE_MAX_ENTRIES,
      'negative.maxEntries',
      COUNT,
    ),
    ttlMs:
      positiveNumber(n.ttlSeconds ?? DEFAULT_NEGATIVE_TTL_SECONDS, 'negative.ttlSeconds', SECONDS) *
      1000,
  };
}

/** Checks every option (a `TypeError` naming it) and applies the defaults. */
export function resolveCacheOptions(options: CacheOptions): ResolvedCacheOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('"options" must be an object');
  }
  const maxEntries = positiveInteger(
    options.maxEntries ?? DEFAULT_MAX_ENTRIES,
    'maxEntries',
    COUNT,
  );
  const ttlSeconds = positiveNumber(
    options.ttlSeconds ?? DEFAULT_TTL_SECONDS,
    'ttlSeconds',
    SECONDS,
  );
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('"now" must be a function returning milliseconds since the epoch');
  }
  const injected = options.now;
  const remote = resolveStore(options.store);
  const local = resolveLocal(options.local, remote, maxEntries, ttlSeconds);
  const negative = resolveNegative(options.negative);
  if (
    options.logger !== undefined &&
    (options.logger === null || typeof options.logger !== 'object')
  ) {
    throw new TypeError('"logger" must be an object with optional debug/info/warn/error methods');
  }
  if (options.name !== undefined && typeof options.name !== 'string') {
    throw new TypeError('"name" must be a string');
  }
  return {
    ttlMs: ttlSeconds * 1000,
    now: injected ?? Date.now,
    // The coarse clock only when nobody injected one: tests see their clock on every read.
    readNow: injected ?? coarseNow,
    remote,
    local,
    negative,
    loadTimeoutMs: positiveNumber(
      options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS,
      'loadTimeoutMs',
      MILLISECONDS,
    ),
    logger: options.logger ?? consoleLogger,
    logIntervalMs: positiveNumber(
      options.logIntervalMs ?? DEFAULT_LOG_INTERVAL_MS,
      'logIntervalMs',
      MILLISECONDS,
    ),
    name: options.name ?? 'cache',
  };
}
