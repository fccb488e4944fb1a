import { createRemoteJWKSet, decodeJwt, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT,
  type Fixture,
  MCP,
  oauthError,
  startFixture,
  WORKLOAD,
} from './extensions.fixture.js';
import { start } from './index.js';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f?.stop();
});

describe('workload identity federation (JWT-bearer grant with a workload JWT)', () => {
  const workloadJwt = (claims: Record<string, unknown> = {}) =>
    f.localJwt({ iss: WORKLOAD, sub: AGENT, aud: f.mcpAs.issuer, ...claims });

  it('the public client mcp-workload gets a token for the workload', async () => {
    expect(f.mcpAs.clients.workload).toEqual({ clientId: 'mcp-workload' });
    const t = await f.mcpAs.jwtBearer({
      assertion: await workloadJwt(),
      clientId: 'mcp-workload',
      resource: MCP,
      scope: 'mcp:read',
    });
    const { payload } = await jwtVerify(
      t.access_token,
      createRemoteJWKSet(new URL(f.mcpAs.jwksUri)),
      { issuer: f.mcpAs.issuer, audience: MCP },
    );
    expect(payload).toMatchObject({ sub: AGENT, client_id: 'mcp-workload', scope: 'mcp:read' });
  });

  it('the token endpoint URL is accepted as aud (RFC 7523 §3)', async () => {
    const t = await f.mcpAs.jwtBearer({
      assertion: await workloadJwt({ aud: f.mcpAs.endpoints.token }),
      clientId: 'mcp-workload',
      resource: MCP,
    });
    // no scope asked: none granted (like client_credentials on the generic profile)
    expect(decodeJwt(t.access_token).scope).toBeUndefined();
  });

  it('a workload JWT signed by this kind of server (signWorkloadJwt, jwksUri trust) works', async () => {
    const assertion = await f.idp.signWorkloadJwt({ subject: 'job-42', audience: f.mcpAs.issuer });
    expect(decodeJwt(assertion)).toMatchObject({ iss: f.idp.issuer, sub: 'job-42' });
    const t = await f.mcpAs.jwtBearer({ assertion, clientId: 'mcp-workload', resource: MCP });
    expect(decodeJwt(t.access_token).sub).toBe('job-42');
  });

  it('an issuer trusted only for some clients: another client gets unauthorized_client', async () => {
    const assertion = await f.idp.signWorkloadJwt({ subject: 'job-42', audience: f.mcpAs.issuer });
    expect(await oauthError(f.mcpAs.jwtBearer({ assertion, resource: MCP }))).toMatchObject({
      error: 'unauthorized_client',
      description: 'the client may not present assertions of this issuer',
    });
  });

  it.each([
    [
      'a subject not allowed',
      { sub: 'spiffe://example.org/other' },
      'workload subject is not allowed',
    ],
    [
      'another audience',
      { aud: 'http://127.0.0.1:1' },
      'assertion "aud" claim is missing or invalid',
    ],
    ['an expired JWT', { exp: Math.floor(Date.now() / 1000) - 600 }, 'assertion has expired'],
    ['no exp', { exp: undefined }, 'assertion "exp" claim is missing or invalid'],
  ])('%s is invalid_grant', async (_name, claims, description) => {
    expect(
      await oauthError(
        f.mcpAs.jwtBearer({
          assertion: await workloadJwt(claims),
          clientId: 'mcp-workload',
          resource: MCP,
        }),
      ),
    ).toMatchObject({ error: 'invalid_grant', description });
  });

  it('a JWT signed by another key is invalid_grant', async () => {
    const other = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({
      iss: WORKLOAD,
      sub: AGENT,
      aud: f.mcpAs.issuer,
      exp: now + 60,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'local-1' })
      .sign(other.privateKey);
    expect(
      await oauthError(
        f.mcpAs.jwtBearer({ assertion: forged, clientId: 'mcp-workload', resource: MCP }),
      ),
    ).toMatchObject({ error: 'invalid_grant', description: 'assertion signature is invalid' });
  });

  it('an HMAC-signed JWT is invalid_grant (asymmetric algorithms only)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const hs = await new SignJWT({ iss: WORKLOAD, sub: AGENT, aud: f.mcpAs.issuer, exp: now + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(
      await oauthError(
        f.mcpAs.jwtBearer({ assertion: hs, clientId: 'mcp-workload', resource: MCP }),
      ),
    ).toMatchObject({ error: 'invalid_grant', description: 'assertion algorithm is not allowed' });
  });

  it('a request without a resource (generic profile) is invalid_target', async () => {
    expect(
      await oauthError(
        f.mcpAs.jwtBearer({ assertion: await workloadJwt(), clientId: 'mcp-workload' }),
      ),
    ).toMatchObject({ error: 'invalid_target' });
  });

  it('not a JWT at all is invalid_grant', async () => {
    expect(
      await oauthError(f.mcpAs.jwtBearer({ assertion: 'abc', clientId: 'mcp-workload' })),
    ).toMatchObject({ error: 'invalid_grant', description: 'assertion is not a JWT' });
  });
});

describe('options', () => {
  it.each([
    [{ trustedIdJagIssuers: {} }, '"trustedIdJagIssuers" must be an array'],
    [
      { trustedIdJagIssuers: [{ issuer: 'nope', jwks: { keys: [] } }] },
      '"trustedIdJagIssuers[0].issuer"',
    ],
    [{ trustedWorkloadIssuers: [{ issuer: WORKLOAD }] }, 'exactly one of "jwks" and "jwksUri"'],
    [
      { trustedWorkloadIssuers: [{ issuer: WORKLOAD, jwksUri: 'http://x/j', subjects: [1] }] },
      '"trustedWorkloadIssuers[0].subjects"',
    ],
    [{ enterpriseIdp: { idJagTtlSeconds: 0 } }, '"enterpriseIdp.idJagTtlSeconds"'],
    [{ enterpriseIdp: 'yes' }, '"enterpriseIdp" must be a boolean or an object'],
    [{ requireDpopNonce: 'yes' }, '"requireDpopNonce" must be a boolean'],
  ])('%j is a TypeError naming the option', async (options, message) => {
    await expect(start(options as never)).rejects.toThrow(TypeError);
    await expect(start(options as never)).rejects.toThrow(message);
  });
});
