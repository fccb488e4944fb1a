import { randomBytes } from 'node:crypto';
import { redisStore } from '@mcp-auth/cache';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authenticateRequest } from '../src/fetch.js';
import {
  createTokenValidator,
  type TokenValidator,
  type TokenValidatorOptions,
} from '../src/index.js';
import {
  OPAQUE_RESOURCE,
  RESOURCE,
  rejectsWith,
  serviceToken,
  startAuthServer,
  validatorFor,
} from './helpers.js';
import { type ControlledIssuer, startControlledIssuer } from './issuer.js';

/**
 * Issue 12 items 6 and 8: revocation within a known bound (introspection results live at most
 * min(exp, introspection.cacheMaxSeconds), `evict(token)` reaches every tier), and bounded
 * introspection traffic (failures remembered by hash; concurrency and rate caps → 503 with
 * Retry-After and no upstream call). Upstream calls are counted at the fetch the validator uses.
 */

let as: DevAuthServer;
let ctl: ControlledIssuer;
let redis: RedisProcess;
const open: TokenValidator[] = [];

beforeAll(async () => {
  [as, ctl, redis] = await Promise.all([startAuthServer(), startControlledIssuer(), startRedis()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([as?.stop(), ctl?.stop(), redis?.stop()]);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((v) => v.close()));
});

/** A clock the test moves, and a count of the introspection requests sent upstream. */
function harness() {
  const base = Date.now();
  const clock = { offset: 0 };
  const calls = { introspect: 0 };
  const now = () => base + clock.offset;
  const fetchCounting = (input: string, init: RequestInit) => {
    if (input.endsWith('/introspect') || input.includes('/token/introspection')) calls.introspect++;
    return fetch(input, init);
  };
  return { clock, calls, now, fetch: fetchCounting };
}

function track(v: TokenValidator): TokenValidator {
  open.push(v);
  return v;
}

/** A validator of the real AS's opaque tokens. */
function realOpaque(h: ReturnType<typeof harness>, o: Partial<TokenValidatorOptions> = {}) {
  return track(
    validatorFor(as, {
      resource: OPAQUE_RESOURCE,
      tokenFormat: 'opaque',
      now: h.now,
      fetch: h.fetch,
      introspection: {
        clientId: as.clients.introspector.clientId,
        clientSecret: as.clients.introspector.clientSecret,
      },
      ...o,
    }),
  );
}

/** A validator of the controlled issuer's opaque tokens. */
function ctlOpaque(h: ReturnType<typeof harness>, o: Partial<TokenValidatorOptions> = {}) {
  return track(
    createTokenValidator({
      issuer: ctl.url,
      resource: RESOURCE,
      allowInsecureHttpForLoopback: true,
      tokenFormat: 'opaque',
      now: h.now,
      fetch: h.fetch,
      ...o,
      introspection: {
        endpoint: `${ctl.url}/introspect`,
        clientId: 'rs',
        clientSecret: 's',
        ...o.introspection,
      },
    }),
  );
}

const randomToken = () => randomBytes(24).toString('base64url');

describe('revocation within a known bound (issue 12 item 6)', () => {
  it('a revoked opaque token is refused once introspection.cacheMaxSeconds (60 s by default) has passed', async () => {
    const h = harness();
    const v = realOpaque(h);
    const token = await serviceToken(as, OPAQUE_RESOURCE);
    await expect(v.validate(token)).resolves.toMatchObject({ clientId: 'mcp-service' });
    await as.revoke(token);

    h.clock.offset = 59_999; // still the cached result (the cache TTL is 300 s)
    await expect(v.validate(token)).resolves.toMatchObject({ clientId: 'mcp-service' });
    expect(h.calls.introspect).toBe(1);

    h.clock.offset = 60_000; // introspected again: revoked
    await rejectsWith(v.validate(token), 'ERR_TOKEN_INACTIVE');
    expect(h.calls.introspect).toBe(2);
  });

  it('the bound follows the option', async () => {
    const h = harness();
    const v = realOpaque(h, {
      introspection: {
        clientId: as.clients.introspector.clientId,
        clientSecret: as.clients.introspector.clientSecret,
        cacheMaxSeconds: 5,
      },
    });
    const token = await serviceToken(as, OPAQUE_RESOURCE);
    await v.validate(token);
    await as.revoke(token);
    h.clock.offset = 4_999;
    await expect(v.validate(token)).resolves.toBeTruthy();
    h.clock.offset = 5_000;
    await rejectsWith(v.validate(token), 'ERR_TOKEN_INACTIVE');
  });

  it('a result never outlives exp, even under the maximum', async () => {
    const h = harness();
    const v = ctlOpaque(h);
    const exp = Math.floor(h.now() / 1000) + 20;
    ctl.introspection.set('short-lived', {
      active: true,
      aud: RESOURCE,
      exp,
      scope: 'mcp:read',
      client_id: 'c',
    });
    try {
      await v.validate('short-lived');
      h.clock.offset = (exp + 30) * 1000 - (h.now() - h.clock.offset) + 1; // past exp + tolerance
      await rejectsWith(v.validate('short-lived'), 'ERR_TOKEN_EXPIRED');
    } finally {
      ctl.introspection.delete('short-lived');
    }
  });

  it('evict(token): the next request introspects again (revocation at once)', async () => {
    const h = harness();
    const v = realOpaque(h);
    const token = await serviceToken(as, OPAQUE_RESOURCE);
    await v.validate(token);
    await as.revoke(token);
    await v.evict(token);
    await rejectsWith(v.validate(token), 'ERR_TOKEN_INACTIVE');
    expect(h.calls.introspect).toBe(2);
  });

  it('evict(token) removes the shared Redis entry too: another instance introspects again', async () => {
    const h = harness();
    const store = () => redisStore({ url: redis.url, prefix: 'evict:', logger: {} });
    const a = realOpaque(h, { cache: { store: store() } });
    const b = realOpaque(h, { cache: { store: store() } });
    const token = await serviceToken(as, OPAQUE_RESOURCE);
    await a.validate(token);
    await new Promise((r) => setTimeout(r, 100)); // the shared write is in the background
    await b.validate(token); // from Redis: no introspection
    expect(h.calls.introspect).toBe(1);

    await as.revoke(token);
    await a.evict(token);
    const c = realOpaque(h, { cache: { store: store() } });
    await rejectsWith(c.validate(token), 'ERR_TOKEN_INACTIVE');
    expect(h.calls.introspect).toBe(2);
  });

  it('evict(token) works for JWTs too: the next request verifies the signature again', async () => {
    const v = track(validatorFor(as));
    const token = await serviceToken(as);
    await v.validate(token);
    await v.validate(token);
    expect(v.stats().jwtVerifications).toBe(1);
    await v.evict(token);
    await v.validate(token);
    expect(v.stats().jwtVerifications).toBe(2);
  });

  it('evict with a non-string is a TypeError', async () => {
    const v = track(validatorFor(as));
    await expect(v.evict(42 as unknown as string)).rejects.toThrow(TypeError);
  });
});

describe('bounded introspection traffic (issue 12 item 8)', () => {
  it('300 random tokens at once: introspection.maxConcurrent (10) upstream calls, 290 × 503 with Retry-After', async () => {
    const h = harness();
    const v = ctlOpaque(h);
    const results = await Promise.allSettled(
      Array.from({ length: 300 }, () => v.validate(randomToken())),
    );
    expect(h.calls.introspect).toBe(10);
    const codes = results.map((r) => (r as PromiseRejectedResult).reason?.code);
    expect(codes.filter((c) => c === 'ERR_TOKEN_INACTIVE')).toHaveLength(10);
    const busy = results
      .map((r) => (r as PromiseRejectedResult).reason)
      .filter((e) => e.code === 'ERR_AUTH_SERVER_UNAVAILABLE');
    expect(busy).toHaveLength(290);
    for (const e of busy) {
      expect(e).toMatchObject({
        status: 503,
        retryAfterSeconds: 1,
        reason: 'introspection_concurrency',
      });
    }
  });

  it('300 random tokens one after another: introspection.maxPerSecond (50) calls per second, then 503', async () => {
    const h = harness();
    const v = ctlOpaque(h);
    const codes: string[] = [];
    for (let i = 0; i < 300; i++) {
      codes.push(
        await v.validate(randomToken()).then(
          () => 'ok',
          (e) => `${e.code}:${e.reason}`,
        ),
      );
    }
    expect(h.calls.introspect).toBe(50);
    expect(codes.filter((c) => c === 'ERR_TOKEN_INACTIVE:inactive')).toHaveLength(50);
    expect(
      codes.filter((c) => c === 'ERR_AUTH_SERVER_UNAVAILABLE:introspection_rate'),
    ).toHaveLength(250);
    const err = await rejectsWith(v.validate(randomToken()), 'ERR_AUTH_SERVER_UNAVAILABLE');
    expect(err.retryAfterSeconds).toBe(1);

    h.clock.offset = 1_000; // one second later: another second's worth
    for (let i = 0; i < 60; i++) await v.validate(randomToken()).catch(() => {});
    expect(h.calls.introspect).toBe(100);
  });

  it('the 503 carries Retry-After on the wire (Fetch adapter)', async () => {
    const h = harness();
    const v = ctlOpaque(h, {
      introspection: { clientId: 'rs', clientSecret: 's', maxPerSecond: 1 },
    });
    const req = () =>
      new Request(RESOURCE, { headers: { authorization: `Bearer ${randomToken()}` } });
    const first = await authenticateRequest(v, req());
    expect(first.ok ? 200 : first.response.status).toBe(401);
    const second = await authenticateRequest(v, req());
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.response.status).toBe(503);
    expect(second.response.headers.get('retry-after')).toBe('1');
    expect(h.calls.introspect).toBe(1);
  });

  it('a refused token is remembered by hash: 300 requests with one random token → 1 upstream call (negative cache off)', async () => {
    const h = harness();
    const v = ctlOpaque(h, { cache: { negativeTtlSeconds: 0 } });
    const token = randomToken();
    for (let i = 0; i < 300; i++) await rejectsWith(v.validate(token), 'ERR_TOKEN_INACTIVE');
    expect(h.calls.introspect).toBe(1);
    h.clock.offset = 30_000; // introspection.failureTtlSeconds (30 s) later: asked again
    await rejectsWith(v.validate(token), 'ERR_TOKEN_INACTIVE');
    expect(h.calls.introspect).toBe(2);
  });

  it('outages are not remembered as refusals: a 503 upstream leaves the token to be asked again', async () => {
    const h = harness();
    const v = ctlOpaque(h);
    ctl.modes.introspect = { kind: 'status', status: 500 };
    try {
      await rejectsWith(v.validate('opaque-outage'), 'ERR_AUTH_SERVER_UNAVAILABLE');
    } finally {
      ctl.modes.introspect = { kind: 'ok' };
    }
    ctl.introspection.set('opaque-outage', {
      active: true,
      aud: RESOURCE,
      exp: Math.floor(h.now() / 1000) + 600,
      client_id: 'c',
    });
    try {
      await expect(v.validate('opaque-outage')).resolves.toMatchObject({ clientId: 'c' });
      expect(h.calls.introspect).toBe(2);
    } finally {
      ctl.introspection.delete('opaque-outage');
    }
  });

  it.each([
    ['maxConcurrent', 0],
    ['maxConcurrent', 1.5],
    ['maxPerSecond', 0],
    ['cacheMaxSeconds', 0],
    ['failureTtlSeconds', -1],
  ])('introspection.%s = %s is a TypeError naming it', (name, value) => {
    expect(() =>
      createTokenValidator({
        issuer: ctl.url,
        resource: RESOURCE,
        allowInsecureHttpForLoopback: true,
        introspection: { clientId: 'rs', clientSecret: 's', [name]: value },
      }),
    ).toThrow(`"introspection.${name}"`);
  });
});
