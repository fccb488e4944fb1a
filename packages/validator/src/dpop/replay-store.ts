import type { RedisClientLike } from '@mcp-auth/cache';
import { positiveInteger } from '@mcp-auth/internal';

/**
 * Where DPoP proof identifiers (`jti`) are remembered, so a proof is accepted once (RFC 9449
 * §11.1). `add` must be atomic across every instance that shares the store: of two concurrent
 * calls with one key, exactly one resolves `true`.
 */
export interface DpopReplayStore {
  /**
   * Records `key` for `ttlMs` milliseconds. Resolves `true` when the key was new, `false` when it
   * was already recorded (a replay). Rejects when the store cannot answer: the proof is then
   * refused (fail closed, 503).
   */
  add(key: string, ttlMs: number): Promise<boolean>;
  /** Releases what the store holds (timers, its own connections). Optional. */
  close?(): Promise<void>;
}

/** Options of {@link memoryDpopReplayStore}. */
export interface MemoryDpopReplayStoreOptions {
  /** Proofs remembered at once; when full of live entries, new proofs are refused (503). Default 100_000. */
  maxEntries?: number;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
}

/**
 * The in-process replay store (the default): a bounded `Map`. It protects one process only; with
 * several instances use {@link redisDpopReplayStore}, or a proof replayed to another instance
 * is accepted there.
 *
 * @example
 * ```ts
 * createTokenValidator({ issuer, resource, dpop: { mode: 'allowed', replayStore: memoryDpopReplayStore() } });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1
 */
export function memoryDpopReplayStore(o: MemoryDpopReplayStoreOptions = {}): DpopReplayStore {
  const maxEntries = positiveInteger(o.maxEntries ?? 100_000, 'maxEntries');
  const now = o.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('"now" must be a function');
  const seen = new Map<string, number>();
  const sweep = (t: number) => {
    // Insertion order is close to expiry order (one window for every proof): stop at the first live one.
    for (const [key, until] of seen) {
      if (until > t) break;
      seen.delete(key);
    }
  };
  return {
    add(key, ttlMs) {
      const t = now();
      const until = seen.get(key);
      if (until !== undefined && until > t) return Promise.resolve(false);
      if (seen.size >= maxEntries) sweep(t);
      if (seen.size >= maxEntries) {
        return Promise.reject(new Error('DPoP replay store is full'));
      }
      seen.delete(key);
      seen.set(key, t + ttlMs);
      return Promise.resolve(true);
    },
    close() {
      seen.clear();
      return Promise.resolve();
    },
  };
}

/** Options of {@link redisDpopReplayStore}. */
export interface RedisDpopReplayStoreOptions {
  /** A connected node-redis v5 client you own (the store never connects or closes it). */
  client: RedisClientLike;
  /** Every key is `prefix + key`. Default `"mcp-auth:dpop-jti:"`. */
  prefix?: string;
  /** Deadline of one Redis call; past it the proof is refused (503). Default 250. */
  commandTimeoutMs?: number;
}

/**
 * A replay store shared by every instance through Redis: `SET key 1 NX PX ttl`, atomic, so a
 * proof replayed to any instance is refused. A Redis failure or timeout refuses the proof
 * (503 with `Retry-After`), never accepts it.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
 * createTokenValidator({ issuer, resource, dpop: { mode: 'required', replayStore: redisDpopReplayStore({ client }) } });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1
 * @see https://redis.io/docs/latest/commands/set/
 */
export function redisDpopReplayStore(o: RedisDpopReplayStoreOptions): DpopReplayStore {
  if (o === null || typeof o !== 'object' || typeof o.client?.sendCommand !== 'function') {
    throw new TypeError('"client" must be a node-redis client (sendCommand)');
  }
  const prefix = o.prefix ?? 'mcp-auth:dpop-jti:';
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError('"prefix" must be a non-empty string');
  }
  const timeout = positiveInteger(o.commandTimeoutMs ?? 250, 'commandTimeoutMs');
  const { client } = o;
  return {
    async add(key, ttlMs) {
      if (!client.isReady) throw new Error('redis is not connected');
      const ttl = String(Math.max(1, Math.ceil(ttlMs)));
      const reply = await client.sendCommand(['SET', prefix + key, '1', 'NX', 'PX', ttl], {
        timeout,
      });
      return reply !== null && reply !== undefined;
    },
  };
}
