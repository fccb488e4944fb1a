import { redisStore } from '@mcp-auth/cache';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisDpopReplayStore, type TokenValidator } from '../src/index.js';
import { boundToken, dpopRequest, type KeyPair, newKeyPair, proofFor } from './dpop-helpers.js';
import { OPAQUE_RESOURCE, rejectsWith, startAuthServer, validatorFor } from './helpers.js';

/** DPoP across instances (a real redis-server) and through introspection (`cnf` in the response). */
let redis: RedisProcess;
let as: DevAuthServer;
let client: ReturnType<typeof createClient>;
let keyPair: KeyPair;
let token: string;
const open: TokenValidator[] = [];

beforeAll(async () => {
  [redis, as, keyPair] = await Promise.all([startRedis(), startAuthServer(), newKeyPair()]);
  client = createClient({ url: redis.url });
  client.on('error', () => {});
  await client.connect();
  token = await boundToken(as, keyPair);
});
afterAll(async () => {
  await Promise.all(open.map((v) => v.close()));
  if (client?.isOpen) await client.close();
  await Promise.all([as?.stop(), redis?.stop()]);
});

function instance(prefix = 'dpop-test:'): TokenValidator {
  const validator = validatorFor(as, {
    cache: { store: redisStore({ url: redis.url, prefix: 'results:', logger: {} }) },
    dpop: {
      mode: 'allowed',
      replayStore: redisDpopReplayStore({ client: client as never, prefix }),
    },
  });
  open.push(validator);
  return validator;
}

describe('DPoP replay across instances (redis-server)', () => {
  it('a proof accepted by one instance is refused by another', async () => {
    const a = instance();
    const b = instance();
    const proof = await proofFor(keyPair, token);
    await a.authenticate(dpopRequest(token, proof));
    const err = await rejectsWith(b.authenticate(dpopRequest(token, proof)), 'ERR_DPOP_REPLAYED');
    expect(err.status).toBe(401);
    const fresh = await proofFor(keyPair, token);
    expect((await b.authenticate(dpopRequest(token, fresh))).extra?.senderConstrained).toBe('dpop');
  });

  it('the same proof to ten instances at once: exactly one accepts', async () => {
    const instances = Array.from({ length: 10 }, () => instance());
    const proof = await proofFor(keyPair, token);
    const results = await Promise.allSettled(
      instances.map((v) => v.authenticate(dpopRequest(token, proof))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected')
        expect((r.reason as { code: string }).code).toBe('ERR_DPOP_REPLAYED');
    }
  });

  it('the jti key lives in Redis no longer than the iat window', async () => {
    const a = instance('dpop-ttl:');
    await a.authenticate(dpopRequest(token, await proofFor(keyPair, token)));
    const keys = await client.keys('dpop-ttl:*');
    expect(keys).toHaveLength(1);
    const ttl = await client.pTTL(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(62_000);
  });

  it('a failing store refuses the proof (503, fail closed)', async () => {
    const broken = validatorFor(as, {
      dpop: {
        mode: 'allowed',
        replayStore: { add: () => Promise.reject(new Error('down')) },
      },
    });
    open.push(broken);
    const err = await rejectsWith(
      broken.authenticate(dpopRequest(token, await proofFor(keyPair, token))),
      'ERR_DPOP_REPLAY_STORE_UNAVAILABLE',
    );
    expect(err).toMatchObject({ status: 503, retryAfterSeconds: 1 });
  });

  it('redis-server stopped: the proof is refused with 503 (fail closed), never accepted', async () => {
    const own = await startRedis();
    const ownClient = createClient({ url: own.url, socket: { reconnectStrategy: () => 50 } });
    ownClient.on('error', () => {});
    await ownClient.connect();
    const validator = validatorFor(as, {
      dpop: { mode: 'allowed', replayStore: redisDpopReplayStore({ client: ownClient as never }) },
    });
    open.push(validator);
    await validator.authenticate(dpopRequest(token, await proofFor(keyPair, token)));
    await own.stop();
    const err = await rejectsWith(
      validator.authenticate(dpopRequest(token, await proofFor(keyPair, token))),
      'ERR_DPOP_REPLAY_STORE_UNAVAILABLE',
    );
    expect(err).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    await ownClient.destroy();
  });

  it('a shared cache.store without a dpop.replayStore is a TypeError', () => {
    expect(() =>
      validatorFor(as, {
        cache: { store: redisStore({ url: redis.url, logger: {} }) },
        dpop: { mode: 'allowed' },
      }),
    ).toThrow('"dpop.replayStore" is required with a shared "cache.store"');
  });
});

describe('DPoP with introspection: cnf in the introspection response', () => {
  it('an opaque DPoP-bound token is bound by its introspected cnf.jkt', async () => {
    const opaque = await boundToken(as, keyPair, OPAQUE_RESOURCE);
    expect(opaque.split('.')).toHaveLength(1);
    const validator = validatorFor(as, {
      resource: OPAQUE_RESOURCE,
      introspection: {
        clientId: as.clients.introspector.clientId,
        clientSecret: as.clients.introspector.clientSecret,
      },
      dpop: { mode: 'allowed' },
    });
    open.push(validator);
    const request = (proof: string) => ({ ...dpopRequest(opaque, proof), url: '/opaque' });
    const htu = OPAQUE_RESOURCE;
    const auth = await validator.authenticate(request(await proofForAt(keyPair, opaque, htu)));
    expect(auth.extra).toMatchObject({ tokenType: 'opaque', senderConstrained: 'dpop' });
    const other = await newKeyPair();
    await rejectsWith(
      validator.authenticate(request(await proofForAt(other, opaque, htu))),
      'ERR_DPOP_KEY_MISMATCH',
    );
    await rejectsWith(validator.validate(opaque), 'ERR_DPOP_BOUND_TOKEN_AS_BEARER');
    const disabled = validatorFor(as, {
      resource: OPAQUE_RESOURCE,
      introspection: {
        clientId: as.clients.introspector.clientId,
        clientSecret: as.clients.introspector.clientSecret,
      },
    });
    open.push(disabled);
    const err = await rejectsWith(disabled.validate(opaque), 'ERR_NOT_ACCESS_TOKEN');
    expect(err.reason).toBe('sender_constrained');
  });
});

function proofForAt(k: KeyPair, t: string, htu: string): Promise<string> {
  return proofFor(k, t, { htu });
}
