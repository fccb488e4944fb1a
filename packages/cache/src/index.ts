export { type Cache, createCache } from './cache';
export { CacheError, type CacheErrorCode, type CacheOperation, isCacheError } from './errors';
export { hashKey } from './hash-key';
export { memoryStore } from './memory-store';
export type { CacheOptions } from './options';
export { type RedisClientLike, type RedisStoreOptions, redisStore } from './redis-store';
export type {
  CacheStats,
  CacheStore,
  LoadResult,
  Logger,
  MemoryCacheStore,
  RemoteCacheStore,
  RemoteEntry,
  SetOptions,
} from './types';
