import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lru } from './lru.js';

const FAR = 1e15;

type Snapshot = { key: string; read: boolean }[];
function snapshot(lru: Lru<number>): Snapshot {
  return [...lru.map.entries()].map(([key, en]) => ({ key, read: en.r }));
}

describe('Lru (second chance)', () => {
  it('evicts an entry that was not read since it was queued while one exists (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(
          fc.oneof(
            fc.record({ set: fc.integer({ min: 0, max: 30 }) }),
            fc.record({ peek: fc.integer({ min: 0, max: 30 }) }),
          ),
          { maxLength: 300 },
        ),
        (max, ops) => {
          const lru = new Lru<number>(
            max,
            () => 0,
            () => 0,
          );
          for (const o of ops) {
            if ('peek' in o) {
              lru.peek(`k${o.peek}`);
              continue;
            }
            const key = `k${o.set}`;
            const before = snapshot(lru);
            lru.set(key, o.set, FAR);
            const after = new Set(lru.map.keys());
            const evicted = before.filter((e) => !after.has(e.key));
            expect(evicted.length).toBeLessThanOrEqual(1);
            expect(lru.size).toBeLessThanOrEqual(max);
            expect(lru.peek(key)).toBe(o.set); // the fresh entry is never the victim
            const victim = evicted[0];
            if (victim !== undefined && before.some((e) => !e.read && e.key !== key)) {
              expect(victim.read).toBe(false);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('when every entry was read, evicts the oldest and clears the flags (one full turn)', () => {
    const lru = new Lru<number>(
      3,
      () => 0,
      () => 0,
    );
    for (const [i, k] of ['a', 'b', 'c'].entries()) lru.set(k, i, FAR);
    for (const k of ['c', 'a', 'b']) lru.peek(k);
    lru.set('d', 3, FAR);
    expect([...lru.map.keys()]).toEqual(['b', 'c', 'd']);
    expect(snapshot(lru).every((e) => !e.read)).toBe(true);
    expect(lru.evictions).toBe(1);
  });

  it('drops expired entries first at eviction and counts them as expirations', () => {
    let now = 0;
    const lru = new Lru<number>(
      2,
      () => now,
      () => now,
    );
    lru.set('old', 1, 10);
    lru.set('live', 2, FAR);
    lru.peek('old');
    now = 10;
    lru.set('new', 3, FAR);
    expect([...lru.map.keys()].sort()).toEqual(['live', 'new']);
    expect({ evictions: lru.evictions, expirations: lru.expirations }).toEqual({
      evictions: 0,
      expirations: 1,
    });
  });

  it('sweepSome inspects at most its budget and wraps around once', () => {
    let now = 0;
    const lru = new Lru<number>(
      100,
      () => now,
      () => now,
    );
    for (let i = 0; i < 10; i++) lru.set(`k${i}`, i, i < 5 ? 5 : FAR);
    now = 5;
    const first = lru.sweepSome(3, now);
    expect(first).toBeLessThanOrEqual(3);
    // a large budget finishes the pass, including the entries before where the last one stopped
    expect(first + lru.sweepSome(100, now)).toBe(5);
    expect(lru.size).toBe(5);
    expect(lru.expirations).toBe(5);
  });

  it('take returns a live value once and never an expired one', () => {
    let now = 0;
    const lru = new Lru<string>(
      10,
      () => now,
      () => now,
    );
    lru.set('a', 'x', 10);
    lru.set('b', 'y', 10);
    expect(lru.take('a')).toBe('x');
    expect(lru.take('a')).toBeUndefined();
    now = 10;
    expect(lru.take('b')).toBeUndefined();
    expect(lru.size).toBe(0);
  });
});

describe('Lru tail index for long keys (a hint, never trusted alone)', () => {
  const TAIL = 'x'.repeat(40); // the last 32 characters of every key below are equal
  const long = (prefix: string) => `${prefix}.${'p'.repeat(80)}.${TAIL}`;

  it('keys that share their tail are told apart by the full key', () => {
    const lru = new Lru<string>(
      10,
      () => 0,
      () => 0,
    );
    lru.set(long('a'), 'A', FAR);
    lru.set(long('b'), 'B', FAR);
    expect(lru.peek(long('a'))).toBe('A');
    expect(lru.peek(long('b'))).toBe('B');
    expect(lru.peek(long('a'))).toBe('A');
    // A forged key keeping another's tail (a token with the signature of a cached one) misses.
    expect(lru.peek(long('forged'))).toBeUndefined();
  });

  it.each([
    ['delete', (lru: Lru<string>, k: string) => lru.delete(k)],
    ['take', (lru: Lru<string>, k: string) => lru.take(k)],
    ['clear', (lru: Lru<string>) => lru.clear()],
  ])(
    'a key removed by %s is never found through a stale hint; set again, the new value is',
    (_n, remove) => {
      const lru = new Lru<string>(
        10,
        () => 0,
        () => 0,
      );
      const k = long('a');
      lru.set(k, 'old', FAR);
      expect(lru.peek(k)).toBe('old'); // hint in place
      remove(lru, k);
      expect(lru.peek(k)).toBeUndefined();
      lru.set(k, 'new', FAR);
      expect(lru.peek(k)).toBe('new');
    },
  );

  it('an evicted key is never found through a stale hint', () => {
    const lru = new Lru<number>(
      2,
      () => 0,
      () => 0,
    );
    const keys = ['a', 'b', 'c'].map(long);
    lru.set(keys[0]!, 0, FAR);
    lru.set(keys[1]!, 1, FAR);
    lru.set(keys[2]!, 2, FAR); // evicts keys[0] (not read since queued)
    expect(lru.map.has(keys[0]!)).toBe(false);
    expect(lru.peek(keys[0]!)).toBeUndefined();
  });

  it('an entry swept by the precise clock is not found by a lagging read clock', () => {
    let write = 0;
    const lru = new Lru<string>(
      10,
      () => 0,
      () => write,
    );
    const k = long('a');
    lru.set(k, 'v', 100);
    expect(lru.peek(k)).toBe('v');
    write = 200;
    lru.sweepSome(10, 200); // gone by the precise clock; the read clock still says 0
    expect(lru.peek(k)).toBeUndefined();
  });

  it('the hint index stays bounded whatever keys arrive', () => {
    const lru = new Lru<number>(
      4,
      () => 0,
      () => 0,
    );
    for (let i = 0; i < 1000; i++) {
      lru.set(`${i}.${'k'.repeat(100)}${i}`, i, FAR);
      lru.peek(`${i}.${'k'.repeat(100)}${i}`);
    }
    expect((lru as unknown as { tails: Map<string, unknown> }).tails.size).toBeLessThanOrEqual(8);
    expect(lru.size).toBeLessThanOrEqual(4);
  });
});
