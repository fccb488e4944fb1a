export { type Cache, createCache } from './cache.js';
export {
  CACHE_ERROR_CODES,
  CacheError,
  type CacheErrorCode,
  type CacheOperation,
  isCacheError,
} from './errors.js';
export { hashKey } from './hash-key.js';
export { memoryStore } from './memory-store.js';
export type { CacheOptions } from './options.js';
export { type RedisClientLike, type RedisStoreOptions, redisStore } from './redis-store.js';
export type {
  CacheStats,
  CacheStore,
  LoadResult,
  Logger,
  MemoryCacheStore,
  RemoteCacheStore,
  RemoteEntry,
  SetOptions,
} from './types.js';
