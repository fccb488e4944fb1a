import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TokenValidator, TokenValidatorOptions } from '../src/index.js';
import {
  b64url,
  decodeJwt,
  RESOURCE,
  rejectsWith,
  serviceToken,
  startAuthServer,
  validatorFor,
} from './helpers.js';

/**
 * Issue 12 item 3, on the real local authorization server (keys.add / setCurrent / remove): a key
 * the issuer removed stops being trusted promptly, stale keys are bounded while the JWKS fails,
 * and unknown `kid`s cost at most one fetch per interval. Time is an injected clock.
 *
 * Before this change (defaults): a removed key kept working for cached tokens until the 300 s
 * cache TTL and for new tokens until the 600 s JWKS max age; while the JWKS failed, for another
 * hour (hard-coded); unknown kids refetched at most once per 30 s and their refusal was cached 30 s.
 */

let as: DevAuthServer;
const open: TokenValidator[] = [];

beforeAll(async () => {
  as = await startAuthServer();
}, 60_000);
afterAll(async () => {
  await as?.stop();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((v) => v.close()));
});

/** A validator on a settable clock, counting every JWKS request it sends. */
function clocked(server: DevAuthServer, o: Partial<TokenValidatorOptions> = {}) {
  const clock = { offset: 0 };
  const jwksRequests = { count: 0 };
  const base = Date.now(); // frozen: only `offset` moves the validator's time
  const v = validatorFor(server, {
    now: () => base + clock.offset,
    fetch: (input, init) => {
      if (String(input) === server.jwksUri) {
        jwksRequests.count++;
      }
      return fetch(input, init);
    },
    ...o,
  });
  open.push(v);
  return { v, clock, jwksRequests };
}

/** A new current key: returns the old (now removable) kid and the new one. */
async function rotate(server: DevAuthServer): Promise<{ oldKid: string; newKid: string }> {
  const oldKid = server.keys.list().find((k) => k.current && k.alg === 'RS256')!.kid;
  const newKid = await server.keys.add('RS256');
  server.keys.setCurrent(newKid);
  return { oldKid, newKid };
}

/** A token naming `kid` with a garbage (canonical) signature: key lookup happens first. */
function unknownKidToken(kid: string): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: 'RS256', typ: 'at+jwt', kid })}.${b64url({
    iss: as.issuer,
    aud: RESOURCE,
    exp: now + 3600,
  })}.AAAA`;
}

describe('a key removed from the JWKS', () => {
  it('is refused at once after the refresh that no longer lists it, cached results included', async () => {
    const { v, clock } = clocked(as);
    const [cached, unseen] = await Promise.all([serviceToken(as), serviceToken(as)]);
    await v.validate(cached);
    expect(v.stats().jwksFetches).toBe(1);

    const { oldKid, newKid } = await rotate(as);
    as.keys.remove(oldKid);
    const fresh = await serviceToken(as);
    expect(decodeJwt(fresh).header.kid).toBe(newKid);

    clock.offset += 5_000; // the unknown-kid cooldown (default 5 s)
    // The new kid triggers the refetch; that refresh no longer lists the old key.
    await expect(v.validate(fresh)).resolves.toMatchObject({ clientId: 'mcp-service' });
    expect(v.stats().jwksFetches).toBe(2);
    // Zero requests later: the cached result and an unseen token of the old key are refused.
    const e1 = await rejectsWith(v.validate(cached), 'ERR_KEY_NOT_FOUND');
    expect(e1).toMatchObject({ claim: 'kid', status: 401 });
    await rejectsWith(v.validate(unseen), 'ERR_KEY_NOT_FOUND');
    expect(v.stats().jwksFetches).toBe(2);
  });

  it('with no new kid to trigger a refetch: refused once the keys are jwksCacheMaxAgeSeconds old (300 s by default)', async () => {
    const { v, clock } = clocked(as);
    const cached = await serviceToken(as);
    const verified = await v.validate(cached);
    const { oldKid } = await rotate(as);
    as.keys.remove(oldKid);

    clock.offset = 299_000; // the cached result and the fetched keys are still fresh
    await expect(v.validate(cached)).resolves.toBe(verified);
    expect(v.stats().jwksFetches).toBe(1);

    clock.offset = 300_001; // the result never outlives the keys: re-verified, keys refetched
    await rejectsWith(v.validate(cached), 'ERR_KEY_NOT_FOUND');
    expect(v.stats().jwksFetches).toBe(2);
  });

  it('a refusal for an unknown kid lasts no longer than the refetch interval; the rotated key is then accepted', async () => {
    const { v, clock, jwksRequests } = clocked(as, { jwt: { jwksRefetchCooldownSeconds: 5 } });
    await v.validate(await serviceToken(as));
    await rotate(as);
    const rotated = await serviceToken(as);

    clock.offset = 1_000; // within the interval of the first fetch: no refetch, refused
    await rejectsWith(v.validate(rotated), 'ERR_KEY_NOT_FOUND');
    clock.offset = 4_999;
    await rejectsWith(v.validate(rotated), 'ERR_KEY_NOT_FOUND');
    expect(jwksRequests.count).toBe(1);

    clock.offset = 5_000; // the remembered refusal has ended: one refetch, accepted
    await expect(v.validate(rotated)).resolves.toMatchObject({ clientId: 'mcp-service' });
    expect(jwksRequests.count).toBe(2);
  });
});

describe('stale keys while the JWKS fails', () => {
  let down: DevAuthServer;
  beforeAll(async () => {
    down = await startAuthServer();
  }, 60_000);
  afterAll(async () => {
    await down?.stop().catch(() => {});
  });

  it('are used at most jwksStaleMaxAgeSeconds (60 s by default) past the max age, then 503', async () => {
    const warn = vi.fn();
    const { v, clock } = clocked(down, { logger: { warn } });
    const token = await serviceToken(down);
    await v.validate(token);
    await down.stop(); // connection refused from now on

    clock.offset = 300_001; // keys stale, the refresh fails: the previous keys still serve
    await expect(v.validate(token)).resolves.toMatchObject({ clientId: 'mcp-service' });
    expect(warn).toHaveBeenCalledWith(
      'JWKS refresh failed; using the previous keys',
      expect.anything(),
    );
    clock.offset = 359_999;
    await expect(v.validate(token)).resolves.toMatchObject({ clientId: 'mcp-service' });

    clock.offset = 360_001; // past max age + stale bound: no key is trusted any more
    const err = await rejectsWith(v.validate(token), 'ERR_AUTH_SERVER_UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });
});

describe('a flood of unknown kids', () => {
  it('costs at most one JWKS fetch per interval: 12,000 unknown kids over 60 s → 13 fetches', async () => {
    const { v, clock, jwksRequests } = clocked(as);
    await v.validate(await serviceToken(as)); // fetch 1
    let n = 0;
    for (let ms = 100; ms <= 60_000; ms += 100) {
      clock.offset = ms;
      const batch = Array.from({ length: 20 }, () => v.validate(unknownKidToken(`flood-${n++}`)));
      const results = await Promise.allSettled(batch);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason.code).toBe('ERR_KEY_NOT_FOUND');
      }
    }
    expect(n).toBe(12_000);
    // One fetch at start, then one per 5 s interval (at 5 s, 10 s, … 60 s).
    expect(jwksRequests.count).toBe(13);
  }, 60_000);
});
