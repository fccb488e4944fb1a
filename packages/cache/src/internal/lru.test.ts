import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lru } from './lru';

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
