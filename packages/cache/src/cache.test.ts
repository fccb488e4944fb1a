import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Cache, type CacheOptions, createCache, memoryStore } from './index.js';

/** A frozen clock the test moves by hand. */
function clock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    seconds: () => t / 1000,
  };
}

const silent = { warn: () => {} };

function make<V>(options: CacheOptions = {}) {
  const c = clock();
  const cache: Cache<V> = createCache<V>({ now: c.now, logger: silent, ...options });
  return { cache, clock: c };
}

const caches: Cache<unknown>[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});
function track<V>(x: { cache: Cache<V>; clock: ReturnType<typeof clock> }) {
  caches.push(x.cache as Cache<unknown>);
  return x;
}

describe('createCache options', () => {
  it.each([
    [{ maxEntries: 0 }, '"maxEntries" must be a positive integer, got 0'],
    [{ maxEntries: 1.5 }, '"maxEntries" must be a positive integer, got 1.5'],
    [{ maxEntries: Number.NaN }, '"maxEntries" must be a positive integer, got NaN'],
    [{ maxEntries: '10' }, '"maxEntries" must be a positive integer, got "10"'],
    [{ ttlSeconds: 0 }, '"ttlSeconds" must be a finite number of seconds > 0, got 0'],
    [{ ttlSeconds: -1 }, '"ttlSeconds" must be a finite number of seconds > 0, got -1'],
    [
      { ttlSeconds: Number.POSITIVE_INFINITY },
      '"ttlSeconds" must be a finite number of seconds > 0, got Infinity',
    ],
    [{ now: 5 }, '"now" must be a function returning milliseconds since the epoch'],
    [{ store: {} }, '"store" must be memoryStore(), redisStore(...) or a RemoteCacheStore'],
    [{ store: { kind: 'remote' } }, '"store" is a remote store without a assertStorable() method'],
    [{ local: true }, '"local" (two-level mode) needs a remote "store" such as redisStore()'],
    [{ negative: { maxEntries: -1 } }, '"negative.maxEntries" must be a positive integer, got -1'],
    [
      { negative: { ttlSeconds: 0 } },
      '"negative.ttlSeconds" must be a finite number of seconds > 0, got 0',
    ],
    [{ negative: 'no' }, '"negative" must be false or { maxEntries?, ttlSeconds? }'],
    [
      { logger: 'console' },
      '"logger" must be an object with optional debug/info/warn/error methods',
    ],
    [{ logIntervalMs: 0 }, '"logIntervalMs" must be a finite number of milliseconds > 0, got 0'],
    [{ name: 1 }, '"name" must be a string'],
    [{ loadTimeoutMs: -1 }, '"loadTimeoutMs" must be a finite number of milliseconds > 0, got -1'],
  ])('rejects %j with a TypeError naming the option', (options, message) => {
    expect(() => createCache(options as CacheOptions)).toThrow(new TypeError(message));
  });

  it('accepts the defaults and memoryStore()', async () => {
    const a = createCache();
    const b = createCache({ store: memoryStore() });
    await a.set('k', 1);
    await b.set('k', 2);
    expect([a.peek('k'), b.peek('k')]).toEqual([1, 2]);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('memory store: get, set, delete, clear', () => {
  it('stores and returns values, synchronously visible through peek', async () => {
    const { cache } = track(make<{ sub: string }>());
    const value = { sub: 'user-1' };
    const p = cache.set('a', value);
    // set on the memory store is synchronous inside: visible before the promise settles
    expect(cache.peek('a')).toBe(value);
    await p;
    expect(await cache.get('a')).toBe(value);
    expect(cache.peek('missing')).toBeUndefined();
    expect(await cache.get('missing')).toBeUndefined();
  });

  it('overwrites, deletes and clears', async () => {
    const { cache } = track(make<number>());
    await cache.set('a', 1);
    await cache.set('a', 2);
    await cache.set('b', 3);
    expect(cache.peek('a')).toBe(2);
    await cache.delete('a');
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.peek('b')).toBe(3);
    await cache.clear();
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.stats().size).toBe(0);
  });

  it.each([
    ['', '"key" must be a non-empty string, got ""'],
    [42, '"key" must be a non-empty string, got 42'],
    [undefined, '"key" must be a non-empty string, got undefined'],
    [null, '"key" must be a non-empty string, got null'],
  ])('rejects key %j with a TypeError in every async method', async (key, message) => {
    const { cache } = track(make<number>());
    const k = key as string;
    await expect(cache.get(k)).rejects.toThrow(new TypeError(message));
    await expect(cache.set(k, 1)).rejects.toThrow(new TypeError(message));
    await expect(cache.delete(k)).rejects.toThrow(new TypeError(message));
    await expect(cache.take(k)).rejects.toThrow(new TypeError(message));
    await expect(cache.getOrLoad(k, () => ({ value: 1 }))).rejects.toThrow(new TypeError(message));
    expect(cache.peek(k)).toBeUndefined();
  });

  it('rejects undefined values and bad per-entry options', async () => {
    const { cache } = track(make<number | undefined>());
    await expect(cache.set('a', undefined)).rejects.toThrow(
      new TypeError('"value" must not be undefined'),
    );
    await expect(cache.set('a', 1, { ttlSeconds: 0 })).rejects.toThrow(
      new TypeError('"options.ttlSeconds" must be a finite number of seconds > 0, got 0'),
    );
    await expect(cache.set('a', 1, { expiresAt: Number.NaN })).rejects.toThrow(
      new TypeError(
        '"options.expiresAt" must be a finite number of seconds since the epoch, got NaN',
      ),
    );
    await expect(cache.set('a', 1, null as never)).rejects.toThrow(
      new TypeError('"options" must be { ttlSeconds?, expiresAt? }'),
    );
    expect(cache.peek('a')).toBeUndefined();
  });

  it('rejects an expiresAt in milliseconds (a JWT exp is in seconds)', async () => {
    const { cache, clock: c } = track(make<number>());
    await expect(cache.set('a', 1, { expiresAt: c.now() + 60_000 })).rejects.toThrow(
      /"options.expiresAt" must be in seconds since the epoch \(like a JWT "exp"\)/,
    );
  });
});

describe('TTL rules (injected clock)', () => {
  it('expires an entry after the default ttlSeconds, not a millisecond earlier', async () => {
    const { cache, clock: c } = track(make<string>({ ttlSeconds: 10 }));
    await cache.set('a', 'v');
    c.advance(9_999);
    expect(cache.peek('a')).toBe('v');
    c.advance(1);
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.stats().expirations).toBe(1);
  });

  it.each([
    // [ttlSeconds, expiresAt offset in s, life in ms]
    [60, 30, 30_000],
    [30, 60, 30_000],
    [60, 0.5, 500],
    [1, 1, 1_000],
  ])(
    'ttl %ss and expiresAt now+%ss live min(ttl, expiresAt - now) = %sms',
    async (ttl, exp, life) => {
      const { cache, clock: c } = track(make<string>());
      await cache.set('a', 'v', { ttlSeconds: ttl, expiresAt: c.seconds() + exp });
      c.advance(life - 1);
      expect(cache.peek('a')).toBe('v');
      c.advance(1);
      expect(cache.peek('a')).toBeUndefined();
    },
  );

  it.each([0, -1, -3600])(
    'does not store an entry whose expiresAt is now%+ds, and removes the old one',
    async (offset) => {
      const { cache, clock: c } = track(make<string>());
      await cache.set('a', 'old');
      await cache.set('a', 'new', { expiresAt: c.seconds() + offset });
      expect(cache.peek('a')).toBeUndefined();
      expect(cache.stats().size).toBe(0);
    },
  );

  it('caps a huge ttlSeconds at about 4,400 years instead of overflowing', async () => {
    const { cache, clock: c } = track(make<string>());
    await cache.set('a', 'v', { ttlSeconds: 1e300 });
    c.advance(2 ** 47 - 1);
    expect(cache.peek('a')).toBe('v');
    c.advance(1);
    expect(cache.peek('a')).toBeUndefined();
  });

  it('does not store an entry with less than 1 ms to live', async () => {
    const { cache, clock: c } = track(make<string>());
    await cache.set('a', 'v', { expiresAt: c.seconds() + 0.0009 });
    expect(cache.peek('a')).toBeUndefined();
  });

  it('get, getOrLoad and take never return an expired entry', async () => {
    const { cache, clock: c } = track(make<string>({ ttlSeconds: 1 }));
    await cache.set('a', 'v');
    await cache.set('b', 'v');
    await cache.set('c', 'v');
    c.advance(1_000);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.take('b')).toBeUndefined();
    expect(await cache.getOrLoad('c', () => ({ value: 'fresh' }))).toBe('fresh');
  });

  it('sweeps expired entries on inserts without reading them (amortised)', async () => {
    const { cache, clock: c } = track(make<number>({ ttlSeconds: 1, maxEntries: 1_000 }));
    for (let i = 0; i < 100; i++) await cache.set(`old${i}`, i);
    c.advance(1_000);
    // Each insert inspects a constant number of entries: 100 inserts sweep all 100 old ones.
    for (let i = 0; i < 100; i++) await cache.set(`new${i}`, i, { ttlSeconds: 60 });
    expect(cache.stats().size).toBe(100);
    expect(cache.stats().expirations).toBe(100);
    expect(cache.stats().evictions).toBe(0);
  });

  it('sweeps from an unref-ed timer when idle', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const c = clock();
      const cache = createCache<number>({ now: c.now, ttlSeconds: 1, logger: silent });
      for (let i = 0; i < 10; i++) await cache.set(`k${i}`, i);
      c.advance(2_000);
      expect(cache.stats().size).toBe(10);
      vi.advanceTimersByTime(30_000);
      expect(cache.stats().size).toBe(0);
      await cache.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('the sweep timer does not keep the process alive', async () => {
    const spy = vi.spyOn(globalThis, 'setInterval');
    try {
      const cache = createCache({ logger: silent });
      await cache.set('k', 1);
      const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      await cache.close();
    } finally {
      spy.mockRestore();
    }
  });

  // Cloudflare Workers refuse timers outside a handler: a cache (and a validator) created at
  // module scope must not set one.
  it('arms no timer at construction, one on the first write (value or negative), none after close', async () => {
    const spy = vi.spyOn(globalThis, 'setInterval');
    try {
      const cache = createCache<number>({ logger: silent, negative: { ttlSeconds: 5 } });
      expect(cache.peek('k')).toBeUndefined();
      await expect(cache.get('k')).resolves.toBeUndefined();
      expect(spy).not.toHaveBeenCalled();
      await expect(
        cache.getOrLoad('bad', async () => ({ error: new Error('no'), ttlSeconds: 5 })),
      ).rejects.toThrow('no');
      expect(spy).toHaveBeenCalledTimes(1);
      await cache.set('a', 1);
      await cache.set('b', 2);
      expect(spy).toHaveBeenCalledTimes(1);
      await cache.close();

      const closed = createCache<number>({ logger: silent });
      await closed.close();
      await expect(closed.set('a', 1)).rejects.toThrow();
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('LRU bound', () => {
  it('never holds more than maxEntries and counts evictions', async () => {
    const { cache } = track(make<number>({ maxEntries: 3 }));
    for (let i = 0; i < 10; i++) await cache.set(`k${i}`, i);
    const s = cache.stats();
    expect(s.size).toBe(3);
    expect(s.evictions).toBe(7);
    expect([cache.peek('k7'), cache.peek('k8'), cache.peek('k9')]).toEqual([7, 8, 9]);
  });

  it('keeps an entry that is read over one that is not (second chance)', async () => {
    const { cache } = track(make<string>({ maxEntries: 3 }));
    await cache.set('a', 'a');
    await cache.set('b', 'b');
    await cache.set('c', 'c');
    expect(cache.peek('a')).toBe('a'); // a was inserted first, but is now the recently used one
    await cache.set('d', 'd');
    expect(cache.peek('a')).toBe('a');
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.stats().evictions).toBe(1);
  });

  it('keeps a hot key through a flood of one-shot keys', async () => {
    const { cache } = track(make<number>({ maxEntries: 100 }));
    await cache.set('hot', 1);
    for (let i = 0; i < 10_000; i++) {
      await cache.set(`flood${i}`, i);
      if (i % 50 === 0) expect(cache.peek('hot')).toBe(1);
    }
    expect(cache.stats().size).toBe(100);
  });

  it('prefers evicting expired entries (counted as expirations, not evictions)', async () => {
    const { cache, clock: c } = track(make<number>({ maxEntries: 2 }));
    await cache.set('short', 1, { ttlSeconds: 1 });
    await cache.set('long', 2, { ttlSeconds: 60 });
    c.advance(1_000);
    await cache.set('new', 3);
    expect(cache.stats()).toMatchObject({ size: 2, evictions: 0, expirations: 1 });
  });
});

describe('stats', () => {
  it('counts hits and misses of peek, get, getOrLoad and take', async () => {
    const { cache } = track(make<number>());
    await cache.set('a', 1);
    cache.peek('a');
    cache.peek('x');
    await cache.get('a');
    await cache.get('x');
    await cache.getOrLoad('a', () => ({ value: 9 }));
    await cache.getOrLoad('y', () => ({ value: 9 }));
    await cache.take('a');
    await cache.take('a');
    expect(cache.stats()).toEqual({
      hits: 4,
      misses: 4,
      loads: 1,
      coalesced: 0,
      negativeHits: 0,
      evictions: 0,
      expirations: 0,
      size: 1,
      negativeSize: 0,
      writeFailures: 0,
      readFailures: 0,
    });
  });
});

describe('take', () => {
  it('returns the value once', async () => {
    const { cache } = track(make<string>());
    await cache.set('state', 'verifier');
    const results = await Promise.all([cache.take('state'), cache.take('state')]);
    expect(results.sort()).toEqual(['verifier', undefined].sort());
    expect(cache.peek('state')).toBeUndefined();
  });
});

describe('getOrLoad', () => {
  it('shares one loader call between concurrent callers', async () => {
    const { cache } = track(make<string>());
    let release!: (v: { value: string }) => void;
    const loader = vi.fn(() => new Promise<{ value: string }>((r) => (release = r)));
    const callers = Array.from({ length: 100 }, () => cache.getOrLoad('k', loader));
    release({ value: 'v' });
    expect(await Promise.all(callers)).toEqual(Array(100).fill('v'));
    expect(loader).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toMatchObject({ loads: 1, coalesced: 99 });
    expect(cache.peek('k')).toBe('v');
  });

  it('uses the ttlSeconds and expiresAt the loader returns', async () => {
    const { cache, clock: c } = track(make<string>({ ttlSeconds: 300 }));
    await cache.getOrLoad('a', () => ({ value: 'x', ttlSeconds: 5 }));
    await cache.getOrLoad('b', () => ({ value: 'y', expiresAt: c.seconds() + 2 }));
    c.advance(2_000);
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('a')).toBe('x');
    c.advance(3_000);
    expect(cache.peek('a')).toBeUndefined();
  });

  it('returns but does not store a value whose expiresAt has passed', async () => {
    const { cache, clock: c } = track(make<string>());
    expect(await cache.getOrLoad('a', () => ({ value: 'x', expiresAt: c.seconds() - 1 }))).toBe(
      'x',
    );
    expect(cache.stats().size).toBe(0);
  });

  it('does not cache a thrown error: the next call loads again', async () => {
    const { cache } = track(make<string>());
    const boom = new Error('idp down');
    const loader = vi.fn().mockRejectedValueOnce(boom).mockResolvedValueOnce({ value: 'ok' });
    const [a, b] = await Promise.allSettled([
      cache.getOrLoad('k', loader),
      cache.getOrLoad('k', loader),
    ]);
    expect(a).toEqual({ status: 'rejected', reason: boom });
    expect(b).toEqual({ status: 'rejected', reason: boom });
    expect(await cache.getOrLoad('k', loader)).toBe('ok');
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('a synchronously throwing loader rejects and leaves nothing in flight', async () => {
    const { cache } = track(make<string>());
    const err = new Error('sync');
    await expect(
      cache.getOrLoad('k', () => {
        throw err;
      }),
    ).rejects.toBe(err);
    expect(await cache.getOrLoad('k', () => ({ value: 'later' }))).toBe('later');
  });

  it('caches { error } in the negative space for its short TTL', async () => {
    const { cache, clock: c } = track(make<string>({ negative: { ttlSeconds: 10 } }));
    const rejected = new Error('invalid token');
    const loader = vi.fn(async () => ({ error: rejected }) as const);
    await expect(cache.getOrLoad('bad', loader)).rejects.toBe(rejected);
    await expect(cache.getOrLoad('bad', loader)).rejects.toBe(rejected);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toMatchObject({ negativeHits: 1, negativeSize: 1, size: 0 });
    // negative entries are not values
    expect(cache.peek('bad')).toBeUndefined();
    expect(await cache.get('bad')).toBeUndefined();
    c.advance(10_000);
    await expect(cache.getOrLoad('bad', loader)).rejects.toBe(rejected);
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('honours the ttlSeconds of an { error } result', async () => {
    const { cache, clock: c } = track(make<string>());
    const loader = vi.fn(async () => ({ error: 'nope', ttlSeconds: 2 }));
    await expect(cache.getOrLoad('bad', loader)).rejects.toBe('nope');
    c.advance(1_999);
    await expect(cache.getOrLoad('bad', loader)).rejects.toBe('nope');
    expect(loader).toHaveBeenCalledTimes(1);
    c.advance(1);
    await expect(cache.getOrLoad('bad', loader)).rejects.toBe('nope');
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('a flood of negative entries never evicts good entries', async () => {
    const { cache } = track(make<string>({ maxEntries: 10, negative: { maxEntries: 5 } }));
    for (let i = 0; i < 10; i++) await cache.set(`good${i}`, `v${i}`);
    for (let i = 0; i < 1_000; i++) {
      await expect(cache.getOrLoad(`bogus${i}`, async () => ({ error: 'bad' }))).rejects.toBe(
        'bad',
      );
    }
    expect(cache.stats()).toMatchObject({ size: 10, negativeSize: 5, evictions: 0 });
    for (let i = 0; i < 10; i++) expect(cache.peek(`good${i}`)).toBe(`v${i}`);
  });

  it('set and delete clear a negative entry', async () => {
    const { cache } = track(make<string>());
    await expect(cache.getOrLoad('k', async () => ({ error: 'bad' }))).rejects.toBe('bad');
    await cache.set('k', 'good');
    expect(await cache.getOrLoad('k', async () => ({ error: 'bad' }))).toBe('good');
    await cache.delete('k');
    await expect(cache.getOrLoad('k', async () => ({ error: 'bad' }))).rejects.toBe('bad');
    await cache.delete('k');
    expect(await cache.getOrLoad('k', async () => ({ value: 'again' }))).toBe('again');
  });

  it('negative: false disables the negative space', async () => {
    const { cache } = track(make<string>({ negative: false }));
    const loader = vi.fn(async () => ({ error: 'bad' }));
    await expect(cache.getOrLoad('k', loader)).rejects.toBe('bad');
    await expect(cache.getOrLoad('k', loader)).rejects.toBe('bad');
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it.each([
    [
      null,
      'a getOrLoad loader must return { value, ttlSeconds?, expiresAt? } or { error, ttlSeconds? }',
    ],
    [
      'v',
      'a getOrLoad loader must return { value, ttlSeconds?, expiresAt? } or { error, ttlSeconds? }',
    ],
    [{}, 'a getOrLoad loader must return { value } with a value other than undefined'],
    [
      { value: undefined },
      'a getOrLoad loader must return { value } with a value other than undefined',
    ],
    [
      { value: 1, ttlSeconds: -5 },
      '"loader result ttlSeconds" must be a finite number of seconds > 0, got -5',
    ],
  ])(
    'rejects the loader result %j with a TypeError and caches nothing',
    async (result, message) => {
      const { cache } = track(make<unknown>());
      await expect(cache.getOrLoad('k', async () => result as never)).rejects.toThrow(
        new TypeError(message),
      );
      expect(cache.stats()).toMatchObject({ size: 0, negativeSize: 0 });
    },
  );

  it('abandons a loader that never settles after loadTimeoutMs: callers reject, the next call loads again', async () => {
    const { cache } = track(make<string>({ loadTimeoutMs: 50 }));
    const hung = vi.fn(() => new Promise<{ value: string }>(() => {}));
    const started = Date.now();
    const callers = [cache.getOrLoad('k', hung), cache.getOrLoad('k', hung)];
    for (const p of callers) {
      await expect(p).rejects.toMatchObject({
        name: 'CacheError',
        code: 'ERR_CACHE_TIMEOUT',
        operation: 'load',
      });
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(hung).toHaveBeenCalledTimes(1);
    expect(await cache.getOrLoad('k', async () => ({ value: 'fresh' }))).toBe('fresh');
    expect(cache.stats()).toMatchObject({ loads: 2, negativeSize: 0 });
  });

  it('times out each of many staggered loads at its own deadline, with one timer for all', async () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      const { cache } = track(make<string>({ loadTimeoutMs: 60 }));
      const hung = () => new Promise<{ value: string }>(() => {});
      const settled: Record<string, number> = {};
      const starts: Record<string, number> = {};
      const all: Promise<unknown>[] = [];
      for (let i = 0; i < 4; i++) {
        starts[`k${i}`] = performance.now();
        all.push(
          cache.getOrLoad(`k${i}`, hung).catch((err: { code?: string }) => {
            expect(err.code).toBe('ERR_CACHE_TIMEOUT');
            settled[`k${i}`] = performance.now();
          }),
        );
        // 100 loads that settle in time arm no timer of their own
        for (let j = 0; j < 25; j++) {
          all.push(cache.getOrLoad(`ok${i}-${j}`, async () => ({ value: 'v' })));
        }
        await new Promise((r) => setTimeout(r, 15));
      }
      const timersBefore = spy.mock.calls.filter(([, ms]) => ms === 60).length;
      await Promise.all(all);
      for (let i = 0; i < 4; i++) {
        // never early (timer granularity aside), and not late by more than scheduling noise
        expect(settled[`k${i}`]! - starts[`k${i}`]!).toBeGreaterThanOrEqual(59);
      }
      // One watchdog armed with the full timeout at the first load: not one per load (104).
      expect(timersBefore).toBe(1);
      expect(cache.stats()).toMatchObject({ loads: 104, size: 100 });
    } finally {
      spy.mockRestore();
    }
  });

  it('the load watchdog does not keep the process alive', async () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      const { cache } = track(make<string>({ loadTimeoutMs: 10_000 }));
      let release!: (v: { value: string }) => void;
      const p = cache.getOrLoad('k', () => new Promise((r) => (release = r)));
      const timer = spy.mock.results.at(-1)?.value as NodeJS.Timeout;
      expect(spy.mock.calls.at(-1)?.[1]).toBe(10_000);
      expect(timer.hasRef()).toBe(false);
      release({ value: 'v' });
      expect(await p).toBe('v');
    } finally {
      spy.mockRestore();
    }
  });

  it('a loadTimeoutMs beyond what setTimeout honours neither fires early nor polls', async () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      const { cache } = track(make<string>({ loadTimeoutMs: 2 ** 40 }));
      let release!: (v: { value: string }) => void;
      const p = cache.getOrLoad('k', () => new Promise((r) => (release = r)));
      const before = spy.mock.calls.length;
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 20));
      // Only our own 20 ms sleep was scheduled meanwhile: no 1 ms re-arming loop.
      expect(spy.mock.calls.length - before).toBe(1);
      expect(spy.mock.calls.map(([, ms]) => ms)).toContain(2 ** 31 - 1);
      release({ value: 'v' });
      expect(await p).toBe('v');
    } finally {
      spy.mockRestore();
    }
  });

  it('a result that arrives after the timeout is dropped, never stored', async () => {
    const { cache } = track(make<string>({ loadTimeoutMs: 20 }));
    let release!: (v: { value: string }) => void;
    const p = cache.getOrLoad('k', () => new Promise((r) => (release = r)));
    await expect(p).rejects.toMatchObject({ code: 'ERR_CACHE_TIMEOUT' });
    release({ value: 'late' });
    await new Promise((r) => setTimeout(r, 5));
    expect(cache.peek('k')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ size: 0, negativeSize: 0 });
  });

  it('a pending load still times out after close(): no caller waits forever', async () => {
    const { cache } = make<string>({ loadTimeoutMs: 20 });
    const p = cache.getOrLoad('k', () => new Promise<{ value: string }>(() => {}));
    await cache.close();
    await expect(p).rejects.toMatchObject({ code: 'ERR_CACHE_TIMEOUT' });
  });

  it.each([
    [
      'then throws',
      {
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point of the test
        then: () => {
          throw new Error('boom');
        },
      },
      'boom',
    ],
    [
      'then calls back twice',
      {
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point of the test
        then: (ok: (v: unknown) => void, fail: (e: unknown) => void) => {
          fail(new Error('first'));
          ok({ value: 'second' });
        },
      },
      'first',
    ],
  ])(
    'a hostile thenable from the loader (%s) fails the load once, and cleans up',
    async (_, thenable, message) => {
      const { cache } = track(make<string>());
      await expect(cache.getOrLoad('k', () => thenable as never)).rejects.toThrow(message);
      expect(cache.peek('k')).toBeUndefined();
      expect(await cache.getOrLoad('k', () => ({ value: 'fresh' }))).toBe('fresh');
    },
  );

  it('calls the loader with the key, so one loader function serves every key', async () => {
    const { cache } = track(make<string>());
    const loader = vi.fn(async (key: string) => ({ value: `v:${key}` }));
    expect(await Promise.all([cache.getOrLoad('a', loader), cache.getOrLoad('b', loader)])).toEqual(
      ['v:a', 'v:b'],
    );
    expect(loader.mock.calls).toEqual([['a'], ['b']]);
  });

  it('a synchronous loader result is validated and stored like an async one', async () => {
    const { cache } = track(make<unknown>());
    await expect(cache.getOrLoad('bad', () => ({}) as never)).rejects.toThrow(
      new TypeError('a getOrLoad loader must return { value } with a value other than undefined'),
    );
    await expect(cache.getOrLoad('neg', () => ({ error: 'no' }))).rejects.toBe('no');
    expect(await cache.getOrLoad('ok', () => ({ value: 1, ttlSeconds: 5 }))).toBe(1);
    expect(cache.peek('ok')).toBe(1);
    expect(cache.stats()).toMatchObject({ size: 1, negativeSize: 1, loads: 3 });
  });

  it('rejects a loader that is not a function', async () => {
    const { cache } = track(make<unknown>());
    await expect(cache.getOrLoad('k', 'x' as never)).rejects.toThrow(
      new TypeError('"loader" must be a function'),
    );
  });

  it('a delete during a load returns the loaded value but does not store it', async () => {
    const { cache } = track(make<string>());
    let release!: (v: { value: string }) => void;
    const pending = cache.getOrLoad('k', () => new Promise((r) => (release = r)));
    await cache.delete('k'); // e.g. the token was revoked meanwhile
    release({ value: 'stale' });
    expect(await pending).toBe('stale');
    expect(cache.peek('k')).toBeUndefined();
  });

  it('a set during a load wins over the load result', async () => {
    const { cache } = track(make<string>());
    let release!: (v: { value: string }) => void;
    const pending = cache.getOrLoad('k', () => new Promise((r) => (release = r)));
    await cache.set('k', 'newer');
    release({ value: 'older' });
    await pending;
    expect(cache.peek('k')).toBe('newer');
  });

  it('clear during a load: nothing is stored', async () => {
    const { cache } = track(make<string>());
    let release!: (v: { value: string }) => void;
    const pending = cache.getOrLoad('k', () => new Promise((r) => (release = r)));
    await cache.clear();
    release({ value: 'v' });
    await pending;
    expect(cache.stats().size).toBe(0);
  });
});

describe('close', () => {
  it('is idempotent and makes every async method reject with ERR_CACHE_CLOSED', async () => {
    const { cache } = make<string>();
    await cache.set('a', 'v');
    await Promise.all([cache.close(), cache.close()]);
    expect(cache.peek('a')).toBeUndefined();
    for (const call of [
      () => cache.get('a'),
      () => cache.set('a', 'v'),
      () => cache.delete('a'),
      () => cache.take('a'),
      () => cache.clear(),
      () => cache.getOrLoad('a', () => ({ value: 'v' })),
    ]) {
      await expect(call()).rejects.toMatchObject({ name: 'CacheError', code: 'ERR_CACHE_CLOSED' });
    }
  });
});
