import { connect, createServer, type Server, type Socket } from 'node:net';
import { createClient } from 'redis';
import { describe, expect, it, vi } from 'vitest';
import { type Cache, type CacheOptions, createCache, redisStore } from '../src/index.js';
import { silent, useRedis } from './redis-harness.js';

/**
 * Integration tests against a real redis-server on a free loopback port (no persistence),
 * started here and stopped in afterAll. Needs `redis-server` on PATH (scripts/test.sh installs it).
 */

const h = useRedis('test');
const { open, uniquePrefix } = h;

function cacheOn<V>(prefix: string, options: CacheOptions = {}, commandTimeoutMs = 250): Cache<V> {
  const cache = createCache<V>({
    store: redisStore({ url: h.redis.url, prefix, commandTimeoutMs, logger: silent }),
    logger: silent,
    ...options,
  });
  open.push(cache as Cache<unknown>);
  return cache;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describe('redis store against a real redis-server', () => {
  it('two cache instances sharing Redis see each other’s writes and deletes', async () => {
    const prefix = uniquePrefix();
    const a = cacheOn<{ sub: string; scopes: string[] }>(prefix);
    const b = cacheOn<{ sub: string; scopes: string[] }>(prefix);
    await a.set('token-hash', { sub: 'user-1', scopes: ['read'] });
    expect(await b.get('token-hash')).toEqual({ sub: 'user-1', scopes: ['read'] });
    await b.delete('token-hash');
    expect(await a.get('token-hash')).toBeUndefined();
  });

  it('stores JSON under the prefix with Redis-native expiry (PX)', async () => {
    const prefix = uniquePrefix();
    const a = cacheOn<{ n: number }>(prefix, { ttlSeconds: 60 });
    await a.set('k1', { n: 1 });
    await a.set('k2', { n: 2 }, { ttlSeconds: 5 });
    expect((await h.raw.keys(`${prefix}*`)).sort()).toEqual([`${prefix}k1`, `${prefix}k2`]);
    expect(await h.raw.get(`${prefix}k1`)).toBe('{"n":1}');
    const pttl1 = await h.raw.pTTL(`${prefix}k1`);
    const pttl2 = await h.raw.pTTL(`${prefix}k2`);
    expect(pttl1).toBeGreaterThan(59_000);
    expect(pttl1).toBeLessThanOrEqual(60_000);
    expect(pttl2).toBeGreaterThan(4_000);
    expect(pttl2).toBeLessThanOrEqual(5_000);
  });

  it('honours Redis expiry: an entry is gone for every instance after its life', async () => {
    const prefix = uniquePrefix();
    const a = cacheOn<string>(prefix);
    const b = cacheOn<string>(prefix);
    await a.set('short', 'v', { ttlSeconds: 0.3 });
    await a.set('exp', 'v', { expiresAt: Date.now() / 1000 + 0.3 });
    expect(await b.get('short')).toBe('v');
    await new Promise((r) => setTimeout(r, 400));
    expect(await b.get('short')).toBeUndefined();
    expect(await b.get('exp')).toBeUndefined();
    expect(await h.raw.exists(`${prefix}short`)).toBe(0);
  });

  it('an already expired expiresAt is not stored and removes the old value', async () => {
    const prefix = uniquePrefix();
    const a = cacheOn<string>(prefix);
    await a.set('k', 'old');
    await a.set('k', 'new', { expiresAt: Date.now() / 1000 - 1 });
    expect(await h.raw.exists(`${prefix}k`)).toBe(0);
  });

  it('take raced from two instances 1,000 times: exactly one winner each time', async () => {
    const prefix = uniquePrefix();
    const a = cacheOn<{ verifier: string }>(prefix);
    const b = cacheOn<{ verifier: string }>(prefix);
    const winners = { a: 0, b: 0 };
    for (let i = 0; i < 1_000; i++) {
      const key = `state-${i}`;
      await (i % 2 === 0 ? a : b).set(key, { verifier: `v${i}` });
      const [ra, rb] = await Promise.all([a.take(key), b.take(key)]);
      const got = [ra, rb].filter((r) => r !== undefined);
      expect(got).toEqual([{ verifier: `v${i}` }]);
      if (ra !== undefined) winners.a++;
      else winners.b++;
    }
    expect(winners.a + winners.b).toBe(1_000);
    expect(await h.raw.keys(`${prefix}*`)).toEqual([]);
  });

  it('getOrLoad: a value loaded on one instance is read by the other without loading', async () => {
    const prefix = uniquePrefix();
    const a = cacheOn<string>(prefix);
    const b = cacheOn<string>(prefix);
    const loader = vi.fn(async () => ({ value: 'from-idp', ttlSeconds: 30 }));
    const results = await Promise.all(Array.from({ length: 50 }, () => a.getOrLoad('k', loader)));
    expect(new Set(results)).toEqual(new Set(['from-idp']));
    expect(loader).toHaveBeenCalledTimes(1);
    await until(async () => (await h.raw.exists(`${prefix}k`)) === 1, 2_000);
    expect(await b.getOrLoad('k', loader)).toBe('from-idp');
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('clear removes this prefix only, with keys containing glob characters', async () => {
    const prefix = uniquePrefix();
    const other = uniquePrefix();
    const a = cacheOn<number>(`${prefix}[x]*`);
    const b = cacheOn<number>(other);
    for (let i = 0; i < 1_200; i++) await a.set(`k${i}`, i);
    await b.set('keep', 1);
    await h.raw.set(`${prefix}ax`, 'not ours'); // would match an unescaped "[x]*" pattern
    await a.clear();
    expect(await h.raw.keys(`${prefix}\\[x\\]\\**`)).toEqual([]);
    expect(await h.raw.get(`${prefix}ax`)).toBe('not ours');
    expect(await b.get('keep')).toBe(1);
  });

  it('a value written under the prefix by someone else that is not JSON is a miss, not a crash', async () => {
    const prefix = uniquePrefix();
    const a = cacheOn<string>(prefix);
    await h.raw.set(`${prefix}k`, '{broken');
    expect(await a.get('k')).toBeUndefined();
    expect(a.stats().readFailures).toBe(1);
    await expect(a.take('k')).rejects.toMatchObject({ code: 'ERR_CACHE_INVALID_VALUE' });
  });

  it('works with a client the application owns (and does not close it)', async () => {
    const prefix = uniquePrefix();
    const client = createClient({ url: h.redis.url });
    client.on('error', () => {});
    await client.connect();
    const cache = createCache<string>({ store: redisStore({ client, prefix }), logger: silent });
    await cache.set('k', 'v');
    expect(await client.get(`${prefix}k`)).toBe('"v"');
    expect(await cache.take('k')).toBe('v');
    await cache.close();
    expect(client.isOpen).toBe(true);
    client.destroy();
  });
});

describe('two-level mode (local memory in front of Redis)', () => {
  it('serves repeat reads from the local tier (peek) and fills it from Redis', async () => {
    const prefix = uniquePrefix();
    const writer = cacheOn<string>(prefix);
    const reader = cacheOn<string>(prefix, { local: true });
    await writer.set('k', 'v');
    expect(reader.peek('k')).toBeUndefined();
    expect(await reader.get('k')).toBe('v');
    expect(reader.peek('k')).toBe('v');
    expect(reader.stats()).toMatchObject({ size: 1 });
  });

  it('a local entry never outlives the remote one (capped by the remaining PTTL)', async () => {
    const prefix = uniquePrefix();
    const writer = cacheOn<string>(prefix);
    const reader = cacheOn<string>(prefix, { local: { ttlSeconds: 60 } });
    await writer.set('k', 'v', { ttlSeconds: 0.4 });
    expect(await reader.get('k')).toBe('v');
    expect(reader.peek('k')).toBe('v');
    await new Promise((r) => setTimeout(r, 450));
    expect(reader.peek('k')).toBeUndefined();
    expect(await reader.get('k')).toBeUndefined();
  });

  it('local entries live at most local.ttlSeconds', async () => {
    const prefix = uniquePrefix();
    const c = cacheOn<string>(prefix, { local: { ttlSeconds: 0.2 }, ttlSeconds: 60 });
    await c.set('k', 'v');
    expect(c.peek('k')).toBe('v');
    await new Promise((r) => setTimeout(r, 250));
    expect(c.peek('k')).toBeUndefined();
    expect(await c.get('k')).toBe('v'); // still in Redis, refilled
    expect(c.peek('k')).toBe('v');
  });

  it('take goes to Redis: a local copy on the winner or the loser never answers again', async () => {
    const prefix = uniquePrefix();
    const a = cacheOn<string>(prefix, { local: true });
    const b = cacheOn<string>(prefix, { local: true });
    await a.set('state', 'verifier'); // a now has a local copy
    expect(await b.get('state')).toBe('verifier'); // and so has b
    const [ra, rb] = await Promise.all([a.take('state'), b.take('state')]);
    expect([ra, rb].filter((r) => r !== undefined)).toEqual(['verifier']);
    expect(a.peek('state')).toBeUndefined();
    expect(b.peek('state')).toBeUndefined();
  });
});

describe('faults', () => {
  it('Redis killed mid-test: misses, dropped writes, take rejects, no crash, recovery once it is back', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const prefix = uniquePrefix();
      const a = cacheOn<string>(prefix, { local: true });
      const b = cacheOn<string>(prefix);
      await a.set('k', 'v');
      expect(await b.get('k')).toBe('v');

      await h.redis.kill();
      // in-flight and new calls all settle within the deadline
      const t0 = Date.now();
      const results = await Promise.all(Array.from({ length: 100 }, () => b.get('k')));
      expect(results.every((r) => r === undefined)).toBe(true);
      expect(Date.now() - t0).toBeLessThan(2_000);
      await expect(b.set('k2', 'v2')).resolves.toBeUndefined();
      await expect(b.take('k')).rejects.toMatchObject({ name: 'CacheError' });
      const failure = (await b.take('k').then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: string } | undefined;
      expect(['ERR_CACHE_UNAVAILABLE', 'ERR_CACHE_TIMEOUT']).toContain(failure?.code);
      // the local tier keeps answering what it has
      expect(a.peek('k')).toBe('v');
      expect(await a.getOrLoad('other', async () => ({ value: 'loaded' }))).toBe('loaded');
      const s = b.stats();
      expect(s.readFailures).toBeGreaterThanOrEqual(100);
      expect(s.writeFailures).toBeGreaterThanOrEqual(1);

      await h.redis.restart();
      const recoveredIn = await until(async () => {
        await b.set('back', 'yes');
        return (await a.get('back')) === 'yes';
      }, 10_000);
      expect(recoveredIn).toBeLessThan(10_000);
      await b.set('state', 'x');
      expect(await a.take('state')).toBe('x');
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('a server that accepts connections but never answers: every call settles within the deadline', async () => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const cache = createCache<string>({
      store: redisStore({
        url: `redis://127.0.0.1:${port}`,
        commandTimeoutMs: 100,
        connectTimeoutMs: 300,
        logger: silent,
      }),
      logger: silent,
    });
    try {
      // the first call waits for the first connection, at most connectTimeoutMs, then its deadline
      let t0 = Date.now();
      expect(await cache.get('k')).toBeUndefined();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
      expect(Date.now() - t0).toBeLessThan(1_000);
      t0 = Date.now();
      await expect(cache.set('k', 'v')).resolves.toBeUndefined();
      await expect(cache.take('k')).rejects.toMatchObject({ name: 'CacheError' });
      expect(await cache.getOrLoad('k', async () => ({ value: 'loaded' }))).toBe('loaded');
      expect(Date.now() - t0).toBeLessThan(1_000);
      expect(cache.stats()).toMatchObject({ readFailures: 2, writeFailures: 1 });
    } finally {
      const closeStarted = Date.now();
      await cache.close();
      expect(Date.now() - closeStarted).toBeLessThan(2_000);
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('nothing listening: calls fail fast as misses and close() does not hang', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const cache = createCache<string>({
      store: redisStore({
        url: `redis://127.0.0.1:${port}`,
        connectTimeoutMs: 200,
        logger: silent,
      }),
      logger: silent,
    });
    expect(await cache.get('k')).toBeUndefined();
    await expect(cache.take('k')).rejects.toMatchObject({ name: 'CacheError' });
    // down for longer than a deadline: later calls fail at once
    await new Promise((r) => setTimeout(r, 300));
    let t0 = Date.now();
    for (let i = 0; i < 100; i++) expect(await cache.get('k')).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(250);
    t0 = Date.now();
    await cache.close();
    expect(Date.now() - t0).toBeLessThan(500);
  });

  it('commands issued right after creating a store wait for its first connection', async () => {
    const prefix = uniquePrefix();
    // a deadline far shorter than loading the client and connecting
    const a = cacheOn<string>(prefix, {}, 20);
    await a.set('k', 'v');
    expect(await a.get('k')).toBe('v');
    expect(a.stats()).toMatchObject({ writeFailures: 0, readFailures: 0 });
  });
});

describe('store ownership', () => {
  it('a store shared by two caches is closed with the last of them', async () => {
    const store = redisStore({ url: h.redis.url, prefix: uniquePrefix(), logger: silent });
    const tokens = createCache<string>({ store, logger: silent });
    const pending = createCache<string>({ store, logger: silent });
    await tokens.set('t', 'v');
    await pending.close();
    // still open for the other cache
    expect(await tokens.get('t')).toBe('v');
    await tokens.close();
    await expect(store.get('t', false)).rejects.toMatchObject({ code: 'ERR_CACHE_CLOSED' });
  });

  it('store.close() closes it at once, for every cache using it', async () => {
    const store = redisStore({ url: h.redis.url, prefix: uniquePrefix(), logger: silent });
    const a = createCache<string>({ store, logger: silent });
    await a.set('k', 'v');
    await store.close();
    expect(await a.get('k')).toBeUndefined();
    await expect(a.take('k')).rejects.toMatchObject({ code: 'ERR_CACHE_CLOSED' });
    await a.close();
  });
});

describe('hostile keys and values on Redis', () => {
  it.each([
    ['unicode key', 'clé-🔑-\u00e9'],
    ['glob characters', 'a*b?[c]\\d'],
    ['spaces and newlines', 'a b\r\nc'],
    ['a 64 KiB key', 'k'.repeat(65_536)],
  ])('%s round-trips under the prefix', async (_name, key) => {
    const prefix = uniquePrefix();
    const a = cacheOn<{ v: string }>(prefix);
    const b = cacheOn<{ v: string }>(prefix);
    await a.set(key, { v: 'ünïcödé ✓' });
    expect(await b.get(key)).toEqual({ v: 'ünïcödé ✓' });
    expect(await h.raw.exists(`${prefix}${key}`)).toBe(1);
    expect(await b.take(key)).toEqual({ v: 'ünïcödé ✓' });
    expect(await a.get(key)).toBeUndefined();
  });

  it('a 1 MiB value is stored and read within the deadline', async () => {
    const prefix = uniquePrefix();
    const a = cacheOn<{ blob: string }>(prefix);
    const blob = 'x'.repeat(1024 * 1024);
    await a.set('big', { blob });
    expect((await a.get('big'))?.blob.length).toBe(blob.length);
    expect(a.stats()).toMatchObject({ writeFailures: 0, readFailures: 0 });
  });

  it('10,000 concurrent getOrLoad callers on a Redis cache: one loader call, one remote read', async () => {
    const prefix = uniquePrefix();
    const a = cacheOn<string>(prefix);
    let calls = 0;
    const results = await Promise.all(
      Array.from({ length: 10_000 }, () =>
        a.getOrLoad('k', async () => {
          calls++;
          return { value: 'v' };
        }),
      ),
    );
    expect(calls).toBe(1);
    expect(results.every((r) => r === 'v')).toBe(true);
    expect(a.stats()).toMatchObject({ loads: 1, coalesced: 9_999, readFailures: 0 });
  });
});

describe('a Redis that stalls with the connection open', () => {
  it('every call settles within the deadline while stalled, and traffic resumes after', async () => {
    // A TCP proxy in front of the real redis-server that can stop forwarding (both directions).
    let frozen = false;
    const held: (() => void)[] = [];
    const pairs = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = connect(h.redis.port, '127.0.0.1');
      pairs.add(client).add(upstream);
      const pipe = (from: Socket, to: Socket) =>
        from.on('data', (chunk) => {
          if (frozen) held.push(() => to.write(chunk));
          else to.write(chunk);
        });
      pipe(client, upstream);
      pipe(upstream, client);
      for (const s of [client, upstream]) s.on('error', () => {});
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    const prefix = uniquePrefix();
    const cache = createCache<string>({
      store: redisStore({
        url: `redis://127.0.0.1:${port}`,
        prefix,
        commandTimeoutMs: 100,
        logger: silent,
      }),
      logger: silent,
    });
    try {
      await cache.set('k', 'v');
      expect(await cache.get('k')).toBe('v');

      frozen = true;
      const t0 = Date.now();
      const reads = await Promise.all(Array.from({ length: 50 }, () => cache.get('k')));
      expect(reads.every((r) => r === undefined)).toBe(true);
      await expect(cache.take('k')).rejects.toMatchObject({ code: 'ERR_CACHE_TIMEOUT' });
      expect(Date.now() - t0).toBeLessThan(1_000);
      expect(cache.stats().readFailures).toBe(50);

      frozen = false;
      for (const flush of held.splice(0)) flush();
      // The abandoned GETDEL still ran on Redis: a timed-out take may have consumed the value,
      // and the flow that saw the error failed closed. Late replies are matched and discarded.
      expect(await cache.get('k')).toBeUndefined();
      await cache.set('k2', 'v2');
      expect(await cache.get('k2')).toBe('v2');
    } finally {
      await cache.close();
      for (const s of pairs) s.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });
});

describe('limits', () => {
  it('a huge ttlSeconds is a valid PX on Redis', async () => {
    const prefix = uniquePrefix();
    const a = cacheOn<string>(prefix);
    await a.set('k', 'v', { ttlSeconds: 1e300 });
    expect(a.stats().writeFailures).toBe(0);
    expect(await h.raw.pTTL(`${prefix}k`)).toBeGreaterThan(2 ** 46);
  });
});
