import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createCache } from '../index.js';
import { coarseNow } from './clock.js';

describe('coarse hit clock', () => {
  it('is Date.now() read at most once per event-loop turn', async () => {
    const first = coarseNow();
    expect(Math.abs(first - Date.now())).toBeLessThan(50);
    // busy-wait inside the same turn: the clock stands still (that is its point)...
    const until = Date.now() + 5;
    while (Date.now() < until) {}
    expect(coarseNow()).toBe(first);
    // ...but the next turn sees the current time again
    await nextTurn();
    expect(coarseNow()).toBeGreaterThanOrEqual(until);
  });

  it('refreshes within a long turn after 1,024 reads', () => {
    const start = coarseNow();
    const until = Date.now() + 3;
    while (Date.now() < until) {}
    let latest = start;
    for (let i = 0; i < 1_100; i++) latest = coarseNow();
    expect(latest).toBeGreaterThanOrEqual(until);
  });

  it('with the default clock, an entry is gone once the turn after its expiry begins', async () => {
    const cache = createCache<string>({ ttlSeconds: 0.05, logger: {} });
    await cache.set('k', 'v');
    expect(cache.peek('k')).toBe('v');
    await new Promise((r) => setTimeout(r, 60));
    expect(cache.peek('k')).toBeUndefined();
    await cache.close();
  });
});
