import type { MemoryCacheStore } from './types.js';

/**
 * The in-process store (the default): a bounded `Map` with LRU-style eviction at the cache's
 * `maxEntries` and per-entry expiry. A hit is synchronous (`cache.peek`) and costs about one
 * `Map.get`. Values are kept by reference: treat them as immutable.
 *
 * @example
 * ```ts
 * import { createCache, memoryStore } from '@mcp-auth/cache';
 *
 * const cache = createCache<string>({ store: memoryStore(), maxEntries: 1_000, ttlSeconds: 60 });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9111#section-4.2 (freshness lifetime, for the TTL model)
 */
export function memoryStore(): MemoryCacheStore {
  return { kind: 'memory' };
}
