import { type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Cache } from '../src/index.js';

/** A logger that drops the expected warnings of fault tests. */
export const silent = { warn: () => {} };

/**
 * One real redis-server per test file (a free loopback port, no persistence, stopped in
 * `afterAll`), a raw client to look at what the caches wrote, and the caches a test opened,
 * closed after each test. Call at the top level of a test file.
 */
export function useRedis(tag: string) {
  const open: Cache<unknown>[] = [];
  let n = 0;
  const h = {
    redis: undefined as unknown as RedisProcess,
    raw: undefined as unknown as ReturnType<typeof createClient>,
    /** Closed after the test. */
    open,
    /** A key prefix no other test of the run uses. */
    uniquePrefix(): string {
      n++;
      return `${tag}${n}-${process.pid}:`;
    },
  };
  beforeAll(async () => {
    h.redis = await startRedis();
    h.raw = createClient({ url: h.redis.url });
    h.raw.on('error', () => {});
    await h.raw.connect();
  });
  afterAll(async () => {
    h.raw?.destroy();
    await h.redis?.stop();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  return h;
}
