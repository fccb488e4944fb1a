import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchHandler } from '../examples/fetch-sdk-v2.js';
import {
  jsonHeaders,
  type LateServer,
  SCOPES,
  send,
  serveFetch,
  startAuthServer,
  toolCall,
  userToken,
} from './helpers.js';

/**
 * The v2 SDK: `createMcpHandler` (web-standard face) behind `@mcp-auth/gate/fetch`
 * (examples/fetch-sdk-v2.ts, run as is), a v2 SDK `Client`, real tokens, real HTTP.
 */
let as: DevAuthServer;
let server: LateServer;
let url: string;
let readToken: string;
let adminToken: string;

beforeAll(async () => {
  as = await startAuthServer();
  let handler: ((r: Request) => Promise<Response>) | undefined;
  server = await serveFetch((r) => handler!(r));
  url = server.resource;
  as.addResource({ uri: url, scopes: SCOPES });
  handler = createFetchHandler({
    issuer: as.issuer,
    resource: url,
    allowInsecureHttpForLoopback: true,
  });
  readToken = await userToken(as, url, 'user-1', 'mcp:read');
  adminToken = await userToken(as, url, 'user-2', 'mcp:admin');
});

afterAll(async () => {
  await server?.stop();
  await as?.stop();
});

async function connect(token: string, mode: 'legacy' | 'auto' = 'auto'): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client(
    { name: 'gate-test-v2', version: '1.0.0' },
    { versionNegotiation: { mode } },
  );
  await client.connect(transport);
  return client;
}

describe('v2 SDK createMcpHandler behind the fetch gate', () => {
  it.each([
    ['auto', '2026-07-28'],
    ['legacy', '2025-11-25'],
  ] as const)(
    'a v2 Client (negotiation %s → %s) calls whoami end to end; the tool sees ctx.http.authInfo',
    async (mode, revision) => {
      const start = server.requests.length;
      const client = await connect(readToken, mode);
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      const text = (result as { content: { text: string }[] }).content[0]!.text;
      expect(JSON.parse(text)).toEqual({
        subject: 'user-1',
        clientId: 'mcp-public',
        scopes: ['mcp:read'],
      });
      await client.close();
      // The client spoke revision 2026-07-28: the gate checked its Mcp-Method / Mcp-Name headers.
      const calls = server.requests
        .slice(start)
        .filter((r) => r.method === 'POST' && r.headers['mcp-protocol-version'] === revision);
      expect(calls.length).toBeGreaterThan(0);
      if (revision === '2026-07-28') {
        // The gate checked the revision's Mcp-Method / Mcp-Name headers against the body.
        const call = calls.find((r) => r.headers['mcp-method'] === 'tools/call');
        expect(call?.headers['mcp-name']).toBe('whoami');
      }
    },
  );

  it('per-tool scope through the v2 client: mcp:read → refused; mcp:admin → ok (hierarchy)', async () => {
    const client = await connect(readToken);
    await expect(client.callTool({ name: 'admin_stats', arguments: {} })).rejects.toThrow(
      'Insufficient scope: required "mcp:read mcp:admin"',
    );
    await client.close();
    const admin = await connect(adminToken);
    const result = await admin.callTool({ name: 'admin_stats', arguments: {} });
    expect((result as { content: { text: string }[] }).content[0]!.text).toBe('all good');
    await admin.close();
  });

  it('exact refusals over HTTP: 401 challenge, 403 scope, -32020 header mismatch, hostile Host', async () => {
    const prm = `${server.url}/.well-known/oauth-protected-resource/mcp`;
    const noToken = await send(url, {
      method: 'POST',
      headers: jsonHeaders(),
      body: toolCall('whoami'),
    });
    expect(noToken.status).toBe(401);
    expect(noToken.headers['www-authenticate']).toBe(
      `Bearer scope="mcp:read", resource_metadata="${prm}"`,
    );
    expect(noToken.headers['access-control-expose-headers']).toBe(
      'WWW-Authenticate, Mcp-Session-Id, Retry-After, DPoP-Nonce',
    );

    const scope = await send(url, {
      method: 'POST',
      headers: jsonHeaders(readToken),
      body: toolCall('admin_stats'),
    });
    expect(scope.status).toBe(403);
    expect(scope.headers['www-authenticate']).toBe(
      `Bearer error="insufficient_scope", scope="mcp:read mcp:admin", resource_metadata="${prm}", error_description="The token lacks a required scope"`,
    );

    const mismatch = await send(url, {
      method: 'POST',
      headers: jsonHeaders(adminToken, {
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'whoami',
      }),
      body: toolCall('admin_stats', 9),
    });
    expect(mismatch.status).toBe(400);
    expect(JSON.parse(mismatch.body)).toEqual({
      jsonrpc: '2.0',
      id: 9,
      error: { code: -32020, message: 'Mcp-Name header does not match the request body' },
    });

    for (const path of ['/mcp', '/.well-known/oauth-protected-resource/mcp']) {
      const evil = await send(`${server.url}${path}`, { headers: { host: 'evil.example' } });
      expect(evil.status).toBe(403);
    }
    const root = await send(`${server.url}/.well-known/oauth-protected-resource`);
    expect(root.status).toBe(200);
    expect(JSON.parse(root.body).resource).toBe(url);

    const preflight = await send(url, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:5173');

    const batch = await send(url, {
      method: 'POST',
      headers: jsonHeaders(readToken),
      body: `[${new Array(101).fill('{"jsonrpc":"2.0","method":"notifications/x"}').join(',')}]`,
    });
    expect(batch.status).toBe(400);
    expect(JSON.parse(batch.body).error.code).toBe(-32600);

    const other = await send(`${server.url}/elsewhere`);
    expect(other.status).toBe(404);
  });
});
