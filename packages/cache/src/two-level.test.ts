import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createCache, type RemoteCacheStore, type RemoteEntry } from './index.js';

/** A remote store on a Map and the test's clock (the Redis one is covered in test/redis.test.ts). */
function fakeRemote(clock: { now(): number; advance(ms: number): void }, latencyMs = 0) {
  const data = new Map<string, { value: unknown; expiresAt: number }>();
  const live = (key: string) => {
    const e = data.get(key);
    if (e === undefined || e.expiresAt <= clock.now()) return undefined;
    return e;
  };
  const store: RemoteCacheStore & { data: typeof data; closed: number } = {
    kind: 'remote',
    data,
    closed: 0,
    assertStorable: () => {},
    async get(key, withTtl): Promise<RemoteEntry | undefined> {
      const e = live(key);
      const result =
        e && (withTtl ? { value: e.value, ttlMs: e.expiresAt - clock.now() } : { value: e.value });
      clock.advance(latencyMs); // the reply travels back
      return result;
    },
    async set(key, value, ttlMs) {
      data.set(key, { value, expiresAt: clock.now() + ttlMs });
    },
    async delete(key) {
      data.delete(key);
    },
    async take(key) {
      const e = live(key);
      data.delete(key);
      return e && { value: e.value };
    },
    async clear() {
      data.clear();
    },
    async close() {
      store.closed++;
    },
  };
  return store;
}

function clock() {
  let t = 1_700_000_000_000;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

const silent = { warn: () => {} };

describe('two-level mode (fake remote, injected clock)', () => {
  it('a local copy filled from the remote ends no later than the remote entry, even with latency', async () => {
    const c = clock();
    const remote = fakeRemote(c, 40);
    const writer = createCache<string>({ store: remote, now: c.now, logger: silent });
    const reader = createCache<string>({
      store: remote,
      local: { ttlSeconds: 3600 },
      now: c.now,
      logger: silent,
    });
    await writer.set('k', 'v', { ttlSeconds: 1 });
    expect(await reader.get('k')).toBe('v'); // 40 ms pass while the reply travels
    // remote entry ends at +1000 ms; the local copy must be gone by then
    c.advance(1_000 - 40 - 1);
    expect(reader.peek('k')).toBe('v');
    c.advance(1);
    expect(reader.peek('k')).toBeUndefined();
    await Promise.all([writer.close(), reader.close()]);
  });

  it('local entries live min(local.ttlSeconds, entry life)', async () => {
    const c = clock();
    const remote = fakeRemote(c);
    const cache = createCache<string>({
      store: remote,
      local: { ttlSeconds: 10 },
      ttlSeconds: 300,
      now: c.now,
      logger: silent,
    });
    await cache.set('long', 'v');
    await cache.set('short', 'v', { ttlSeconds: 2 });
    c.advance(2_000);
    expect(cache.peek('short')).toBeUndefined();
    expect(cache.peek('long')).toBe('v');
    c.advance(8_000);
    expect(cache.peek('long')).toBeUndefined();
    expect(await cache.get('long')).toBe('v'); // refilled from the remote
    expect(cache.peek('long')).toBe('v');
    await cache.close();
  });

  it('local.maxEntries bounds the local tier only', async () => {
    const c = clock();
    const remote = fakeRemote(c);
    const cache = createCache<number>({
      store: remote,
      local: { maxEntries: 2 },
      now: c.now,
      logger: silent,
    });
    for (let i = 0; i < 5; i++) await cache.set(`k${i}`, i);
    expect(cache.stats().size).toBe(2);
    expect(remote.data.size).toBe(5);
    expect(await cache.get('k0')).toBe(0);
    await cache.close();
  });

  it('stats count a local miss answered by the remote as one hit', async () => {
    const c = clock();
    const remote = fakeRemote(c);
    const writer = createCache<string>({ store: remote, now: c.now, logger: silent });
    const reader = createCache<string>({ store: remote, local: true, now: c.now, logger: silent });
    await writer.set('k', 'v');
    await reader.get('k'); // remote hit
    await reader.get('k'); // local hit
    await reader.get('missing'); // miss
    expect(reader.stats()).toMatchObject({ hits: 2, misses: 1, size: 1 });
    await Promise.all([writer.close(), reader.close()]);
  });

  it('a delete while a remote read is in flight keeps the old value out of the local tier', async () => {
    const c = clock();
    const remote = fakeRemote(c);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slowGet = remote.get;
    remote.get = async (key, withTtl) => {
      const r = await slowGet(key, withTtl);
      await gate;
      return r;
    };
    const cache = createCache<string>({ store: remote, local: true, now: c.now, logger: silent });
    remote.data.set('k', { value: 'revoked', expiresAt: c.now() + 60_000 });
    const reading = cache.get('k');
    await cache.delete('k');
    release();
    expect(await reading).toBe('revoked'); // this read raced the delete...
    expect(cache.peek('k')).toBeUndefined(); // ...but does not resurrect it locally
    await cache.close();
  });

  it('getOrLoad reads the remote before loading, and writes the loaded value to both tiers', async () => {
    const c = clock();
    const remote = fakeRemote(c);
    const a = createCache<string>({ store: remote, local: true, now: c.now, logger: silent });
    const loader = vi.fn(async () => ({ value: 'loaded', ttlSeconds: 30 }));
    expect(await a.getOrLoad('k', loader)).toBe('loaded');
    await a.close(); // waits for the background remote write
    expect(remote.data.get('k')?.value).toBe('loaded');
    const b = createCache<string>({ store: remote, local: true, now: c.now, logger: silent });
    expect(await b.getOrLoad('k', loader)).toBe('loaded');
    expect(loader).toHaveBeenCalledTimes(1);
    await b.close();
  });

  it('the remote store is closed once, with the last cache using it', async () => {
    const c = clock();
    const remote = fakeRemote(c);
    const a = createCache<string>({ store: remote, now: c.now, logger: silent });
    const b = createCache<string>({ store: remote, local: true, now: c.now, logger: silent });
    await a.close();
    await a.close();
    expect(remote.closed).toBe(0);
    await b.close();
    expect(remote.closed).toBe(1);
  });

  it('a constructor that throws does not count as a user of the store', async () => {
    const c = clock();
    const remote = fakeRemote(c);
    expect(() => createCache({ store: remote, local: { maxEntries: 0 } })).toThrow(TypeError);
    const a = createCache<string>({ store: remote, now: c.now, logger: silent });
    await a.close();
    expect(remote.closed).toBe(1);
  });
});

describe('two-level properties (fast-check)', () => {
  type Op =
    | { op: 'set'; key: string; ttl: number }
    | { op: 'get' | 'delete' | 'take' | 'peek'; key: string }
    | { op: 'remoteSet'; key: string; ttl: number }
    | { op: 'remoteDelete'; key: string }
    | { op: 'advance'; ms: number };
  const key = fc.constantFrom('a', 'b', 'c', 'd');
  const ttl = fc.integer({ min: 1, max: 5_000 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('set' as const), key, ttl }),
    fc.record({
      op: fc.constantFrom('get' as const, 'delete' as const, 'take' as const, 'peek' as const),
      key,
    }),
    fc.record({ op: fc.constant('remoteSet' as const), key, ttl }),
    fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
  );

  it('a local copy never outlives the remote entry it was written with or copied from', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(op, { maxLength: 80 }),
        async (localMax, localTtlSeconds, ops) => {
          const c = clock();
          const remote = fakeRemote(c, 3);
          const cache = createCache<string>({
            store: remote,
            local: { maxEntries: localMax, ttlSeconds: localTtlSeconds },
            now: c.now,
            logger: silent,
          });
          // Model: expiry of the remote entry each local copy came from.
          const origin = new Map<string, number>();
          let n = 0;
          for (const o of ops) {
            switch (o.op) {
              case 'set': {
                const before = c.now();
                await cache.set(o.key, `v${n++}`, { ttlSeconds: o.ttl / 1000 });
                origin.set(o.key, before + o.ttl);
                break;
              }
              case 'remoteSet':
                // Another instance overwrites the key. Our local copy (if any) keeps the life of
                // the entry it came from: bounded by local.ttlSeconds, documented.
                remote.data.set(o.key, { value: `other${n++}`, expiresAt: c.now() + o.ttl });
                break;
              case 'advance':
                c.advance(o.ms);
                break;
              case 'get': {
                const hadLocal = cache.peek(o.key) !== undefined;
                const r = remote.data.get(o.key);
                const value = await cache.get(o.key);
                if (!hadLocal && value !== undefined) origin.set(o.key, r!.expiresAt);
                break;
              }
              case 'delete':
                await cache.delete(o.key);
                origin.delete(o.key);
                break;
              case 'take':
                await cache.take(o.key);
                origin.delete(o.key);
                expect(cache.peek(o.key)).toBeUndefined();
                break;
              default:
                break;
            }
            for (const k of ['a', 'b', 'c', 'd']) {
              if (cache.peek(k) === undefined) continue;
              expect(origin.get(k)).toBeGreaterThan(c.now());
            }
            expect(cache.stats().size).toBeLessThanOrEqual(localMax);
          }
          await cache.close();
        },
      ),
      {
        numRuns: 300,
        examples: [
          [
            2,
            10,
            [
              { op: 'set', key: 'a', ttl: 4000 },
              { op: 'remoteSet', key: 'a', ttl: 500 },
              { op: 'advance', ms: 1000 },
              { op: 'get', key: 'b' },
              { op: 'advance', ms: 3000 },
            ],
          ],
          [
            2,
            10,
            [
              // the reply takes 3 ms: a copy timed from the reply would live 3 ms too long
              { op: 'remoteSet', key: 'a', ttl: 900 },
              { op: 'get', key: 'a' },
              { op: 'advance', ms: 897 },
            ],
          ],
        ],
      },
    );
  });
});
