import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCache, hashKey } from './index.js';

const silent = { warn: () => {} };

describe('hostile keys and values (memory store)', () => {
  it.each([
    '__proto__',
    'constructor',
    'hasOwnProperty',
    'toString',
    ' ',
    '\u0000',
    '\ud800', // lone surrogate
    'x'.repeat(1_000_000),
  ])('treats %j as an ordinary key', async (key) => {
    const cache = createCache<{ ok: boolean }>({ logger: silent });
    expect(cache.peek(key)).toBeUndefined();
    expect(await cache.get(key)).toBeUndefined();
    await cache.set(key, { ok: true });
    expect(cache.peek(key)).toEqual({ ok: true });
    expect(await cache.take(key)).toEqual({ ok: true });
    expect(cache.peek(key)).toBeUndefined();
    expect(({} as Record<string, unknown>).ok).toBeUndefined(); // no prototype pollution
    await cache.close();
  });

  it('memory stays bounded by maxEntries for any stream of keys (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ minLength: 1, maxLength: 64, unit: 'binary' }), { maxLength: 500 }),
        async (keys) => {
          const cache = createCache<number>({ maxEntries: 7, logger: silent });
          for (const [i, k] of keys.entries()) {
            await cache.set(k, i);
            await cache.getOrLoad(`${k}!`, async () => ({ error: 'bad' })).catch(() => {});
          }
          const s = cache.stats();
          expect(s.size).toBeLessThanOrEqual(7);
          expect(s.negativeSize).toBeLessThanOrEqual(1_000);
          await cache.close();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a flood of 100,000 distinct negative keys is held to negative.maxEntries', async () => {
    const cache = createCache<string>({ negative: { maxEntries: 100 }, logger: silent });
    await cache.set('good', 'v');
    for (let i = 0; i < 100_000; i++) {
      await cache.getOrLoad(hashKey(`bogus-${i}`), async () => ({ error: 401 })).catch(() => {});
    }
    expect(cache.stats()).toMatchObject({ size: 1, negativeSize: 100 });
    expect(cache.peek('good')).toBe('v');
    await cache.close();
  });

  it('getOrLoad with 10,000 concurrent callers makes one loader call', async () => {
    const cache = createCache<string>({ logger: silent });
    let calls = 0;
    const results = await Promise.all(
      Array.from({ length: 10_000 }, () =>
        cache.getOrLoad('k', async () => {
          calls++;
          await new Promise((r) => setTimeout(r, 5));
          return { value: 'v' };
        }),
      ),
    );
    expect(calls).toBe(1);
    expect(results.every((r) => r === 'v')).toBe(true);
    await cache.close();
  });
});
