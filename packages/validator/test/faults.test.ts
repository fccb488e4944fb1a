import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTokenValidator,
  type TokenValidator,
  type TokenValidatorOptions,
} from '../src/index.js';
import {
  decodeJwt,
  RESOURCE,
  rejectsWith,
  serviceToken,
  startAuthServer,
  validatorFor,
} from './helpers.js';
import { type ControlledIssuer, startControlledIssuer } from './issuer.js';

let ctl: ControlledIssuer;
let offset = 0;
const now = () => Date.now() + offset;
const open: TokenValidator[] = [];

beforeAll(async () => {
  ctl = await startControlledIssuer();
});
afterAll(async () => {
  await ctl?.stop();
});
afterEach(async () => {
  offset = 0;
  ctl.modes.jwks = { kind: 'ok' };
  ctl.modes.metadata = { kind: 'ok' };
  ctl.modes.introspect = { kind: 'ok' };
  await Promise.all(open.splice(0).map((v) => v.close()));
});

function validator(o: Partial<TokenValidatorOptions> = {}): TokenValidator {
  const v = createTokenValidator({
    issuer: ctl.url,
    resource: RESOURCE,
    allowInsecureHttpForLoopback: true,
    now,
    ...o,
    jwt: { jwksUri: ctl.jwksUri, jwksTimeoutMs: 300, ...o.jwt },
  });
  open.push(v);
  return v;
}

function token(over: Record<string, unknown> = {}, header?: Record<string, unknown>): string {
  const t = Math.floor(now() / 1000);
  return ctl.sign(
    {
      iss: ctl.url,
      sub: 'u',
      aud: RESOURCE,
      client_id: 'c',
      scope: 'mcp:read',
      iat: t,
      exp: t + 3600,
      jti: Math.random().toString(36),
      ...over,
    },
    header,
  );
}

describe('JWKS faults', () => {
  it('JWKS down at start-up: 503 with Retry-After, backoff, then recovery without restart', async () => {
    ctl.modes.jwks = { kind: 'status', status: 503 };
    const v = validator();
    const err = await rejectsWith(v.validate(token()), 'ERR_AUTH_SERVER_UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(err.reason).toBe('jwks_http_status');
    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    const res = (
      err as unknown as {
        toResponse(o: object): { status: number; headers: Record<string, string>; body: object };
      }
    ).toResponse({
      resourceMetadata: v.resourceMetadataUrl,
    });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: err.message });
    // during the backoff: no request hammers the server
    const hits = ctl.jwksHits();
    const again = await rejectsWith(v.validate(token()), 'ERR_AUTH_SERVER_UNAVAILABLE');
    expect(again.reason).toBe('jwks_backoff');
    expect(ctl.jwksHits()).toBe(hits);
    // back up
    ctl.modes.jwks = { kind: 'ok' };
    offset += 2_000;
    const auth = await v.validate(token());
    expect(auth.clientId).toBe('c');
  });

  it('the 503 is not cached: the same token validates once the JWKS is back', async () => {
    ctl.modes.jwks = { kind: 'status', status: 500 };
    const v = validator();
    const t = token();
    await rejectsWith(v.validate(t), 'ERR_AUTH_SERVER_UNAVAILABLE');
    ctl.modes.jwks = { kind: 'ok' };
    offset += 2_000;
    await expect(v.validate(t)).resolves.toMatchObject({ clientId: 'c' });
  });

  it('JWKS unreachable (connection refused)', async () => {
    const port = await getFreePort();
    const v = validator({ jwt: { jwksUri: `http://127.0.0.1:${port}/jwks` } });
    const err = await rejectsWith(v.validate(token()), 'ERR_AUTH_SERVER_UNAVAILABLE');
    expect(err.reason).toBe('jwks_unreachable');
  });

  it.each([
    ['slow', { kind: 'slow', ms: 3_000 }],
    ['hanging', { kind: 'hang' }],
  ] as const)('%s JWKS times out quickly', async (_n, mode) => {
    ctl.modes.jwks = mode;
    const v = validator();
    const started = Date.now();
    const err = await rejectsWith(v.validate(token()), 'ERR_AUTH_SERVER_UNAVAILABLE');
    expect(err.reason).toBe('jwks_timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it.each([
    ['not JSON', 'this is not json', 'jwks_invalid'],
    ['HTML error page', '<html><body>502 Bad Gateway</body></html>', 'jwks_invalid'],
    ['a JSON array', '[]', 'jwks_invalid'],
    ['JSON null', 'null', 'jwks_invalid'],
    ['keys not an array', '{"keys":"x"}', 'jwks_invalid'],
    ['no keys member', '{"kty":"RSA"}', 'jwks_invalid'],
    ['empty key set', '{"keys":[]}', 'jwks_empty'],
    [
      'only symmetric keys',
      '{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"ctl-key-1"}]}',
      'jwks_empty',
    ],
    [
      'only private keys',
      '{"keys":[{"kty":"RSA","n":"x","e":"AQAB","d":"x","kid":"ctl-key-1"}]}',
      'jwks_empty',
    ],
    [
      'a broken key with the right kid',
      '{"keys":[{"kty":"RSA","kid":"ctl-key-1"}]}',
      'jwks_invalid',
    ],
    ['a body over the size limit', `{"keys":[],"pad":"${'x'.repeat(300_000)}"}`, 'jwks_too_large'],
  ])('garbage JWKS (%s) → 503 %s', async (_n, body, reason) => {
    ctl.modes.jwks = { kind: 'body', body };
    const v = validator();
    const err = await rejectsWith(v.validate(token()), 'ERR_AUTH_SERVER_UNAVAILABLE');
    expect(err.reason).toBe(reason);
    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('garbage JWKS, then good keys: recovery without restart', async () => {
    ctl.modes.jwks = { kind: 'body', body: '{"keys":"garbage"}' };
    const v = validator();
    await rejectsWith(v.validate(token()), 'ERR_AUTH_SERVER_UNAVAILABLE');
    ctl.modes.jwks = { kind: 'ok' };
    offset += 2_000;
    await expect(v.validate(token())).resolves.toBeTruthy();
  });

  it('an outage after keys were fetched: the previous keys keep working (stale-if-error), with a warning', async () => {
    const warn = vi.fn();
    const v = validator({ logger: { warn }, jwt: { jwksCacheMaxAgeSeconds: 60 } });
    await v.validate(token());
    ctl.modes.jwks = { kind: 'status', status: 500 };
    offset += 61_000;
    await expect(v.validate(token())).resolves.toBeTruthy();
    expect(warn).toHaveBeenCalledWith(
      'JWKS refresh failed; using the previous keys',
      expect.anything(),
    );
  });

  it('unknown kids trigger at most one refetch per cooldown (no JWKS flood)', async () => {
    const v = validator({ jwt: { jwksRefetchCooldownSeconds: 30 } });
    await v.validate(token());
    const before = ctl.jwksHits();
    offset += 31_000; // past the cooldown: exactly one refetch allowed
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        v.validate(token({}, { alg: 'RS256', typ: 'at+jwt', kid: `rotated-${i}` })),
      ),
    );
    expect(
      results.every(
        (r) =>
          r.status === 'rejected' && (r.reason as { code: string }).code === 'ERR_KEY_NOT_FOUND',
      ),
    ).toBe(true);
    expect(ctl.jwksHits() - before).toBe(1);
  });
});

describe('key rotation on the real authorization server', () => {
  let as: DevAuthServer;
  beforeAll(async () => {
    as = await startAuthServer();
  });
  afterAll(async () => {
    await as?.stop();
  });

  it('a new kid is accepted without restart; a removed key is rejected after the JWKS max age', async () => {
    let clock = 0;
    const v = validatorFor(as, {
      now: () => Date.now() + clock,
      jwt: { jwksCacheMaxAgeSeconds: 120, jwksRefetchCooldownSeconds: 10 },
    });
    open.push(v);
    const [first, oldUnseen] = await Promise.all([serviceToken(as), serviceToken(as)]);
    const oldKid = decodeJwt(first).header.kid as string;
    await v.validate(first);
    expect(v.stats().jwksFetches).toBe(1);

    const newKid = await as.keys.add('RS256');
    as.keys.setCurrent(newKid);
    const rotated = await serviceToken(as);
    expect(decodeJwt(rotated).header.kid).toBe(newKid);
    clock += 11_000; // past the refetch cooldown
    await expect(v.validate(rotated)).resolves.toMatchObject({ clientId: 'mcp-service' });
    expect(v.stats().jwksFetches).toBe(2);

    as.keys.remove(oldKid);
    clock += 121_000; // past the JWKS max age: the keys are refetched, the old one is gone
    await rejectsWith(v.validate(oldUnseen), 'ERR_KEY_NOT_FOUND');
  });
});

describe('introspection faults', () => {
  function opaque(o: Partial<TokenValidatorOptions> = {}) {
    return validator({
      tokenFormat: 'opaque',
      introspection: {
        endpoint: `${ctl.url}/introspect`,
        clientId: 'rs',
        clientSecret: 's',
        timeoutMs: 300,
      },
      ...o,
    });
  }
  function activeToken(): string {
    const t = `opaque-${Math.random().toString(36).slice(2)}`;
    const s = Math.floor(now() / 1000);
    ctl.introspection.set(t, {
      active: true,
      aud: RESOURCE,
      exp: s + 600,
      scope: 'mcp:read',
      client_id: 'c',
      sub: 'u',
      iss: ctl.url,
    });
    return t;
  }

  it('an active token validates; basic credentials are sent', async () => {
    const v = opaque();
    await expect(v.validate(activeToken())).resolves.toMatchObject({
      clientId: 'c',
      extra: { tokenType: 'opaque' },
    });
    const req = ctl.server.requests.filter((r) => r.url === '/introspect').at(-1)!;
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('rs:s').toString('base64')}`);
  });

  it.each([
    ['HTTP 500', { kind: 'status', status: 500 }, 'introspection_http_status'],
    ['HTTP 401 (our credentials)', { kind: 'status', status: 401 }, 'introspection_unauthorized'],
    ['slow', { kind: 'slow', ms: 3_000 }, 'introspection_timeout'],
    ['hanging', { kind: 'hang' }, 'introspection_timeout'],
    ['not JSON', { kind: 'body', body: 'nope' }, 'introspection_invalid'],
    ['a JSON array', { kind: 'body', body: '[]' }, 'introspection_invalid'],
    ['active as a string', { kind: 'body', body: '{"active":"true"}' }, 'introspection_invalid'],
    ['no active member', { kind: 'body', body: '{"scope":"mcp:read"}' }, 'introspection_invalid'],
    [
      'too large',
      { kind: 'body', body: `{"active":true,"pad":"${'x'.repeat(100_000)}"}` },
      'introspection_too_large',
    ],
  ] as const)('introspection %s → 503 %s, then recovery', async (_n, mode, reason) => {
    const v = opaque();
    const t = activeToken();
    ctl.modes.introspect = mode;
    const err = await rejectsWith(v.validate(t), 'ERR_AUTH_SERVER_UNAVAILABLE');
    expect(err.reason).toBe(reason);
    expect(err.status).toBe(503);
    ctl.modes.introspect = { kind: 'ok' };
    await expect(v.validate(t)).resolves.toMatchObject({ clientId: 'c' });
  });

  it('introspection endpoint down (connection refused)', async () => {
    const port = await getFreePort();
    const v = opaque({
      introspection: {
        endpoint: `http://127.0.0.1:${port}/introspect`,
        clientId: 'rs',
        clientSecret: 's',
      },
    });
    const err = await rejectsWith(v.validate('some-opaque-token'), 'ERR_AUTH_SERVER_UNAVAILABLE');
    expect(err.reason).toBe('introspection_unreachable');
  });

  it.each([
    ['inactive', { active: false }, 'ERR_TOKEN_INACTIVE'],
    [
      'a refresh token',
      { active: true, token_type: 'refresh_token', aud: RESOURCE, exp: 9e9 },
      'ERR_NOT_ACCESS_TOKEN',
    ],
    ['no exp', { active: true, aud: RESOURCE }, 'ERR_CLAIM_INVALID'],
    ['expired exp', { active: true, aud: RESOURCE, exp: 1 }, 'ERR_TOKEN_EXPIRED'],
    [
      'other audience',
      { active: true, aud: 'https://other.example', exp: 9e9 },
      'ERR_AUDIENCE_MISMATCH',
    ],
    ['no audience', { active: true, exp: 9e9 }, 'ERR_AUDIENCE_MISMATCH'],
    [
      'other issuer',
      { active: true, aud: RESOURCE, exp: 9e9, iss: 'https://evil.example' },
      'ERR_ISSUER_MISMATCH',
    ],
    [
      'scope not a string',
      { active: true, aud: RESOURCE, exp: 9e9, scope: ['mcp:read'] },
      'ERR_CLAIM_INVALID',
    ],
    ['sub not a string', { active: true, aud: RESOURCE, exp: 9e9, sub: 5 }, 'ERR_CLAIM_INVALID'],
  ])('introspection response %s → %s', async (_n, response, code) => {
    const v = opaque();
    const t = `opaque-${Math.random().toString(36).slice(2)}`;
    ctl.introspection.set(t, response);
    await rejectsWith(v.validate(t), code);
  });
});

describe('discovery faults', () => {
  it('issuer metadata down at start-up, then back: 503 then recovery without restart', async () => {
    ctl.modes.metadata = { kind: 'status', status: 500 };
    const v = createTokenValidator({
      issuer: ctl.url,
      resource: RESOURCE,
      allowInsecureHttpForLoopback: true,
      now,
      discoveryTimeoutMs: 500,
    });
    open.push(v);
    const err = await rejectsWith(v.validate(token()), 'ERR_AUTH_SERVER_UNAVAILABLE');
    expect(err.reason).toMatch(/^discovery_/);
    ctl.modes.metadata = { kind: 'ok' };
    offset += 2_000;
    await expect(v.validate(token())).resolves.toMatchObject({ clientId: 'c' });
    expect(v.stats().discoveries).toBe(1);
  });
});
