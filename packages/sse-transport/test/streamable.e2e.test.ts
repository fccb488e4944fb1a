/**
 * The Streamable HTTP endpoint end to end: real tokens from the local authorization server, the
 * official SDK v1 client, and raw HTTP for every status and header the endpoint answers with.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import { rawRequest, whoamiServer } from './helpers.js';

let das: DevAuthServer;
let provider: OAuthProvider;
let server: SseServer;
let base: string;
let mcpUrl: string;
let alice: string;
let bob: string;
let aliceAdmin: string;
const received: unknown[] = [];

const INIT = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1.0.0' },
  },
};
const ACCEPT = 'application/json, text/event-stream';

function post(body: unknown, headers: Record<string, string> = {}): ReturnType<typeof rawRequest> {
  return rawRequest(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function openSession(token: string): Promise<string> {
  const res = await post(INIT, { authorization: `Bearer ${token}` });
  expect(res.status).toBe(200);
  const id = res.headers['mcp-session-id'];
  expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const initialized = await post(
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { authorization: `Bearer ${token}`, 'mcp-session-id': id as string },
  );
  expect(initialized.status).toBe(202);
  return id as string;
}

function progressServer(): McpServer {
  const mcp = whoamiServer(received);
  mcp.server.registerCapabilities({ logging: {} });
  mcp.registerTool('slow', { description: 'Reports progress, then answers' }, async (extra) => {
    await extra.sendNotification({
      method: 'notifications/message',
      params: { level: 'info', data: 'working' },
    });
    return { content: [{ type: 'text', text: 'done' }] };
  });
  mcp.registerTool('server_stats', { description: 'Admin only' }, async () => ({
    content: [{ type: 'text', text: 'stats' }],
  }));
  return mcp;
}

beforeAll(async () => {
  const port = await getFreePort();
  base = `http://127.0.0.1:${port}`;
  mcpUrl = `${base}/mcp`;
  das = await startAuthServer({
    resources: [{ uri: mcpUrl, scopes: ['mcp:read', 'mcp:admin'] }],
    users: [
      { sub: 'alice', password: 'p' },
      { sub: 'bob', password: 'p' },
    ],
  });
  provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: mcpUrl,
    requiredScopes: ['mcp:read'],
    allowInsecureHttpForLoopback: true,
  });
  server = createServer({
    port,
    auth: { provider, toolScopes: { server_stats: ['mcp:admin'] } },
    createMcpServer: () => progressServer(),
  });
  await server.listen();
  [alice, bob, aliceAdmin] = await Promise.all([
    das
      .authorizationCodeFlow({ resource: mcpUrl, user: 'alice', scope: 'mcp:read' })
      .then((t) => t.access_token),
    das
      .authorizationCodeFlow({ resource: mcpUrl, user: 'bob', scope: 'mcp:read' })
      .then((t) => t.access_token),
    das
      .authorizationCodeFlow({ resource: mcpUrl, user: 'alice', scope: 'mcp:read mcp:admin' })
      .then((t) => t.access_token),
  ]);
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await das?.stop();
});

describe('the official SDK v1 client over Streamable HTTP', () => {
  it('initializes, lists tools and calls whoami with the token of its user', async () => {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
      requestInit: { headers: { authorization: `Bearer ${alice}` } },
    });
    await client.connect(transport);
    expect(transport.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name).sort()).toEqual(['server_stats', 'slow', 'whoami']);
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    const who = JSON.parse((result.content as [{ text: string }])[0].text);
    expect(who).toEqual({ subject: 'alice', clientId: 'mcp-public', scopes: ['mcp:read'] });
    const slow = await client.callTool({ name: 'slow', arguments: {} });
    expect(slow.content).toEqual([{ type: 'text', text: 'done' }]);
    await transport.terminateSession();
    await client.close();
  });
});

describe('POST /mcp', () => {
  it('401 without a token: the challenge names the metadata and scope, no error', async () => {
    const res = await post(INIT);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer scope="mcp:read", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(res.headers['access-control-expose-headers']).toBe(
      'WWW-Authenticate, Mcp-Session-Id, Retry-After, DPoP-Nonce',
    );
  });

  it('401 invalid_token for a tampered token', async () => {
    const res = await post(INIT, { authorization: `Bearer ${alice.slice(0, -4)}AAAA` });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", /);
  });

  it('answers initialize with JSON and a session id, then JSON-RPC results as JSON', async () => {
    const id = await openSession(alice);
    const res = await post(
      { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
      { authorization: `Bearer ${alice}`, 'mcp-session-id': id },
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['mcp-session-id']).toBe(id);
    const body = JSON.parse(res.body);
    expect(body.id).toBe(7);
    expect(JSON.parse(body.result.content[0].text).subject).toBe('alice');
  });

  it('streams as text/event-stream when the tool notifies before it answers', async () => {
    const id = await openSession(alice);
    const res = await post(
      { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'slow', arguments: {} } },
      { authorization: `Bearer ${alice}`, 'mcp-session-id': id },
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = res.body
      .split('\n\n')
      .filter((f) => f.startsWith('event: message'))
      .map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)));
    expect(events.map((e) => e.method ?? `result:${e.id}`)).toEqual([
      'notifications/message',
      'result:8',
    ]);
  });

  it('refuses another principal on a session: 403, and nothing reaches the MCP server', async () => {
    const id = await openSession(alice);
    const before = received.length;
    const res = await post(
      { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
      { authorization: `Bearer ${bob}`, 'mcp-session-id': id },
    );
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({
      error: 'access_denied',
      error_description: 'This session belongs to another principal',
    });
    expect(received.length).toBe(before);
  });

  it.each([
    ['no session id', {}, 400, -32000],
    ['an unknown session id', { 'mcp-session-id': 'x'.repeat(43) }, 404, -32001],
    ['a malformed session id', { 'mcp-session-id': '../../etc' }, 404, -32001],
  ])('%s → %s', async (_name, headers, status, code) => {
    const res = await post(
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { authorization: `Bearer ${alice}`, ...headers },
    );
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body).error.code).toBe(code);
  });

  it.each([
    ['no Accept', { accept: '' }, 406],
    ['Accept without text/event-stream', { accept: 'application/json' }, 406],
    [
      'Accept with text/event-stream;q=0',
      { accept: 'application/json, text/event-stream;q=0' },
      406,
    ],
    ['a text/plain body', { 'content-type': 'text/plain' }, 415],
  ])('%s → %s', async (_name, headers, status) => {
    const res = await post(INIT, { authorization: `Bearer ${alice}`, ...headers });
    expect(res.status).toBe(status);
  });

  it('400 parse error for a body that is not JSON', async () => {
    const res = await post('{"jsonrpc":', { authorization: `Bearer ${alice}` });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error' },
    });
  });

  it('400 for a batch longer than maxBatchLength (100 by default), before any of it is delivered', async () => {
    const id = await openSession(alice);
    const batch = Array.from({ length: 101 }, () => ({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 1 },
    }));
    const res = await post(batch, { authorization: `Bearer ${alice}`, 'mcp-session-id': id });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toEqual({
      code: -32600,
      message: 'Invalid Request: a batch may hold at most 100 messages',
    });
  });

  it.each([
    ['Mcp-Method differs', { 'mcp-method': 'tools/list' }],
    ['Mcp-Name differs', { 'mcp-method': 'tools/call', 'mcp-name': 'slow' }],
  ])('400 -32020 when %s from the body', async (_name, headers) => {
    const id = await openSession(alice);
    const res = await post(
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
      { authorization: `Bearer ${alice}`, 'mcp-session-id': id, ...headers },
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe(-32020);
  });

  it('accepts matching Mcp-Method and Mcp-Name headers', async () => {
    const id = await openSession(alice);
    const res = await post(
      { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
      {
        authorization: `Bearer ${alice}`,
        'mcp-session-id': id,
        'mcp-method': 'tools/call',
        'mcp-name': 'whoami',
      },
    );
    expect(res.status).toBe(200);
  });

  it('a 2026-07-28 request without a modern handler gets -32022 naming the session revisions', async () => {
    const res = await post(
      { jsonrpc: '2.0', id: 1, method: 'server/discover', params: {} },
      {
        authorization: `Bearer ${alice}`,
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'server/discover',
      },
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toEqual({
      code: -32022,
      message: 'Unsupported protocol version',
      data: { supported: ['2025-11-25', '2025-06-18', '2025-03-26'], requested: '2026-07-28' },
    });
  });

  it('400 for an unsupported MCP-Protocol-Version on a session', async () => {
    const id = await openSession(alice);
    const res = await post(
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      {
        authorization: `Bearer ${alice}`,
        'mcp-session-id': id,
        'mcp-protocol-version': '1999-01-01',
      },
    );
    expect(res.status).toBe(400);
  });

  it('403 insufficient_scope for a gated tool, naming every scope it needs; then the admin token works', async () => {
    const id = await openSession(alice);
    const call = { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'server_stats' } };
    const denied = await post(call, { authorization: `Bearer ${alice}`, 'mcp-session-id': id });
    expect(denied.status).toBe(403);
    expect(denied.headers['www-authenticate']).toBe(
      `Bearer error="insufficient_scope", scope="mcp:read mcp:admin", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", error_description="The token lacks a required scope"`,
    );
    // The same user with a broader token continues the same session (same issuer, subject, client).
    const allowed = await post(call, {
      authorization: `Bearer ${aliceAdmin}`,
      'mcp-session-id': id,
    });
    expect(allowed.status).toBe(200);
    expect(JSON.parse(allowed.body).result.content[0].text).toBe('stats');
  });
});

describe('GET and DELETE /mcp', () => {
  it('GET opens one standalone stream per session (409 for a second)', async () => {
    const id = await openSession(alice);
    const controller = new AbortController();
    const first = await fetch(mcpUrl, {
      headers: {
        authorization: `Bearer ${alice}`,
        'mcp-session-id': id,
        accept: 'text/event-stream',
      },
      signal: controller.signal,
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const second = await rawRequest(mcpUrl, {
      headers: {
        authorization: `Bearer ${alice}`,
        'mcp-session-id': id,
        accept: 'text/event-stream',
      },
    });
    expect(second.status).toBe(409);
    controller.abort();
  });

  it('GET by another principal → 403; without a token → 401', async () => {
    const id = await openSession(alice);
    const other = await rawRequest(mcpUrl, {
      headers: {
        authorization: `Bearer ${bob}`,
        'mcp-session-id': id,
        accept: 'text/event-stream',
      },
    });
    expect(other.status).toBe(403);
    const anonymous = await rawRequest(mcpUrl, {
      headers: { 'mcp-session-id': id, accept: 'text/event-stream' },
    });
    expect(anonymous.status).toBe(401);
  });

  it('DELETE by another principal → 403; by the owner → 204, and the session is gone (404)', async () => {
    const id = await openSession(alice);
    const other = await rawRequest(mcpUrl, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${bob}`, 'mcp-session-id': id },
    });
    expect(other.status).toBe(403);
    const own = await rawRequest(mcpUrl, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${alice}`, 'mcp-session-id': id },
    });
    expect(own.status).toBe(204);
    const after = await post(
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { authorization: `Bearer ${alice}`, 'mcp-session-id': id },
    );
    expect(after.status).toBe(404);
  });

  it('405 for PUT with the exact Allow header', async () => {
    const res = await rawRequest(mcpUrl, {
      method: 'PUT',
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST, GET, DELETE, OPTIONS');
  });
});
