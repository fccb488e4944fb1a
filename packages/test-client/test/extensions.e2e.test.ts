/**
 * The authorization extensions end to end against the local authorization server (oidc-provider on
 * 127.0.0.1): client credentials with client_secret_basic and private_key_jwt, DPoP-bound tokens
 * with server nonces, workload identity (JWT bearer) and enterprise-managed authorization across two
 * servers (an enterprise IdP and the MCP server's authorization server).
 */
import { createPrivateKey } from 'node:crypto';
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import type { TestHttpServer } from '@mcp-auth/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authorize } from '../src/index.js';
import { AuthSession } from '../src/internal/session.js';
import { decodeJwtPayload, startFakeResource } from './helpers.js';

let idp: DevAuthServer;
let mcpAs: DevAuthServer;
const servers: TestHttpServer[] = [];

beforeAll(async () => {
  idp = await startAuthServer({
    enterpriseIdp: true,
    users: [{ sub: 'alice', email: 'alice@corp.example', password: 'pw' }],
  });
  mcpAs = await startAuthServer({
    requireDpopNonce: true,
    trustedIdJagIssuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }],
    trustedWorkloadIssuers: [
      { issuer: idp.issuer, jwksUri: idp.jwksUri, clientIds: ['mcp-workload'] },
    ],
  });
});
afterAll(async () => {
  await Promise.all([idp?.stop(), mcpAs?.stop()]);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** A protected resource (no MCP behind it) registered at the MCP server's authorization server. */
async function resource(scopes = ['mcp:read', 'mcp:tools']) {
  const rs = await startFakeResource({ authorizationServer: () => mcpAs.issuer });
  servers.push(rs);
  mcpAs.addResource({ uri: rs.serverUrl, scopes });
  return rs;
}

/** A fetch that counts the token requests to the MCP server's authorization server. */
function countingFetch() {
  const calls: string[] = [];
  const f = (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url === mcpAs.endpoints.token) calls.push(String(init?.body ?? ''));
    return fetch(input, init);
  };
  return { fetch: f, calls };
}

describe('client credentials at the local authorization server', () => {
  it('mcp-service with client_secret_basic: a JWT for the resource, no browser', async () => {
    const rs = await resource();
    const result = await authorize(rs.serverUrl, {
      grant: 'client_credentials',
      clientId: 'mcp-service',
      clientSecret: mcpAs.clients.service.clientSecret,
    });
    expect(result.client.tokenEndpointAuthMethod).toBe('client_secret_basic');
    expect(decodeJwtPayload(result.tokens.accessToken)).toMatchObject({
      iss: mcpAs.issuer,
      aud: rs.serverUrl,
      client_id: 'mcp-service',
      scope: 'mcp:read',
    });
  });

  it('mcp-service-jwt with private_key_jwt (ES256 key from PEM)', async () => {
    const rs = await resource();
    const jwt = mcpAs.clients.serviceJwt;
    const pem = createPrivateKey({ key: jwt.privateJwk as never, format: 'jwk' })
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const result = await authorize(rs.serverUrl, {
      grant: 'client_credentials',
      clientId: jwt.clientId,
      privateKey: pem,
      privateKeyId: jwt.kid,
    });
    expect(result.client.tokenEndpointAuthMethod).toBe('private_key_jwt');
    expect(decodeJwtPayload(result.tokens.accessToken)).toMatchObject({
      aud: rs.serverUrl,
      client_id: 'mcp-service-jwt',
    });
  });

  it('DPoP: the server demands a nonce, the client answers it; the token is bound to its key', async () => {
    const rs = await resource();
    const counted = countingFetch();
    const session = new AuthSession(rs.serverUrl, {
      grant: 'client_credentials',
      clientId: 'mcp-service',
      clientSecret: mcpAs.clients.service.clientSecret,
      dpop: true,
      fetch: counted.fetch,
    });
    try {
      const probe = await session.probe({ requireChallenge: true });
      await session.discover(probe.challenge);
      await session.authorizeOnce({ challengeScope: probe.challenge?.params.scope });
      expect(counted.calls).toHaveLength(2); // use_dpop_nonce, then with the nonce
      expect(session.tokens!.tokenType).toBe('dpop');
      const jkt = await (await session.dpop())!.handle.calculateThumbprint();
      expect(decodeJwtPayload(session.tokens!.accessToken)).toMatchObject({
        aud: rs.serverUrl,
        cnf: { jkt },
      });
    } finally {
      await session.close();
    }
  });
});

describe('DPoP in the authorization code flow at the local authorization server', () => {
  it('the code exchange and the refresh carry proofs; the tokens are DPoP-bound', async () => {
    const rs = await resource();
    const counted = countingFetch();
    const result = await authorize(rs.serverUrl, {
      nonInteractive: true,
      clientId: 'mcp-public',
      dpop: true,
      refresh: true,
      fetch: counted.fetch,
    });
    expect(result.tokens.tokenType).toBe('dpop');
    expect(decodeJwtPayload(result.tokens.accessToken)).toMatchObject({
      aud: rs.serverUrl,
      cnf: { jkt: expect.any(String) },
    });
    // Each grant: once without the nonce (use_dpop_nonce), once with it; the nonce is then reused.
    const grants = counted.calls.map((b) => new URLSearchParams(b).get('grant_type'));
    expect(grants[0]).toBe('authorization_code');
    expect(grants.at(-1)).toBe('refresh_token');
    expect(result.report.steps.find((s) => s.id === 'refresh')!.status).toBe('ok');
  });
});

describe('workload identity (JWT bearer) at the local authorization server', () => {
  it('a workload JWT from a trusted issuer gets a token for the workload', async () => {
    const rs = await resource();
    const assertion = await idp.signWorkloadJwt({
      subject: 'spiffe://example.org/ns/default/sa/agent',
      audience: mcpAs.issuer,
    });
    const result = await authorize(rs.serverUrl, {
      grant: 'jwt_bearer',
      clientId: 'mcp-workload',
      assertion,
    });
    expect(decodeJwtPayload(result.tokens.accessToken)).toMatchObject({
      aud: rs.serverUrl,
      sub: 'spiffe://example.org/ns/default/sa/agent',
      client_id: 'mcp-workload',
    });
  });

  it.each([
    ['invalid_grant', { audience: 'http://127.0.0.1:1' }, 'mcp:read'],
    ['invalid_scope', {}, 'mcp:admin'],
  ])('%s is surfaced after one token request, no retry', async (error, claims, scope) => {
    const rs = await resource();
    const counted = countingFetch();
    const assertion = await idp.signWorkloadJwt({
      subject: 'spiffe://example.org/ns/default/sa/agent',
      audience: mcpAs.issuer,
      ...claims,
    });
    await expect(
      authorize(rs.serverUrl, {
        grant: 'jwt_bearer',
        clientId: 'mcp-workload',
        assertion,
        scope,
        fetch: counted.fetch,
      }),
    ).rejects.toMatchObject({ code: 'ERR_TOKEN_REQUEST_FAILED', oauthError: error, status: 400 });
    expect(counted.calls).toHaveLength(1);
  });
});

describe('enterprise-managed authorization across two local servers', () => {
  it('ID token at the IdP → ID-JAG → JWT bearer at the MCP server AS → a token for the resource', async () => {
    const rs = await resource();
    const signIn = await idp.authorizationCodeFlow({
      resource: null,
      scope: 'openid email',
      clientSecret: idp.clients.confidential.clientSecret,
    });
    const result = await authorize(rs.serverUrl, {
      grant: 'enterprise',
      clientId: 'mcp-confidential',
      clientSecret: mcpAs.clients.confidential.clientSecret,
      idToken: signIn.id_token as string,
      idpTokenEndpoint: idp.endpoints.token,
      idpClientId: 'mcp-confidential',
      idpClientSecret: idp.clients.confidential.clientSecret,
    });
    expect(decodeJwtPayload(result.tokens.accessToken)).toMatchObject({
      iss: mcpAs.issuer,
      aud: rs.serverUrl,
      sub: 'alice',
      client_id: 'mcp-confidential',
      scope: 'mcp:read',
    });
    expect(result.report.steps.map((s) => s.id)).toEqual([
      'probe',
      'resource_metadata',
      'authorization_server',
      'client',
      'scope',
      'token_exchange',
      'token',
    ]);
  });
});
