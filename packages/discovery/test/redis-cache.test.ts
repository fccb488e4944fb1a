/**
 * Discovery results shared through a real redis-server (@mcp-auth/cache redisStore): what one
 * process discovered, another uses without a request, for at most the response's max-age.
 */
import { type Cache, createCache, redisStore } from '@mcp-auth/cache';
import {
  type RedisProcess,
  startHttpServer,
  startRedis,
  type TestHttpServer,
} from '@mcp-auth/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthorizationServerDiscovery, discoverAuthorizationServer } from '../src/index.js';

let redis: RedisProcess;
let as: TestHttpServer;
const caches: Cache<AuthorizationServerDiscovery>[] = [];

beforeAll(async () => {
  redis = await startRedis();
  as = await startHttpServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'cache-control': 'public, max-age=120',
    });
    res.end(
      JSON.stringify({
        issuer: as.url,
        authorization_endpoint: `${as.url}/authorize`,
        token_endpoint: `${as.url}/token`,
        jwks_uri: `${as.url}/jwks`,
        code_challenge_methods_supported: ['S256'],
      }),
    );
  });
});
afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await as?.stop();
  await redis?.stop();
});

function sharedCache(): {
  cache: Cache<AuthorizationServerDiscovery>;
  store: ReturnType<typeof redisStore>;
} {
  const store = redisStore({ url: redis.url, prefix: 'discovery-test:' });
  const cache = createCache<AuthorizationServerDiscovery>({ store, ttlSeconds: 86_400 });
  caches.push(cache);
  return { cache, store };
}

describe('discoverAuthorizationServer with a Redis-backed cache', () => {
  it('a second "process" reuses the first one\'s discovery, stored for max-age', async () => {
    const first = sharedCache();
    const second = sharedCache();
    const options = { allowInsecureHttpForLoopback: true };

    const a = await discoverAuthorizationServer(as.url, { ...options, cache: first.cache });
    expect(as.requests.map((r) => r.url)).toEqual(['/.well-known/oauth-authorization-server']);

    const b = await discoverAuthorizationServer(as.url, { ...options, cache: second.cache });
    expect(b).toEqual(a);
    expect(as.requests).toHaveLength(1);

    const entry = await second.store.get(`discovery:as:loopback-http:${as.url}`, true);
    expect(entry?.value).toEqual(a);
    expect(entry?.ttlMs).toBeGreaterThan(100_000);
    expect(entry?.ttlMs).toBeLessThanOrEqual(120_000);
  });
});
