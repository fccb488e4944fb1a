import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DevAuthServer, start } from './index.js';

const RS = 'http://127.0.0.1:3000/mcp';
const ES = 'http://127.0.0.1:3001/mcp';
const ED = 'http://127.0.0.1:3002/mcp';
const OPAQUE = 'http://127.0.0.1:3003/mcp';

let as: DevAuthServer;

beforeEach(async () => {
  as = await start({
    resources: [
      { uri: RS, scopes: ['s'] },
      { uri: ES, scopes: ['s'], alg: 'ES256' },
      { uri: ED, scopes: ['s'], alg: 'EdDSA' },
      { uri: OPAQUE, scopes: ['s'], format: 'opaque' },
    ],
  });
});
afterEach(async () => {
  await as?.stop();
});

/** A fresh JWKS client each time, as a resource server that refetches after a rotation would be. */
function verify(token: string, audience = RS) {
  return jwtVerify(token, createRemoteJWKSet(new URL(as.jwksUri)), {
    issuer: as.issuer,
    audience,
  });
}

async function jwks(): Promise<Record<string, unknown>[]> {
  const res = await fetch(as.jwksUri);
  expect(res.headers.get('content-type')).toMatch(/^application\/jwk-set\+json/);
  return ((await res.json()) as { keys: Record<string, unknown>[] }).keys;
}

describe('signing algorithms', () => {
  it.each([
    [RS, 'RS256', 'RSA'],
    [ES, 'ES256', 'EC'],
    [ED, 'EdDSA', 'OKP'],
  ])('tokens for %s are signed with %s and verify against the JWKS', async (resource, alg, kty) => {
    const token = await as.getToken({ resource });
    const { protectedHeader, payload } = await verify(token, resource);
    expect(protectedHeader.alg).toBe(alg);
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload.aud).toBe(resource);
    const key = (await jwks()).find((k) => k.kid === protectedHeader.kid);
    expect(key).toMatchObject({ kty, alg, use: 'sig' });
  });

  it('the JWKS never contains private key material', async () => {
    const keys = await jwks();
    expect(keys).toHaveLength(3);
    for (const k of keys) {
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'priv'])
        expect(k).not.toHaveProperty(priv);
    }
  });

  it('list() reports one current key per algorithm', () => {
    const list = as.keys.list();
    expect(list.map((k) => [k.alg, k.current])).toEqual([
      ['RS256', true],
      ['ES256', true],
      ['EdDSA', true],
    ]);
  });
});

describe('key rotation at run time', () => {
  it('new tokens get the new kid; old ones verify until the old key is removed', async () => {
    const oldToken = await as.getToken({ resource: RS });
    const oldKid = decodeProtectedHeader(oldToken).kid as string;
    const opaque = await as.getToken({ resource: OPAQUE });
    const t0 = await as.authorizationCodeFlow({ resource: RS });

    const newKid = await as.keys.add('RS256');
    expect(newKid).not.toBe(oldKid);
    // published before it is used, so resource servers can fetch it ahead of time
    expect((await jwks()).map((k) => k.kid)).toContain(newKid);
    expect(as.keys.list().find((k) => k.kid === newKid)?.current).toBe(false);
    expect(decodeProtectedHeader(await as.getToken({ resource: RS })).kid).toBe(oldKid);

    as.keys.setCurrent(newKid);
    const newToken = await as.getToken({ resource: RS });
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    await verify(newToken);
    await verify(oldToken);

    // removing the current key is refused
    expect(() => as.keys.remove(newKid)).toThrow(/current/);

    as.keys.remove(oldKid);
    expect(as.keys.list().map((k) => k.kid)).not.toContain(oldKid);
    expect((await jwks()).map((k) => k.kid)).not.toContain(oldKid);
    await expect(verify(oldToken)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(await as.introspect(oldToken)).toEqual({ active: false });
    expect((await as.introspect(newToken)).active).toBe(true);
    await verify(newToken);

    // the rebuilt provider kept its state: tokens, refresh tokens and grants from before still work
    expect((await as.introspect(opaque)).active).toBe(true);
    const refreshed = await as.refresh({ refreshToken: t0.refresh_token as string, resource: RS });
    expect(decodeProtectedHeader(refreshed.access_token).kid).toBe(newKid);
    await verify(refreshed.access_token);
  });

  it('rotate() adds a key and makes it current in one call', async () => {
    const before = await as.getToken({ resource: ED });
    const kid = await as.keys.rotate('EdDSA');
    expect(as.keys.list().filter((k) => k.alg === 'EdDSA')).toEqual([
      { kid: decodeProtectedHeader(before).kid, alg: 'EdDSA', current: false },
      { kid, alg: 'EdDSA', current: true },
    ]);
    const after = await as.getToken({ resource: ED });
    expect(decodeProtectedHeader(after).kid).toBe(kid);
    await verify(before, ED);
    await verify(after, ED);
  });

  it('rotating one algorithm leaves the others alone', async () => {
    const esKid = await as.keys.add('ES256');
    as.keys.setCurrent(esKid);
    expect(decodeProtectedHeader(await as.getToken({ resource: ES })).kid).toBe(esKid);
    const rsCurrent = as.keys.list().find((k) => k.alg === 'RS256' && k.current)?.kid;
    expect(decodeProtectedHeader(await as.getToken({ resource: RS })).kid).toBe(rsCurrent);
  });

  it('tokens issued while keys rotate all verify against the JWKS that follows', async () => {
    const issued: Promise<string>[] = [];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 8; j++) issued.push(as.getToken({ resource: RS }));
      await as.keys.rotate('RS256');
    }
    const tokens = await Promise.all(issued);
    const kids = new Set(tokens.map((t) => decodeProtectedHeader(t).kid));
    expect(kids.size).toBeGreaterThan(1);
    for (const t of tokens) await verify(t);
  });

  it('an authorization in progress survives a rotation', async () => {
    const a = await as.authorize({ resource: RS });
    as.keys.setCurrent(await as.keys.add('RS256'));
    const t = await as.exchangeCode({ ...a, resource: RS });
    await verify(t.access_token);
  });

  it.each([
    ['add', () => as.keys.add('HS256' as never)],
    ['setCurrent', async () => as.keys.setCurrent('nope')],
    ['remove', async () => as.keys.remove('nope')],
  ])('%s refuses bad input', async (_name, fn) => {
    await expect(fn()).rejects.toThrow();
  });
});
