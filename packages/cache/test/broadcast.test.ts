import { startRedis } from '@mcp-auth/test-utils';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { type Cache, type CacheOptions, createCache, redisStore } from '../src/index.js';
import { silent, useRedis } from './redis-harness.js';

/**
 * The delete broadcast of two-level caches, against a real redis-server: two caches with their
 * own store (their own connections, as two server instances would have) share one Redis.
 */

const h = useRedis('bc');
const { open, uniquePrefix } = h;

function instance<V>(prefix: string, options: CacheOptions = {}, url = h.redis.url): Cache<V> {
  const cache = createCache<V>({
    store: redisStore({ url, prefix, logger: silent }),
    local: { ttlSeconds: 3600 },
    logger: silent,
    ...options,
  });
  open.push(cache as Cache<unknown>);
  return cache;
}

/** Subscribers on the channel (the prefix): the lazy subscription is in place. */
async function subscribers(channel: string): Promise<number> {
  const reply = (await h.raw.sendCommand(['PUBSUB', 'NUMSUB', channel])) as unknown[];
  return Number(reply[1]);
}

async function until(check: () => boolean | Promise<boolean>, boundMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < boundMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`condition not met within ${boundMs} ms`);
}

describe('delete broadcast (two-level caches on one Redis)', () => {
  it('a key deleted on A leaves B’s local tier within ~100 ms (a remote-only cache does not subscribe)', async () => {
    const prefix = uniquePrefix();
    open.push(
      createCache({
        store: redisStore({ url: h.redis.url, prefix, logger: silent }),
        logger: silent,
      }),
    );
    const a = instance<string>(prefix);
    const b = instance<string>(prefix);
    await until(async () => (await subscribers(prefix)) === 2, 2_000); // one per two-level store
    await a.set('k', 'v');
    expect(await b.get('k')).toBe('v');
    expect(b.peek('k')).toBe('v'); // B's local copy, good for an hour
    await a.delete('k');
    const ms = await until(() => b.peek('k') === undefined, 1_000);
    expect(ms).toBeLessThan(100);
    expect(await b.get('k')).toBeUndefined();
  });

  it('take on A also removes B’s local copy; only what Redis held is broadcast', async () => {
    const prefix = uniquePrefix();
    const a = instance<{ n: number }>(prefix);
    const b = instance<{ n: number }>(prefix);
    await until(async () => (await subscribers(prefix)) === 2, 2_000);
    const heard: string[] = [];
    const spy = h.raw.duplicate();
    spy.on('error', () => {});
    await spy.connect();
    await spy.subscribe(prefix, (m) => heard.push(m));
    try {
      await a.set('state-hash', { n: 1 });
      expect(await b.get('state-hash')).toEqual({ n: 1 });
      expect(await a.take('state-hash')).toEqual({ n: 1 });
      await until(() => b.peek('state-hash') === undefined, 1_000);
      expect(await a.take('never-set')).toBeUndefined();
      await a.delete('other');
      await until(() => heard.length === 2, 1_000);
      // The message is the cache key only (never a value); the failed take published nothing.
      expect(heard).toEqual(['state-hash', 'other']);
    } finally {
      spy.destroy();
    }
  });

  it('a load in flight on B when A deletes does not put the deleted value back locally', async () => {
    const prefix = uniquePrefix();
    const a = instance<string>(prefix);
    const b = instance<string>(prefix);
    await until(async () => (await subscribers(prefix)) === 2, 2_000);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const loading = b.getOrLoad('k', async () => {
      await gate;
      return { value: 'old' };
    });
    await new Promise((r) => setTimeout(r, 20)); // B's remote read missed; the loader waits
    await a.delete('k');
    await new Promise((r) => setTimeout(r, 50)); // B has received the broadcast
    release();
    expect(await loading).toBe('old'); // the caller still gets its answer
    expect(b.peek('k')).toBeUndefined(); // but it is not kept
  });

  it('close() unsubscribes: the subscriber connection ends with the last cache of the store', async () => {
    const prefix = uniquePrefix();
    const store = redisStore({ url: h.redis.url, prefix, logger: silent });
    const one = createCache<string>({ store, local: true, logger: silent });
    const two = createCache<string>({ store, local: true, logger: silent });
    await until(async () => (await subscribers(prefix)) === 1, 2_000); // one connection per store
    await one.close();
    expect(await subscribers(prefix)).toBe(1);
    await two.close();
    await until(async () => (await subscribers(prefix)) === 0, 1_000);
  });

  it('Redis down: deletes still work locally, failures are logged once per interval', async () => {
    const dead = await startRedis();
    const warnings: string[] = [];
    const logger = { warn: (msg: string) => warnings.push(msg) };
    const prefix = uniquePrefix();
    const c = createCache<string>({
      store: redisStore({ url: dead.url, prefix, logger, commandTimeoutMs: 100 }),
      local: true,
      logger,
    });
    open.push(c as Cache<unknown>);
    await c.set('k', 'v');
    await until(async () => {
      const probe = createClient({ url: dead.url });
      probe.on('error', () => {});
      await probe.connect();
      const reply = (await probe.sendCommand(['PUBSUB', 'NUMSUB', prefix])) as unknown[];
      probe.destroy();
      return Number(reply[1]) === 1;
    }, 2_000);
    await dead.kill();
    for (let i = 0; i < 20; i++) {
      await c.set(`k${i}`, 'v');
      await expect(c.delete(`k${i}`)).resolves.toBeUndefined();
      expect(c.peek(`k${i}`)).toBeUndefined();
    }
    await new Promise((r) => setTimeout(r, 300)); // reconnect attempts of the subscriber
    const sub = warnings.filter((w) => w.includes('subscriber'));
    expect(sub.length).toBe(1);
    expect(warnings.length).toBeLessThanOrEqual(4); // one line per kind, not one per call
    await c.close();
    open.pop();
    await dead.stop();
  });
});
