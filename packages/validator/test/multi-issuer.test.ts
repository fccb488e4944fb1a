import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenValidator,
  type TokenValidator,
  type TokenValidatorOptions,
} from '../src/index.js';
import {
  b64url,
  decodeJwt,
  RESOURCE,
  rejectsWith,
  serviceToken,
  startAuthServer,
} from './helpers.js';
import { type ControlledIssuer, startControlledIssuer } from './issuer.js';

/**
 * Issue 14 item 2: several authorization servers for one resource. Real servers: a generic local
 * AS, an Okta-emulating local AS (aud `api://default`), an unlisted third one, and an issuer the
 * test controls that also answers introspection.
 */

let generic: DevAuthServer;
let okta: DevAuthServer;
let stranger: DevAuthServer;
let ctl: ControlledIssuer;
const open: TokenValidator[] = [];

beforeAll(async () => {
  [generic, okta, stranger, ctl] = await Promise.all([
    startAuthServer(),
    startAuthServer({ profile: 'okta' }),
    startAuthServer(),
    startControlledIssuer(),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([generic?.stop(), okta?.stop(), stranger?.stop(), ctl?.stop()]);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((v) => v.close()));
});

/** The multi-issuer validator, counting every request it sends. */
function multi(o: Partial<TokenValidatorOptions> = {}) {
  const requests: string[] = [];
  const v = createTokenValidator({
    resource: RESOURCE,
    allowInsecureHttpForLoopback: true,
    fetch: (url, init) => {
      requests.push(url);
      return fetch(url, init);
    },
    issuers: [
      { issuer: generic.issuer },
      { issuer: okta.issuer, profile: 'okta', audience: 'api://default' },
      {
        issuer: ctl.url,
        jwt: { jwksUri: ctl.jwksUri },
        introspection: { endpoint: `${ctl.url}/introspect`, clientId: 'rs', clientSecret: 's' },
      },
    ],
    ...o,
  });
  open.push(v);
  return { v, requests };
}

describe('several issuers for one resource', () => {
  it('lists every issuer; each issuer’s tokens are verified by that issuer’s keys and rules', async () => {
    const { v } = multi();
    expect(v.issuers).toEqual([generic.issuer, okta.issuer, ctl.url]);
    expect(v.issuer).toBe(generic.issuer);
    const [g, k] = await Promise.all([serviceToken(generic), serviceToken(okta)]);
    expect(decodeJwt(k).payload.aud).toBe('api://default');
    await expect(v.validate(g)).resolves.toMatchObject({
      clientId: 'mcp-service',
      extra: { issuer: generic.issuer, tokenType: 'jwt' },
    });
    await expect(v.validate(k)).resolves.toMatchObject({ extra: { issuer: okta.issuer } });
    // Cached: answered without a second verification.
    await v.validate(g);
    await v.validate(k);
    expect(v.stats()).toMatchObject({ jwtVerifications: 2, jwksFetches: 2, discoveries: 2 });
  });

  it('an iss that is not listed is refused before any network call', async () => {
    const { v, requests } = multi();
    const err = await rejectsWith(v.validate(await serviceToken(stranger)), 'ERR_ISSUER_MISMATCH');
    expect(err).toMatchObject({ claim: 'iss', reason: 'unknown_issuer', status: 401 });
    expect(requests).toEqual([]);
    expect(v.stats()).toMatchObject({ jwtVerifications: 0, jwksFetches: 0, discoveries: 0 });
  });

  it.each([
    ['no iss', { sub: 'x' }, 'ERR_ISSUER_MISMATCH'],
    ['iss a number', { iss: 1 }, 'ERR_ISSUER_MISMATCH'],
    ['iss with a trailing slash', () => ({ iss: `${generic.issuer}/` }), 'ERR_ISSUER_MISMATCH'],
    ['payload not JSON', 'not json', 'ERR_TOKEN_MALFORMED'],
  ])('%s → %s, no request', async (_name, payload, code) => {
    const { v, requests } = multi();
    const body = typeof payload === 'function' ? payload() : payload;
    await rejectsWith(
      v.validate(`${b64url({ alg: 'RS256', kid: 'k' })}.${b64url(body)}.AAAA`),
      code,
    );
    expect(requests).toEqual([]);
  });

  it("a token claiming one issuer is checked against that issuer's keys only (no mixing)", async () => {
    const { v } = multi();
    const k = await serviceToken(okta);
    const { header, payload, signature } = decodeJwt(k);
    // Okta's signature and kid, the generic issuer's iss: routed to generic, whose keys lack the kid.
    const forged = `${b64url(header)}.${b64url({ ...payload, iss: generic.issuer })}.${signature}`;
    await rejectsWith(v.validate(forged), 'ERR_KEY_NOT_FOUND');
    expect(v.stats().jwksFetches).toBe(1);
  });

  it('per-issuer rules: the okta audience is accepted for okta only', async () => {
    const { v } = multi();
    const t = Math.floor(Date.now() / 1000);
    const claims = { sub: 'u', client_id: 'c', scope: 'mcp:read', iat: t, exp: t + 600 };
    // The controlled issuer was given no extra audience: api://default is not its resource.
    const ctlToken = ctl.sign({ ...claims, iss: ctl.url, aud: 'api://default' });
    await rejectsWith(v.validate(ctlToken), 'ERR_AUDIENCE_MISMATCH');
    await expect(
      v.validate(ctl.sign({ ...claims, iss: ctl.url, aud: RESOURCE })),
    ).resolves.toMatchObject({ extra: { issuer: ctl.url } });
  });

  it('opaque tokens go to the one issuer with introspection', async () => {
    const { v, requests } = multi();
    ctl.introspection.set('opaque-multi', {
      active: true,
      iss: ctl.url,
      aud: RESOURCE,
      exp: Math.floor(Date.now() / 1000) + 600,
      client_id: 'c',
      scope: 'mcp:read',
    });
    try {
      await expect(v.validate('opaque-multi')).resolves.toMatchObject({
        extra: { issuer: ctl.url, tokenType: 'opaque' },
      });
      expect(requests).toEqual([`${ctl.url}/introspect`]);
      await rejectsWith(v.validate('opaque-unknown'), 'ERR_TOKEN_INACTIVE');
    } finally {
      ctl.introspection.delete('opaque-multi');
    }
  });

  it('evict reaches the issuer that cached the token', async () => {
    const { v } = multi();
    const k = await serviceToken(okta);
    await v.validate(k);
    await v.evict(k);
    await v.validate(k);
    expect(v.stats().jwtVerifications).toBe(2);
  });
});

describe('issuers: configuration', () => {
  const base = { resource: RESOURCE, allowInsecureHttpForLoopback: true };
  it.each([
    [
      { issuer: 'https://a.example', issuers: [{ issuer: 'https://b.example' }] },
      '"issuer" and "issuers" cannot both be set',
    ],
    [{ issuers: [] }, '"issuers" must be a non-empty array'],
    [{ issuers: 'https://a.example' }, '"issuers" must be a non-empty array'],
    [{ issuers: [null] }, '"issuers[0]" must be an object'],
    [
      { issuers: [{ issuer: 'https://a.example' }, { issuer: 'https://a.example' }] },
      '"issuers[1].issuer" is listed twice',
    ],
    [
      { profile: 'okta', issuers: [{ issuer: 'https://a.example' }] },
      '"profile" is set per issuer with "issuers"',
    ],
    [
      { jwt: {}, issuers: [{ issuer: 'https://a.example' }] },
      '"jwt" is set per issuer with "issuers"',
    ],
    [
      {
        issuers: [
          { issuer: 'https://a.example', introspection: { clientId: 'a', clientSecret: 'b' } },
          { issuer: 'https://b.example', introspection: { clientId: 'a', clientSecret: 'b' } },
        ],
      },
      'at most one issuer may configure "introspection"',
    ],
    [{ issuers: [{ issuer: 'https://a.example', audience: 5 }] }, '"issuers[0].audience" must be'],
    [{ issuers: [{ issuer: 'http://a.example' }] }, '"issuer" must be an https: URL'],
    [{}, '"issuer" must be an absolute URL string'],
  ])('%j is a TypeError: %s', (o, message) => {
    const make = () => createTokenValidator({ ...base, ...o } as never);
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });
});
