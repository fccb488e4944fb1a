import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createDpopProof,
  type DevAuthServer,
  dpopThumbprint,
  start,
} from '@mcp-auth/dev-auth-server';
import { createTokenValidator, type TokenValidator } from '@mcp-auth/validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withMcpAuth as withFetchAuth } from '../src/fetch.js';
import { createGate } from '../src/gate.js';
import { withMcpAuth as withNodeAuth } from '../src/node.js';

/**
 * DPoP through the gate, both adapters, real HTTP on loopback, real DPoP-bound tokens from the
 * local authorization server: the nonce dance, the combined challenge, DPoP-Nonce exposed to
 * browsers, no Bearer downgrade, DPoP advertised in the protected resource metadata.
 */
let as: DevAuthServer;
const servers: Server[] = [];
const validators: TokenValidator[] = [];
const secret = 'one nonce secret for every instance of the MCP server';
const ORIGIN_HEADER = { origin: 'http://localhost:6274' };
const PING = '{"jsonrpc":"2.0","id":1,"method":"ping"}';

beforeAll(async () => {
  as = await start({ resources: [] });
});
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await Promise.all(validators.map((v) => v.close()));
  await as?.stop();
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Listens, registers `<origin>/mcp` at the AS, builds the gate's handler for that resource. */
async function serve(adapter: 'node' | 'fetch') {
  let handler: Handler = () => {};
  const server = createServer((req, res) => handler(req, res));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const resource = `${base}/mcp`;
  as.addResource({ uri: resource, scopes: ['mcp:tools'] });
  const validator = createTokenValidator({
    issuer: as.issuer,
    resource,
    allowInsecureHttpForLoopback: true,
    dpop: { mode: 'allowed', algorithms: ['ES256', 'EdDSA'], nonce: { secret } },
  });
  validators.push(validator);
  const gate = createGate({
    validator,
    allowInsecureHttpForLoopback: true,
    allowedOrigins: [ORIGIN_HEADER.origin],
  });
  const ok = (auth: { extra?: Record<string, unknown> }) =>
    JSON.stringify(auth.extra?.dpop ?? null);
  if (adapter === 'node') {
    handler = withNodeAuth(gate, (req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(ok(req.auth));
    });
  } else {
    const fetchHandler = withFetchAuth(gate, (_req, ctx) => new Response(ok(ctx.auth)));
    handler = async (req, res) => {
      const headers = new Headers();
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = req.method === 'POST' ? Buffer.concat(chunks) : undefined;
      const response = await fetchHandler(
        new Request(base + req.url, { method: req.method, headers, body }),
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(await response.text());
    };
  }
  const keyPair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as Parameters<DevAuthServer['getDpopToken']>[0]['keyPair'];
  const t = await as.getDpopToken({ keyPair, resource, scope: 'mcp:tools' });
  return { base, resource, keyPair, token: t.access_token as string };
}

describe.each(['node', 'fetch'] as const)('DPoP through the gate (%s adapter)', (adapter) => {
  it('nonce dance: 401 use_dpop_nonce + DPoP-Nonce (exposed), then 200 with the key in auth', async () => {
    const { base, resource, keyPair, token } = await serve(adapter);
    const post = async (nonce?: string) =>
      fetch(`${base}/mcp`, {
        method: 'POST',
        headers: {
          ...ORIGIN_HEADER,
          'content-type': 'application/json',
          authorization: `DPoP ${token}`,
          dpop: await createDpopProof(keyPair, {
            htm: 'POST',
            htu: resource,
            accessToken: token,
            ...(nonce === undefined ? {} : { nonce }),
          }),
        },
        body: PING,
      });
    const first = await post();
    expect(first.status).toBe(401);
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.headers.get('access-control-expose-headers')).toContain('DPoP-Nonce');
    expect(first.headers.get('access-control-allow-origin')).toBe(ORIGIN_HEADER.origin);
    const rm = `${base}/.well-known/oauth-protected-resource/mcp`;
    expect(first.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${rm}", DPoP algs="ES256 EdDSA", error="use_dpop_nonce", resource_metadata="${rm}", error_description="The DPoP proof needs the server nonce"`,
    );
    const second = await post(nonce!);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ jkt: await dpopThumbprint(keyPair) });
  });

  it('the bound token as Bearer: 401 invalid_token in the Bearer challenge (no downgrade)', async () => {
    const { base, token } = await serve(adapter);
    const r = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: PING,
    });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(
      /^Bearer error="invalid_token", resource_metadata="[^"]+", error_description="A DPoP-bound token must be presented with the DPoP scheme and a proof", DPoP algs="ES256 EdDSA", resource_metadata="[^"]+"$/,
    );
  });

  it('two DPoP headers: 400 invalid_request', async () => {
    const { base, resource, keyPair, token } = await serve(adapter);
    const proof = () =>
      createDpopProof(keyPair, { htm: 'POST', htu: resource, accessToken: token });
    const headers = new Headers({
      'content-type': 'application/json',
      authorization: `DPoP ${token}`,
    });
    headers.append('dpop', await proof());
    headers.append('dpop', await proof());
    const r = await fetch(`${base}/mcp`, { method: 'POST', headers, body: PING });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('a replayed proof: 401 invalid_dpop_proof', async () => {
    const { base, resource, keyPair, token } = await serve(adapter);
    const first = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await createDpopProof(keyPair, { htm: 'POST', htu: resource, accessToken: token }),
        'content-type': 'application/json',
      },
      body: PING,
    });
    const nonce = first.headers.get('dpop-nonce')!;
    const proof = await createDpopProof(keyPair, {
      htm: 'POST',
      htu: resource,
      accessToken: token,
      nonce,
    });
    const send = () =>
      fetch(`${base}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `DPoP ${token}`,
          dpop: proof,
          'content-type': 'application/json',
        },
        body: PING,
      });
    expect((await send()).status).toBe(200);
    const replay = await send();
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('the protected resource metadata advertises DPoP (RFC 9728 §2)', async () => {
    const { base } = await serve(adapter);
    const r = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`);
    expect(await r.json()).toMatchObject({
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
      dpop_bound_access_tokens_required: false,
    });
  });
});
