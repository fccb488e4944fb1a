import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCache } from './index.js';

const silent = { warn: () => {} };

type Op =
  | { op: 'set'; key: string; value: number }
  | { op: 'peek'; key: string }
  | { op: 'get'; key: string }
  | { op: 'delete'; key: string }
  | { op: 'take'; key: string };

const key = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
  fc.string({ minLength: 1, maxLength: 12 }),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key, value: fc.integer() }),
  fc.record({ op: fc.constant('peek' as const), key }),
  fc.record({ op: fc.constant('get' as const), key }),
  fc.record({ op: fc.constant('delete' as const), key }),
  fc.record({ op: fc.constant('take' as const), key }),
);

describe('properties', () => {
  it('size never exceeds maxEntries, and every hit is the latest value set for its key', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 16 }),
        fc.array(op, { maxLength: 300 }),
        async (maxEntries, ops) => {
          const cache = createCache<number>({ maxEntries, logger: silent, now: () => 1e12 });
          // Model: the latest value per key that was set and not deleted/taken since.
          const latest = new Map<string, number>();
          for (const o of ops) {
            switch (o.op) {
              case 'set':
                await cache.set(o.key, o.value);
                latest.set(o.key, o.value);
                // A just-written entry is never the eviction victim.
                expect(cache.peek(o.key)).toBe(o.value);
                break;
              case 'peek': {
                const v = cache.peek(o.key);
                if (v !== undefined) expect(v).toBe(latest.get(o.key));
                break;
              }
              case 'get': {
                const v = await cache.get(o.key);
                if (v !== undefined) expect(v).toBe(latest.get(o.key));
                break;
              }
              case 'delete':
                await cache.delete(o.key);
                latest.delete(o.key);
                expect(cache.peek(o.key)).toBeUndefined();
                break;
              case 'take': {
                const v = await cache.take(o.key);
                if (v !== undefined) expect(v).toBe(latest.get(o.key));
                latest.delete(o.key);
                expect(cache.peek(o.key)).toBeUndefined();
                break;
              }
            }
            const s = cache.stats();
            expect(s.size).toBeLessThanOrEqual(maxEntries);
            expect(s.size).toBeLessThanOrEqual(latest.size);
          }
          await cache.close();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('whatever keys arrive, the cache holds exactly min(distinct keys, maxEntries) entries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.uniqueArray(fc.string({ minLength: 1 }), { maxLength: 200 }),
        async (maxEntries, keys) => {
          const cache = createCache<string>({ maxEntries, logger: silent });
          for (const k of keys) await cache.set(k, k);
          expect(cache.stats().size).toBe(Math.min(keys.length, maxEntries));
          expect(cache.stats().evictions).toBe(Math.max(0, keys.length - maxEntries));
          await cache.close();
        },
      ),
    );
  });

  it('an entry lives exactly min(ttlSeconds, expiresAt - now), floored to whole ms', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 86_400_000 }).map((ms) => ms / 1000), // ttlSeconds, ms precision
        fc.option(fc.integer({ min: -100_000, max: 86_400_000 }), { nil: undefined }), // expiresAt offset, ms
        fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }), // start time
        fc.integer({ min: 0, max: 90_000_000 }), // elapsed ms before the read
        async (ttlSeconds, expOffsetMs, start, elapsed) => {
          let t = start;
          const cache = createCache<string>({ now: () => t, logger: silent });
          const expiresAt = expOffsetMs === undefined ? undefined : (start + expOffsetMs) / 1000;
          await cache.set('k', 'v', { ttlSeconds, expiresAt });
          const life = Math.floor(
            Math.min(
              ttlSeconds * 1000,
              expiresAt === undefined ? Infinity : expiresAt * 1000 - start,
            ),
          );
          if (life < 1) {
            // already expired: not stored at all
            expect(cache.stats().size).toBe(0);
          } else {
            t = start + elapsed;
            expect(cache.peek('k')).toBe(elapsed < life ? 'v' : undefined);
          }
          await cache.close();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('getOrLoad calls the loader once per key however many callers race', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 200 }),
        async (keys) => {
          const cache = createCache<string>({ logger: silent });
          const calls = new Map<string, number>();
          const results = await Promise.all(
            keys.map((k) =>
              cache.getOrLoad(k, async () => {
                calls.set(k, (calls.get(k) ?? 0) + 1);
                await new Promise((r) => setTimeout(r, 1));
                return { value: `v:${k}` };
              }),
            ),
          );
          expect(results).toEqual(keys.map((k) => `v:${k}`));
          for (const k of new Set(keys)) expect(calls.get(k)).toBe(1);
          await cache.close();
        },
      ),
      { numRuns: 50 },
    );
  });
});
