/**
 * Session bindings shared by every server process, in Redis, through `@mcp-auth/cache`:
 *
 *   const sessions = redisSessionStore(process.env.REDIS_URL!);
 *   const gate = createGate({ validator, sessions: { store: sessions.store } });
 *
 * A Redis that fails to answer reads as "unknown session" (404: the client starts a new one), never
 * as "anyone may use it".
 */
import { type Cache, createCache, type Logger, redisStore } from '@mcp-auth/cache';
import type { SessionStore } from '@mcp-auth/gate';

/** A {@link SessionStore} over any `@mcp-auth/cache` cache (TTL from the binding, not sliding). */
export function cacheSessionStore(cache: Cache<string>): SessionStore {
  return {
    get: (sessionId) => cache.get(sessionId),
    set: (sessionId, principal, ttlSeconds) => cache.set(sessionId, principal, { ttlSeconds }),
    delete: (sessionId) => cache.delete(sessionId),
  };
}

/** `logger`: where Redis failures are reported (default `console`). */
export function redisSessionStore(
  url: string,
  logger?: Logger,
): { store: SessionStore; close(): Promise<void> } {
  const cache = createCache<string>({
    store: redisStore({ url, prefix: 'mcp-session:', ...(logger ? { logger } : {}) }),
    name: 'mcp-sessions',
    ...(logger ? { logger } : {}),
  });
  return { store: cacheSessionStore(cache), close: () => cache.close() };
}
