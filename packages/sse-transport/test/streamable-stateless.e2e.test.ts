/**
 * Stateless Streamable HTTP (`streamableHttp.sessions: false`), with an MCP server per request and
 * with one shared server (`streamableHttp.server`): every request authorized, no session ids,
 * request ids of different clients never collide, each tool call sees its own caller.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import { rawRequest, whoamiServer } from './helpers.js';

let das: DevAuthServer;
const servers: SseServer[] = [];
const providers: OAuthProvider[] = [];
const targets: Record<'perRequest' | 'shared', { url: string; alice: string; bob: string }> =
  {} as never;
let factoryCalls = 0;

async function target(port: number, shared: boolean) {
  const url = `http://127.0.0.1:${port}/mcp`;
  const provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: url,
    requiredScopes: ['mcp:read'],
    allowInsecureHttpForLoopback: true,
  });
  const server = createServer({
    port,
    auth: { provider },
    sse: false,
    createMcpServer: () => {
      factoryCalls++;
      return whoamiServer();
    },
    streamableHttp: shared ? { sessions: false, server: whoamiServer() } : { sessions: false },
  });
  await server.listen();
  providers.push(provider);
  servers.push(server);
  const [alice, bob] = await Promise.all(
    ['alice', 'bob'].map((user) =>
      das
        .authorizationCodeFlow({ resource: url, user, scope: 'mcp:read' })
        .then((t) => t.access_token),
    ),
  );
  return { url, alice: alice!, bob: bob! };
}

function call(url: string, token: string, id: number | string) {
  return rawRequest(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    }),
  });
}

beforeAll(async () => {
  const [a, b] = [await getFreePort(), await getFreePort()];
  das = await startAuthServer({
    resources: [a, b].map((p) => ({ uri: `http://127.0.0.1:${p}/mcp`, scopes: ['mcp:read'] })),
    users: [
      { sub: 'alice', password: 'p' },
      { sub: 'bob', password: 'p' },
    ],
  });
  targets.perRequest = await target(a, false);
  targets.shared = await target(b, true);
});

afterAll(async () => {
  for (const s of servers) await s.close();
  for (const p of providers) await p.close();
  await das?.stop();
});

describe.each(['perRequest', 'shared'] as const)('stateless (%s)', (kind) => {
  it('answers tools/call without initialize or session id, with the caller of each request', async () => {
    const { url, alice, bob } = targets[kind];
    // Both clients use id 1 at the same time.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(url, i % 2 === 0 ? alice : bob, 1)),
    );
    for (const [i, res] of results.entries()) {
      expect(res.status).toBe(200);
      expect(res.headers['mcp-session-id']).toBeUndefined();
      const body = JSON.parse(res.body);
      expect(body.id).toBe(1);
      expect(JSON.parse(body.result.content[0].text).subject).toBe(i % 2 === 0 ? 'alice' : 'bob');
    }
  });

  it('keeps string ids as sent', async () => {
    const res = await call(targets[kind].url, targets[kind].alice, 'req-7');
    expect(JSON.parse(res.body).id).toBe('req-7');
  });

  it('GET and DELETE are 405 with the exact Allow header; a session id gets 404', async () => {
    const { url, alice } = targets[kind];
    const get = await rawRequest(url, {
      headers: { authorization: `Bearer ${alice}`, accept: 'text/event-stream' },
    });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST, OPTIONS');
    const del = await rawRequest(url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(del.status).toBe(405);
    const withSession = await rawRequest(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${alice}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': 'abc',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(withSession.status).toBe(404);
  });

  it('serves the official SDK v1 client (initialize, then calls, no session)', async () => {
    const { url, bob } = targets[kind];
    const client = new Client({ name: 'stateless', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${bob}` } },
    });
    await client.connect(transport);
    expect(transport.sessionId).toBeUndefined();
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    expect(JSON.parse((result.content as [{ text: string }])[0].text).subject).toBe('bob');
    await client.close();
  });
});

it('the shared server is never created per request; the per-request one is', async () => {
  factoryCalls = 0;
  await call(targets.shared.url, targets.shared.alice, 1);
  expect(factoryCalls).toBe(0);
  await call(targets.perRequest.url, targets.perRequest.alice, 1);
  expect(factoryCalls).toBe(1);
});
