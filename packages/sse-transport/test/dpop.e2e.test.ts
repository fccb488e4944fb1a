/**
 * DPoP-bound tokens (RFC 9449) through the full server: a real bound token from the local
 * authorization server, proofs per request on both transports' endpoints, the metadata advertising
 * DPoP, and the refusals (downgrade to Bearer, replay, another key, another URL).
 */
import {
  createDpopProof,
  type DevAuthServer,
  start as startAuthServer,
} from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import { rawRequest, whoamiServer } from './helpers.js';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

let das: DevAuthServer;
let provider: OAuthProvider;
let server: SseServer;
let mcpUrl: string;
let base: string;
let keyPair: KeyPair;
let token: string;
const received: unknown[] = [];

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'd', version: '1' },
  },
});

function post(headers: Record<string, string>, body = INIT) {
  return rawRequest(mcpUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body,
  });
}

const proof = (o: { htm?: string; htu?: string; key?: KeyPair; accessToken?: string } = {}) =>
  createDpopProof(o.key ?? keyPair, {
    htm: o.htm ?? 'POST',
    htu: o.htu ?? mcpUrl,
    accessToken: o.accessToken ?? token,
  });

beforeAll(async () => {
  const port = await getFreePort();
  base = `http://127.0.0.1:${port}`;
  mcpUrl = `${base}/mcp`;
  das = await startAuthServer({ resources: [{ uri: mcpUrl, scopes: ['mcp:read'] }] });
  provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: mcpUrl,
    requiredScopes: ['mcp:read'],
    allowInsecureHttpForLoopback: true,
    validator: { dpop: { mode: 'allowed' } },
  });
  server = createServer({
    port,
    auth: { provider },
    createMcpServer: () => whoamiServer(received),
  });
  await server.listen();
  keyPair = await generateKeyPair('ES256', { extractable: true });
  token = (await das.getDpopToken({ keyPair, resource: mcpUrl, scope: 'mcp:read' }))
    .access_token as string;
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await das?.stop();
});

describe('DPoP through the full server', () => {
  it('the metadata advertises the DPoP algorithms', async () => {
    const res = await rawRequest(`${base}/.well-known/oauth-protected-resource/mcp`);
    const doc = JSON.parse(res.body);
    expect(doc.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));
    expect(doc.dpop_bound_access_tokens_required).toBe(false);
  });

  it('a bound token with a fresh proof opens a session and calls a tool; authInfo names the key', async () => {
    const init = await post({ authorization: `DPoP ${token}`, dpop: await proof() });
    expect(init.status).toBe(200);
    const sessionId = init.headers['mcp-session-id'] as string;
    const call = await post(
      { authorization: `DPoP ${token}`, dpop: await proof(), 'mcp-session-id': sessionId },
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami' } }),
    );
    expect(call.status).toBe(200);
    const seen = received.at(-1) as {
      extra?: { senderConstrained?: string; dpop?: { jkt?: string } };
    };
    expect(seen.extra?.senderConstrained).toBe('dpop');
    expect(seen.extra?.dpop?.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('the same token presented as Bearer is refused (no downgrade)', async () => {
    const res = await post({ authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    expect(res.headers['www-authenticate']).toMatch(/DPoP algs="[^"]*ES256/);
  });

  it.each([
    ['a replayed proof', async () => ({ p: await proof(), replay: true })],
    [
      'a proof for another URL',
      async () => ({ p: await proof({ htu: `${base}/other` }), replay: false }),
    ],
    ['a proof for another method', async () => ({ p: await proof({ htm: 'GET' }), replay: false })],
    [
      'a proof signed by another key',
      async () => ({
        p: await proof({ key: await generateKeyPair('ES256', { extractable: true }) }),
        replay: false,
      }),
    ],
  ])('%s is refused with 401', async (_name, make) => {
    const { p, replay } = await make();
    if (replay) expect((await post({ authorization: `DPoP ${token}`, dpop: p })).status).toBe(200);
    const res = await post({ authorization: `DPoP ${token}`, dpop: p });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(
      /DPoP .*error="(invalid_dpop_proof|invalid_token)"/,
    );
  });

  it('a DPoP request without its proof is refused with 401 invalid_dpop_proof', async () => {
    const res = await post({ authorization: `DPoP ${token}` });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/DPoP .*error="invalid_dpop_proof"/);
  });
});
