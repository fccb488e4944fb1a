import { createRemoteJWKSet, decodeJwt, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDpopProof,
  type DevAuthServer,
  DevAuthServerError,
  type DpopKeyPair,
  dpopThumbprint,
  start,
} from './index.js';

const MCP = 'http://127.0.0.1:3000/mcp';
const OPAQUE = 'http://127.0.0.1:3002/mcp';

let as: DevAuthServer;
let key: DpopKeyPair;

beforeAll(async () => {
  as = await start({
    resources: [
      { uri: MCP, scopes: ['mcp:tools', 'mcp:read'] },
      { uri: OPAQUE, scopes: ['mcp:tools'], format: 'opaque' },
    ],
  });
  key = await generateKeyPair('ES256');
});
afterAll(async () => {
  await as?.stop();
});

/** A raw client_credentials request with the given DPoP header (or none). */
async function rawTokenRequest(dpop: string | undefined) {
  const { clientId, clientSecret } = as.clients.service;
  const res = await fetch(as.endpoints.token, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      ...(dpop ? { dpop } : {}),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: MCP }),
  });
  return {
    status: res.status,
    nonce: res.headers.get('dpop-nonce'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

describe('DPoP (RFC 9449) at the token endpoint', () => {
  it('advertises the proof algorithms it accepts', () => {
    expect(as.metadata.dpop_signing_alg_values_supported).toEqual(
      expect.arrayContaining(['ES256', 'EdDSA', 'RS256', 'PS256']),
    );
  });

  it('client_credentials with a proof gives token_type DPoP and cnf.jkt = the key thumbprint', async () => {
    const t = await as.getDpopToken({ keyPair: key, resource: MCP, scope: 'mcp:tools' });
    expect(t.token_type).toBe('DPoP');
    const { payload, protectedHeader } = await jwtVerify(
      t.access_token,
      createRemoteJWKSet(new URL(as.jwksUri)),
      { issuer: as.issuer, audience: MCP },
    );
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload.cnf).toEqual({ jkt: await dpopThumbprint(key) });
    expect(payload.scope).toBe('mcp:tools');
  });

  it('introspection of a DPoP-bound JWT says token_type DPoP and carries cnf.jkt', async () => {
    const t = await as.getDpopToken({ keyPair: key, resource: MCP });
    const info = await as.introspect(t.access_token);
    expect(info).toMatchObject({
      active: true,
      token_type: 'DPoP',
      cnf: { jkt: await dpopThumbprint(key) },
    });
  });

  it('an opaque DPoP-bound token introspects with token_type DPoP and cnf.jkt', async () => {
    const t = await as.getDpopToken({ keyPair: key, resource: OPAQUE });
    expect(t.token_type).toBe('DPoP');
    expect(t.access_token.split('.')).toHaveLength(1);
    const info = await as.introspect(t.access_token);
    expect(info).toMatchObject({
      active: true,
      token_type: 'DPoP',
      aud: OPAQUE,
      cnf: { jkt: await dpopThumbprint(key) },
    });
  });

  it('the same request without a proof gives a Bearer token without cnf', async () => {
    const t = await as.clientCredentials({ resource: MCP });
    expect(t.token_type).toBe('Bearer');
    expect(decodeJwt(t.access_token).cnf).toBeUndefined();
  });

  it('accepts RSA and EdDSA proof keys too', async () => {
    for (const alg of ['RS256', 'PS256', 'EdDSA'] as const) {
      const k = await generateKeyPair(alg);
      const t = await as.getDpopToken({ keyPair: k, resource: MCP });
      expect(decodeJwt(t.access_token).cnf).toEqual({ jkt: await dpopThumbprint(k) });
    }
  });

  it('authorization code: the access token and the refresh token are bound to the key', async () => {
    const t = await as.getDpopToken({ keyPair: key, grant: 'authorization_code', resource: MCP });
    expect(t.token_type).toBe('DPoP');
    expect(decodeJwt(t.access_token)).toMatchObject({
      sub: 'user-1',
      client_id: 'mcp-public',
      cnf: { jkt: await dpopThumbprint(key) },
    });
    const refreshToken = t.refresh_token as string;
    // a public client's refresh token is bound: without the proof, or with another key, it fails
    const noProof = await as.refresh({ refreshToken, resource: MCP }).catch((e: unknown) => e);
    expect(noProof).toMatchObject({ code: 'ERR_OAUTH', error: 'invalid_grant', status: 400 });
    const other = await generateKeyPair('ES256');
    const wrongKey = await as
      .refresh({ refreshToken, resource: MCP, dpop: other })
      .catch((e: unknown) => e);
    expect(wrongKey).toMatchObject({ code: 'ERR_OAUTH', error: 'invalid_grant' });
  });

  it('authorization code: refresh with the same key gives a new bound token', async () => {
    const t = await as.getDpopToken({ keyPair: key, grant: 'authorization_code', resource: MCP });
    const r = await as.refresh({
      refreshToken: t.refresh_token as string,
      resource: MCP,
      dpop: key,
    });
    expect(r.token_type).toBe('DPoP');
    expect(decodeJwt(r.access_token).cnf).toEqual({ jkt: await dpopThumbprint(key) });
  });

  it.each([
    [
      'a proof for another URL (htu)',
      { htu: 'http://127.0.0.1:1/token' },
      'DPoP proof htu mismatch',
    ],
    ['a proof for another method (htm)', { htm: 'GET' }, 'DPoP proof htm mismatch'],
  ])('refuses %s with invalid_dpop_proof', async (_name, override, description) => {
    const proof = await createDpopProof(key, { htm: 'POST', htu: as.endpoints.token, ...override });
    const r = await rawTokenRequest(proof);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: 'invalid_dpop_proof', error_description: description });
  });

  it('refuses a proof that is not a JWT with invalid_dpop_proof', async () => {
    const r = await rawTokenRequest('not-a-jwt');
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_dpop_proof');
  });

  it('answers a stale proof with use_dpop_nonce and a DPoP-Nonce; the proof with it passes', async () => {
    const stale = Math.floor(Date.now() / 1000) - 3600;
    const first = await rawTokenRequest(
      await createDpopProof(key, { htm: 'POST', htu: as.endpoints.token, iat: stale }),
    );
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    expect(first.nonce).toMatch(/^[\w-]+$/);
    const second = await rawTokenRequest(
      await createDpopProof(key, {
        htm: 'POST',
        htu: as.endpoints.token,
        nonce: first.nonce as string,
      }),
    );
    expect(second.status).toBe(200);
    expect(second.body.token_type).toBe('DPoP');
  });
});

describe('requireDpopNonce', () => {
  let strict: DevAuthServer;
  beforeAll(async () => {
    strict = await start({
      requireDpopNonce: true,
      resources: [{ uri: MCP, scopes: ['mcp:tools'] }],
    });
  });
  afterAll(async () => {
    await strict?.stop();
  });

  it('a proof without a nonce gets 400 use_dpop_nonce with a DPoP-Nonce header', async () => {
    const { clientId, clientSecret } = strict.clients.service;
    const res = await fetch(strict.endpoints.token, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        dpop: await createDpopProof(key, { htm: 'POST', htu: strict.endpoints.token }),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: MCP }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('dpop-nonce')).toMatch(/^[\w-]+$/);
    expect(await res.json()).toEqual({
      error: 'use_dpop_nonce',
      error_description: 'nonce is required in the DPoP proof',
    });
  });

  it('getDpopToken retries with the server nonce and gets a bound token (both grants)', async () => {
    const cc = await strict.getDpopToken({ keyPair: key, resource: MCP });
    expect(decodeJwt(cc.access_token).cnf).toEqual({ jkt: await dpopThumbprint(key) });
    const ac = await strict.getDpopToken({
      keyPair: key,
      grant: 'authorization_code',
      resource: MCP,
    });
    expect(ac.token_type).toBe('DPoP');
  });

  it('a request without any proof still gets a Bearer token (DPoP is optional)', async () => {
    const t = await strict.clientCredentials({ resource: MCP });
    expect(t.token_type).toBe('Bearer');
  });
});

describe('DPoP with endpointsOnSeparateOrigin', () => {
  it('the proof names the token endpoint on the second origin, and a proof for the issuer origin fails', async () => {
    const split = await start({
      endpointsOnSeparateOrigin: true,
      resources: [{ uri: MCP, scopes: ['mcp:tools'] }],
    });
    try {
      expect(new URL(split.endpoints.token).origin).toBe(split.endpointsOrigin);
      const t = await split.getDpopToken({ keyPair: key, resource: MCP });
      expect(decodeJwt(t.access_token).cnf).toEqual({ jkt: await dpopThumbprint(key) });
      const { clientId, clientSecret } = split.clients.service;
      const res = await fetch(split.endpoints.token, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          dpop: await createDpopProof(key, { htm: 'POST', htu: `${split.issuer}/token` }),
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: MCP }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    } finally {
      await split.stop();
    }
  });
});

describe('createDpopProof', () => {
  it('makes a dpop+jwt with the public key, htm, htu, iat, jti and ath for a token', async () => {
    const proof = await createDpopProof(key, {
      htm: 'GET',
      htu: 'http://127.0.0.1:3000/mcp',
      accessToken: 'abc',
      nonce: 'n-1',
    });
    const [header] = proof.split('.');
    const h = JSON.parse(Buffer.from(header as string, 'base64url').toString());
    expect(h).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } });
    expect(h.jwk.d).toBeUndefined();
    const p = decodeJwt(proof);
    expect(p).toMatchObject({ htm: 'GET', htu: 'http://127.0.0.1:3000/mcp', nonce: 'n-1' });
    // RFC 9449 §4.2: ath = base64url(SHA-256("abc"))
    expect(p.ath).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(p.jti).toBeTypeOf('string');
    expect(Math.abs((p.iat as number) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('an error from getDpopToken is a DevAuthServerError with the OAuth code', async () => {
    const err = await as
      .getDpopToken({ keyPair: key, resource: 'http://127.0.0.1:9/unknown' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevAuthServerError);
    expect(err).toMatchObject({ code: 'ERR_OAUTH', error: 'invalid_target' });
  });
});
