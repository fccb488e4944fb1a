import { positiveInteger, positiveNumber, show } from '@mcp-auth/internal';
import { CacheError, type CacheErrorCode, type CacheOperation } from './errors.js';
import { DeleteSubscription } from './internal/delete-subscription.js';
import { assertJsonValue } from './internal/json.js';
import { RateLimitedLog } from './internal/log.js';
import { closeOwnClient, openOwnClient, type RedisClientLike } from './internal/redis-client.js';
import { COUNT, MILLISECONDS } from './internal/validate.js';
import type { Logger, RemoteCacheStore, RemoteEntry } from './types.js';

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * A connected node-redis v5 client that you own: the store neither connects nor closes it, and
   * you attach its `error` listener. Exactly one of `client` and `url`.
   */
  client?: RedisClientLike;
  /**
   * `redis://[user:password@]host:port[/db]` or `rediss://...`: the store creates, connects and
   * (on `close()`) closes its own client, which reconnects on its own with capped backoff.
   */
  url?: string;
  /** Every key is `prefix + key`. Non-empty. Default `"mcp-auth:"`. */
  prefix?: string;
  /** Deadline for every Redis call. Default 250 ms. */
  commandTimeoutMs?: number;
  /** Connect timeout of the store's own client (`url`). Default 2,000 ms. */
  connectTimeoutMs?: number;
  /** Longest pause between reconnect attempts of the store's own client. Default 1,000 ms. */
  maxReconnectDelayMs?: number;
  /** Receives connection errors (`warn`), at most once per `logIntervalMs`. Default: `console`. */
  logger?: Logger;
  /** Default 60,000 ms. */
  logIntervalMs?: number;
}

const DEFAULT_PREFIX = 'mcp-auth:';
const DEFAULT_COMMAND_TIMEOUT_MS = 250;
const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
const DEFAULT_MAX_RECONNECT_DELAY_MS = 1_000;
const DEFAULT_LOG_INTERVAL_MS = 60_000;
const SCAN_COUNT = '500';

/** GET and PTTL in one atomic round trip, for two-level mode. */
const GET_WITH_TTL =
  "local v = redis.call('GET', KEYS[1]) if not v then return false end return {v, redis.call('PTTL', KEYS[1])}";

const consoleLogger: Logger = { warn: (msg, meta) => console.warn(msg, meta) };

/** Escapes Redis glob metacharacters so a prefix matches only itself in `SCAN MATCH`. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

function asString(reply: unknown): string | undefined {
  if (reply === null || reply === undefined) return undefined;
  if (typeof reply === 'string') return reply;
  if (reply instanceof Uint8Array) return Buffer.from(reply).toString('utf8');
  return String(reply);
}

function classify(err: unknown): CacheErrorCode {
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError') return 'ERR_CACHE_TIMEOUT';
  // Replies from the server (WRONGTYPE, unknown command, NOSCRIPT, ACL denials...).
  if (name === 'ErrorReply' || name === 'SimpleError' || name === 'BlobError') {
    return 'ERR_CACHE_COMMAND_FAILED';
  }
  return 'ERR_CACHE_UNAVAILABLE';
}

class RedisStore implements RemoteCacheStore {
  readonly kind = 'remote' as const;
  private client: RedisClientLike | undefined;
  private readonly connecting: Promise<RedisClientLike> | undefined;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly log: RateLimitedLog;
  private notReadySince: number | undefined;
  private closing: Promise<void> | undefined;
  /** Listeners of the delete broadcast and their subscriber connection. */
  private readonly deletes: DeleteSubscription;

  constructor(options: RedisStoreOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('"options" must be an object with "url" or "client"');
    }
    const { client, url } = options;
    if ((client === undefined) === (url === undefined)) {
      throw new TypeError('redisStore needs exactly one of "url" and "client"');
    }
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new TypeError(`"prefix" must be a non-empty string, got ${show(prefix)}`);
    }
    this.prefix = prefix;
    this.timeoutMs = positiveNumber(
      options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      'commandTimeoutMs',
      MILLISECONDS,
    );
    const connectTimeoutMs = positiveNumber(
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      'connectTimeoutMs',
      MILLISECONDS,
    );
    const maxDelay = positiveNumber(
      options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS,
      'maxReconnectDelayMs',
      MILLISECONDS,
    );
    if (
      options.logger !== undefined &&
      (options.logger === null || typeof options.logger !== 'object')
    ) {
      throw new TypeError('"logger" must be an object with optional debug/info/warn/error methods');
    }
    this.log = new RateLimitedLog(
      options.logger ?? consoleLogger,
      positiveNumber(
        options.logIntervalMs ?? DEFAULT_LOG_INTERVAL_MS,
        'logIntervalMs',
        MILLISECONDS,
      ),
      Date.now,
      `redis store ${prefix}`,
    );
    this.deletes = new DeleteSubscription(() => this.client ?? this.connecting!, prefix, this.log);

    if (client !== undefined) {
      if (
        client === null ||
        typeof client !== 'object' ||
        typeof (client as RedisClientLike).sendCommand !== 'function'
      ) {
        throw new TypeError(
          '"client" must be a node-redis v5 client (createClient() from "redis")',
        );
      }
      this.client = client;
      this.ownsClient = false;
      return;
    }

    let parsed: URL;
    try {
      parsed = new URL(url as string);
    } catch {
      throw new TypeError('"url" must be a redis:// or rediss:// URL');
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new TypeError(`"url" must be a redis:// or rediss:// URL, got ${parsed.protocol}//`);
    }
    this.ownsClient = true;
    // `redis` is loaded only when a store is created from a URL: importing @mcp-auth/cache for
    // the memory store never loads the Redis client. The specifier is not a literal, so no
    // bundler follows it into node-redis (all `node:` modules) when it bundles for the edge.
    this.connecting = openOwnClient(url as string, {
      connectTimeoutMs,
      maxReconnectDelayMs: maxDelay,
      log: this.log,
      onReady: () => this.endInitialWait(),
    }).then((c) => {
      this.client = c;
      return c;
    });
    // Until the client (loaded and connected in the background) is first ready, or
    // connectTimeoutMs has passed, commands wait for it instead of timing out at startup.
    this.initial = new Promise<void>((resolve) => {
      this.settleInitial = resolve;
    });
    const timer = setTimeout(() => this.endInitialWait(), connectTimeoutMs);
    (timer as { unref?: () => void }).unref?.();
    // Errors surface per command; a failed import ends the wait and must not be unhandled.
    this.connecting.catch((err: unknown) => {
      this.log.warn('connection', 'could not load the "redis" package', {
        error: err instanceof Error ? err.message : String(err),
      });
      this.endInitialWait();
    });
  }

  /** Pending while the store's own client has never been ready (bounded by connectTimeoutMs). */
  private initial: Promise<void> | undefined;
  private settleInitial: (() => void) | undefined;

  private endInitialWait(): void {
    this.initial = undefined;
    this.settleInitial?.();
    this.settleInitial = undefined;
  }

  assertStorable(value: unknown): void {
    assertJsonValue(value);
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  /**
   * One Redis call, bounded by `commandTimeoutMs` whatever happens underneath (after the one-time
   * wait, bounded by `connectTimeoutMs`, for the store's own client to connect at startup).
   */
  private call(op: CacheOperation, args: string[]): Promise<unknown> {
    const initial = this.initial;
    if (initial !== undefined && this.closing === undefined) {
      return initial.then(() => this.timed(op, args));
    }
    return this.timed(op, args);
  }

  private timed(op: CacheOperation, args: string[]): Promise<unknown> {
    if (this.closing !== undefined) {
      return Promise.reject(
        new CacheError('ERR_CACHE_CLOSED', op, `redis store used after close() (${op})`),
      );
    }
    const ms = this.timeoutMs;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new CacheError('ERR_CACHE_TIMEOUT', op, `redis did not answer ${op} within ${ms} ms`),
        );
      }, ms);
      this.send(op, args, ms).then(
        (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(
            err instanceof CacheError
              ? err
              : new CacheError(classify(err), op, `redis ${op} failed`, { cause: err }),
          );
        },
      );
    });
  }

  private async send(op: CacheOperation, args: string[], ms: number): Promise<unknown> {
    const client = this.client ?? (await this.connecting!);
    if (!client.isOpen) {
      throw new CacheError('ERR_CACHE_UNAVAILABLE', op, `redis client is closed (${op})`);
    }
    if (client.isReady) {
      this.notReadySince = undefined;
    } else {
      // Down for longer than one command deadline: fail at once instead of queueing every request
      // behind the reconnect for the full deadline.
      const now = Date.now();
      if (this.notReadySince === undefined) this.notReadySince = now;
      else if (now - this.notReadySince > ms) {
        throw new CacheError('ERR_CACHE_UNAVAILABLE', op, `redis is not connected (${op})`);
      }
    }
    // node-redis also drops a command still waiting to be written at the deadline; one already
    // written waits for its reply (bounded by the queue cap) and is settled by our own timer.
    return client.sendCommand(args, { timeout: ms });
  }

  private decode(op: CacheOperation, raw: string): unknown {
    try {
      return JSON.parse(raw);
    } catch (err) {
      throw new CacheError('ERR_CACHE_INVALID_VALUE', op, 'redis value is not JSON', {
        cause: err,
      });
    }
  }

  async get(key: string, withTtl: boolean): Promise<RemoteEntry | undefined> {
    if (!withTtl) {
      const raw = asString(await this.call('get', ['GET', this.key(key)]));
      return raw === undefined ? undefined : { value: this.decode('get', raw) };
    }
    const reply = await this.call('get', ['EVAL', GET_WITH_TTL, '1', this.key(key)]);
    if (!Array.isArray(reply)) return undefined;
    const raw = asString(reply[0]);
    if (raw === undefined) return undefined;
    // -1: no expiry in Redis (written by someone else); -2: gone meanwhile.
    const pttl = Number(reply[1]);
    if (pttl === -2) return undefined;
    const value = this.decode('get', raw);
    return pttl > 0 ? { value, ttlMs: pttl } : { value };
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    positiveInteger(ttlMs, 'ttlMs', COUNT);
    await this.call('set', ['SET', this.key(key), JSON.stringify(value), 'PX', String(ttlMs)]);
  }

  async delete(key: string): Promise<void> {
    await this.call('delete', ['DEL', this.key(key)]);
  }

  async take(key: string): Promise<{ value: unknown } | undefined> {
    // GETDEL (Redis >= 6.2) is atomic: of two racing callers exactly one gets the value.
    const raw = asString(await this.call('take', ['GETDEL', this.key(key)]));
    return raw === undefined ? undefined : { value: this.decode('take', raw) };
  }

  async clear(): Promise<void> {
    const match = globEscape(this.prefix) + '*';
    let cursor = '0';
    do {
      const reply = await this.call('clear', ['SCAN', cursor, 'MATCH', match, 'COUNT', SCAN_COUNT]);
      if (!Array.isArray(reply) || reply.length !== 2) {
        throw new CacheError('ERR_CACHE_COMMAND_FAILED', 'clear', 'unexpected SCAN reply');
      }
      cursor = asString(reply[0]) ?? '0';
      const keys = (reply[1] as unknown[]).map((k) => asString(k) ?? '');
      if (keys.length > 0) await this.call('clear', ['UNLINK', ...keys]);
    } while (cursor !== '0');
  }

  /** Announces a removed key on the channel named by the prefix (keys are hashes, not secrets). */
  async publishDelete(key: string): Promise<void> {
    await this.call('delete', ['PUBLISH', this.prefix, key]);
  }

  subscribeDeletes(listener: (key: string) => void): () => void {
    if (this.closing !== undefined) return () => {};
    return this.deletes.add(listener);
  }

  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.endInitialWait();
    this.deletes.close();
    this.closing = this.ownsClient
      ? closeOwnClient(this.connecting!, this.timeoutMs * 4)
      : Promise.resolve();
    return this.closing;
  }
}

export type { RedisClientLike };

/**
 * A shared store on Redis (node-redis v5): JSON values, Redis-native expiry (`SET ... PX`),
 * `take` with `GETDEL` (Redis >= 6.2), every key under `prefix`, every call bounded by
 * `commandTimeoutMs`. Use it when several server instances must see the same entries (pending
 * OAuth authorizations, validation results).
 *
 * @example
 * ```ts
 * import { createCache, redisStore } from '@mcp-auth/cache';
 *
 * const pending = createCache<{ codeVerifier: string }>({
 *   store: redisStore({ url: 'redis://127.0.0.1:6379', prefix: 'myapp:oauth-state:' }),
 *   ttlSeconds: 600,
 * });
 * await pending.set(state, { codeVerifier });
 * // on the callback, possibly on another instance:
 * const entry = await pending.take(state); // exactly one caller gets it
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12 (state: single use, bound to the session)
 * @see https://redis.io/docs/latest/commands/getdel/
 */
export function redisStore(options: RedisStoreOptions): RemoteCacheStore {
  return new RedisStore(options);
}
