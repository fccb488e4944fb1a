import { redisStore } from '@mcp-auth/cache';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenValidator, TokenValidatorOptions } from '../src/index.js';
import {
  OPAQUE_RESOURCE,
  rejectsWith,
  serviceToken,
  startAuthServer,
  validatorFor,
} from './helpers.js';

/**
 * Issue 15 item 1: `evict(token)` on one instance reaches the in-process tier of every instance
 * sharing the Redis store (the delete broadcast of @mcp-auth/cache). Two validators, each with its
 * own store (own connections), as two server instances would have; a real redis-server and the
 * real local AS.
 */
let redis: RedisProcess;
let as: DevAuthServer;
let raw: ReturnType<typeof createClient>;
const open: TokenValidator[] = [];
const PREFIX = 'evict-test:';

beforeAll(async () => {
  [redis, as] = await Promise.all([startRedis(), startAuthServer()]);
  raw = createClient({ url: redis.url });
  raw.on('error', () => {});
  await raw.connect();
});
afterAll(async () => {
  await Promise.all(open.map((v) => v.close()));
  raw?.destroy();
  await Promise.all([as?.stop(), redis?.stop()]);
});

function instance(o: Partial<TokenValidatorOptions> = {}): TokenValidator {
  const v = validatorFor(as, {
    cache: { store: redisStore({ url: redis.url, prefix: PREFIX, logger: {} }) },
    ...o,
  });
  open.push(v);
  return v;
}

function opaqueInstance(): TokenValidator {
  return instance({
    resource: OPAQUE_RESOURCE,
    tokenFormat: 'opaque',
    introspection: {
      clientId: as.clients.introspector.clientId,
      clientSecret: as.clients.introspector.clientSecret,
    },
  });
}

async function subscribers(): Promise<number> {
  const reply = (await raw.sendCommand(['PUBSUB', 'NUMSUB', PREFIX])) as unknown[];
  return Number(reply[1]);
}

async function until(check: () => Promise<boolean>, boundMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < boundMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`condition not met within ${boundMs} ms`);
}

describe('evict(token) reaches every instance (delete broadcast)', () => {
  it('a revoked opaque token is refused on B right after evict on A', async () => {
    const a = opaqueInstance();
    const b = opaqueInstance();
    const token = await serviceToken(as, OPAQUE_RESOURCE);
    await expect(a.validate(token)).resolves.toMatchObject({ clientId: 'mcp-service' });
    await expect(b.validate(token)).resolves.toMatchObject({ clientId: 'mcp-service' });
    const introspectedByB = b.stats().introspections;
    await as.revoke(token);
    // Cached on B: still accepted (introspection results live up to cacheMaxSeconds).
    await expect(b.validate(token)).resolves.toMatchObject({ clientId: 'mcp-service' });
    await until(async () => (await subscribers()) >= 2, 2_000);
    await a.evict(token);
    await new Promise((r) => setTimeout(r, 100));
    await rejectsWith(b.validate(token), 'ERR_TOKEN_INACTIVE');
    expect(b.stats().introspections).toBe(introspectedByB + 1); // asked the AS again
  });

  it('B drops its in-process result within ~100 ms of evict on A (JWT: B then verifies the signature again)', async () => {
    const a = instance();
    const b = instance();
    await until(async () => (await subscribers()) >= 2, 2_000);
    const token = await serviceToken(as);
    await a.validate(token);
    await b.validate(token);
    const verifiedByB = b.stats().jwtVerifications;
    await b.validate(token);
    expect(b.stats().jwtVerifications).toBe(verifiedByB); // from B's in-process tier
    await a.evict(token);
    // Gone from B's in-process tier and from Redis: B verifies the signature again.
    const ms = await until(async () => {
      await b.validate(token);
      return b.stats().jwtVerifications === verifiedByB + 1;
    }, 1_000);
    expect(ms).toBeLessThan(100);
  });

  it('only the hashed key crosses Redis: the channel never carries the token', async () => {
    const a = instance();
    const heard: string[] = [];
    const spy = raw.duplicate();
    spy.on('error', () => {});
    await spy.connect();
    await spy.subscribe(PREFIX, (m) => heard.push(m));
    try {
      const token = await serviceToken(as);
      await a.validate(token);
      await a.evict(token);
      await until(async () => heard.length === 1, 1_000);
      expect(heard[0]).toMatch(/^validator:v2:[\w-]{16}:[\w-]{43}$/); // namespace + hashKey(token)
      expect(heard[0]).not.toContain(token);
      for (const part of token.split('.')) expect(heard[0]).not.toContain(part);
    } finally {
      spy.destroy();
    }
  });
});
