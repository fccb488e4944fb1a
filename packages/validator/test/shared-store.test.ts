import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { redisStore } from '@mcp-auth/cache';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenValidator } from '../src/index.js';
import {
  decodeJwt,
  OTHER_RESOURCE,
  rejectsWith,
  serviceToken,
  startAuthServer,
  validatorFor,
} from './helpers.js';

/** cache.store with a real redis-server: shared results, hashed keys, namespaces, failures. */
const run = promisify(execFile);
let redis: RedisProcess;
let as: DevAuthServer;
const open: TokenValidator[] = [];

beforeAll(async () => {
  [redis, as] = await Promise.all([startRedis(), startAuthServer()]);
});
afterAll(async () => {
  await Promise.all(open.map((v) => v.close()));
  await Promise.all([as?.stop(), redis?.stop()]);
});

function v(o: Parameters<typeof validatorFor>[1] = {}): TokenValidator {
  const validator = validatorFor(as, {
    cache: { store: redisStore({ url: redis.url, prefix: 'test:', logger: {} }) },
    ...o,
  });
  open.push(validator);
  return validator;
}

async function keys(): Promise<string[]> {
  const { stdout } = await run('redis-cli', ['-p', String(redis.port), '--scan']);
  return stdout.split('\n').filter(Boolean);
}

describe('cache.store: a shared Redis tier', () => {
  it('a second process (validator) reuses the first one’s result: no second signature check', async () => {
    const token = await serviceToken(as);
    const a = v();
    const b = v();
    await a.validate(token);
    expect(a.stats().jwtVerifications).toBe(1);
    await new Promise((r) => setTimeout(r, 100)); // the shared write is in the background
    const auth = await b.validate(token);
    expect(auth.clientId).toBe('mcp-service');
    expect(b.stats().jwtVerifications).toBe(0);
  });

  it('a stored JWT result is reused only while its kid is still published (key removed: refused)', async () => {
    const token = await serviceToken(as);
    const oldKid = decodeJwt(token).header.kid as string;
    const a = v();
    await a.validate(token);
    await new Promise((r) => setTimeout(r, 100)); // the shared write is in the background
    const stillPublished = v();
    await expect(stillPublished.validate(token)).resolves.toMatchObject({
      clientId: 'mcp-service',
    });
    expect(stillPublished.stats().jwtVerifications).toBe(0); // from Redis, kid checked

    const newKid = await as.keys.add('RS256');
    as.keys.setCurrent(newKid);
    as.keys.remove(oldKid);
    const b = v(); // another process: Redis still holds the result
    await rejectsWith(b.validate(token), 'ERR_KEY_NOT_FOUND');
    expect(b.stats().jwtVerifications).toBe(1); // the stored result was not trusted
  });

  it('keys are hashes: the raw token never becomes a key or a value in Redis', async () => {
    const token = await serviceToken(as);
    await v().validate(token);
    await new Promise((r) => setTimeout(r, 100));
    const all = await keys();
    expect(all.length).toBeGreaterThan(0);
    for (const key of all) {
      expect(key).toMatch(/^test:validator:v2:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{43}$/);
      expect(key).not.toContain(token.slice(-20));
      const { stdout } = await run('redis-cli', ['-p', String(redis.port), 'GET', key]);
      expect(stdout).not.toContain(token.split('.')[2]!);
    }
  });

  it('a validator for another resource sharing the store never trusts those entries', async () => {
    const token = await serviceToken(as);
    await v().validate(token);
    await new Promise((r) => setTimeout(r, 100));
    const other = v({ resource: OTHER_RESOURCE });
    await rejectsWith(other.validate(token), 'ERR_AUDIENCE_MISMATCH');
    expect(other.stats().jwtVerifications).toBe(1);
  });

  it('Redis down: validation still works (the shared tier is an optimisation)', async () => {
    const validator = v();
    await redis.kill();
    try {
      const token = await serviceToken(as);
      await expect(validator.validate(token)).resolves.toMatchObject({ clientId: 'mcp-service' });
    } finally {
      await redis.restart();
    }
  });
});
