import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withMcpAuth } from '../src/node.js';
import {
  gateFor,
  jsonHeaders,
  type LateServer,
  SCOPES,
  send,
  sendRaw,
  startAuthServer,
  startLateServer,
  toolCall,
  userToken,
} from './helpers.js';

/**
 * Every rule of the gate over real HTTP on 127.0.0.1, with real tokens from the local
 * authorization server, around a tiny MCP-shaped handler that counts what reaches it.
 */
let as: DevAuthServer;
let server: LateServer;
let host: string;
let prm: string;
const seen: { method: string; sub: unknown; body: unknown }[] = [];
let readToken: string;
let adminToken: string;
let user2Token: string;

function handler(
  req: IncomingMessage & { auth: { extra?: Record<string, unknown> }; body?: unknown },
  res: ServerResponse,
): void {
  seen.push({ method: req.method ?? '', sub: req.auth.extra?.subject, body: req.body });
  const body = req.body as { method?: string } | undefined;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (body?.method === 'initialize')
    headers['mcp-session-id'] = `sess-${seen.length}-${Math.random().toString(36).slice(2)}`;
  res.writeHead(200, headers);
  res.end(JSON.stringify({ sub: req.auth.extra?.subject }));
}

beforeAll(async () => {
  as = await startAuthServer();
  server = await startLateServer();
  as.addResource({ uri: server.resource, scopes: SCOPES });
  host = `127.0.0.1:${server.port}`;
  prm = `${server.url}/.well-known/oauth-protected-resource/mcp`;
  const gate = gateFor(as, server.resource, {
    requiredScopes: ['mcp:read'],
    toolScopes: { admin_tool: ['mcp:admin'], write_tool: ['mcp:write'] },
    scopeHierarchy: { 'mcp:admin': ['mcp:write', 'mcp:read'] },
    maxBodyBytes: 64 * 1024,
  });
  server.handle = withMcpAuth(gate, handler as never);
  readToken = await userToken(as, server.resource, 'user-1', 'mcp:read');
  adminToken = await userToken(as, server.resource, 'user-1', 'mcp:admin');
  user2Token = await userToken(as, server.resource, 'user-2', 'mcp:read mcp:write mcp:admin');
});

afterAll(async () => {
  await server?.stop();
  await as?.stop();
});

describe('protected resource metadata', () => {
  it.each([
    ['/.well-known/oauth-protected-resource/mcp'],
    ['/.well-known/oauth-protected-resource'],
  ])('GET %s → 200 with the document, no token needed', async (path) => {
    const r = await send(`${server.url}${path}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(JSON.parse(r.body)).toEqual({
      resource: server.resource,
      authorization_servers: [as.issuer],
      scopes_supported: ['mcp:read', 'mcp:admin', 'mcp:write'],
      bearer_methods_supported: ['header'],
    });
  });

  it('answers a preflight with 204 and a POST with 405', async () => {
    const pre = await send(prm, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS');
    const post = await send(prm, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD, OPTIONS');
  });
});

describe('DNS rebinding: Host and Origin on every path', () => {
  const paths: [string, string][] = [
    ['POST', '/mcp'],
    ['GET', '/mcp'],
    ['DELETE', '/mcp'],
    ['OPTIONS', '/mcp'],
    ['GET', '/.well-known/oauth-protected-resource/mcp'],
    ['GET', '/.well-known/oauth-protected-resource'],
    ['OPTIONS', '/.well-known/oauth-protected-resource/mcp'],
    ['GET', '/health'],
    ['GET', '/anything/else'],
  ];

  it.each(paths)('%s %s with Host evil.example → 403, handler untouched', async (method, path) => {
    const before = seen.length;
    const r = await send(`${server.url}${path}`, {
      method,
      headers: { ...jsonHeaders(adminToken), host: `evil.example:${server.port}` },
      ...(method === 'POST' ? { body: toolCall('whoami') } : {}),
    });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toEqual({
      error: 'forbidden',
      error_description: 'Host not allowed',
    });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(seen.length).toBe(before);
  });

  it.each(paths)('%s %s with Origin https://evil.example → 403', async (method, path) => {
    const before = seen.length;
    const r = await send(`${server.url}${path}`, {
      method,
      headers: { ...jsonHeaders(adminToken), origin: 'https://evil.example' },
      ...(method === 'POST' ? { body: toolCall('whoami') } : {}),
    });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toEqual({
      error: 'forbidden',
      error_description: 'Origin not allowed',
    });
    expect(seen.length).toBe(before);
  });

  it('accepts loopback hosts and origins', async () => {
    for (const h of [
      `localhost:${server.port}`,
      `127.0.0.1:${server.port}`,
      `[::1]:${server.port}`,
    ]) {
      const r = await send(`${server.url}/mcp`, {
        method: 'POST',
        headers: { ...jsonHeaders(readToken), host: h, origin: 'http://localhost:6274' },
        body: toolCall('whoami'),
      });
      expect(r.status).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBe('http://localhost:6274');
    }
  });

  it.each([[`Host: ${'HOST'}\r\nHost: evil.example`], [`Host: evil.example\r\nHost: ${'HOST'}`]])(
    'refuses a repeated Host header (%s)',
    async (hosts) => {
      const before = seen.length;
      const body = toolCall('whoami');
      const text = await sendRaw(
        server.port,
        `POST /mcp HTTP/1.1\r\n${hosts.replaceAll('HOST', host)}\r\nAuthorization: Bearer ${readToken}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      expect(text.startsWith('HTTP/1.1 403 ')).toBe(true);
      expect(seen.length).toBe(before);
    },
  );
});

describe('CORS', () => {
  it('answers a preflight 204 without a token, with every MCP header allowed', async () => {
    const r = await send(`${server.url}/mcp`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
      },
    });
    expect(r.status).toBe(204);
    expect(r.body).toBe('');
    expect(r.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(r.headers['access-control-allow-methods']).toBe('GET, POST, DELETE, OPTIONS');
    expect(r.headers['access-control-allow-headers']).toBe(
      'Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID, DPoP',
    );
    expect(r.headers['access-control-max-age']).toBe('600');
    expect(r.headers.vary).toBe('Origin');
    expect(r.headers['www-authenticate']).toBeUndefined();
  });

  it('exposes WWW-Authenticate and Mcp-Session-Id on challenges and on the handler response', async () => {
    const denied = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: { ...jsonHeaders(), origin: 'http://localhost:5173' },
      body: toolCall('whoami'),
    });
    expect(denied.status).toBe(401);
    expect(denied.headers['access-control-expose-headers']).toBe(
      'WWW-Authenticate, Mcp-Session-Id, Retry-After, DPoP-Nonce',
    );
    expect(denied.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const ok = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: { ...jsonHeaders(readToken), origin: 'http://localhost:5173' },
      body: toolCall('whoami'),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-expose-headers']).toBe(
      'WWW-Authenticate, Mcp-Session-Id, Retry-After, DPoP-Nonce',
    );
  });
});

describe('authorization', () => {
  const challenge = (params: string) => `Bearer ${params}resource_metadata="${prm}"`;

  it('no token → 401, scope, no error parameter', async () => {
    const r = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(),
      body: toolCall('whoami'),
    });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe(challenge('scope="mcp:read", '));
    expect(r.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(r.body).error).toBe('unauthorized');
  });

  it('no token on an admin tool → the challenge names the tool scope too', async () => {
    const r = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(),
      body: toolCall('admin_tool'),
    });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe(challenge('scope="mcp:read mcp:admin", '));
  });

  it('GET and DELETE need a token too', async () => {
    for (const method of ['GET', 'DELETE']) {
      const r = await send(`${server.url}/mcp`, {
        method,
        headers: { accept: 'text/event-stream' },
      });
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe(challenge('scope="mcp:read", '));
    }
  });

  it.each([
    ['a bad token', 'Bearer not-a-jwt', 401, 'invalid_token'],
    ['a token for another resource', 'OTHER', 401, 'invalid_token'],
    ['a malformed header', 'Bearer a b', 400, 'invalid_request'],
  ])('%s → %i %s', async (_, authorization, status, error) => {
    let value = authorization;
    if (authorization === 'OTHER') {
      const other = `${server.url}/other`;
      as.addResource({ uri: other, scopes: SCOPES });
      value = `Bearer ${await userToken(as, other, 'user-1', 'mcp:read')}`;
    }
    const r = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: { ...jsonHeaders(), authorization: value },
      body: toolCall('whoami'),
    });
    expect(r.status).toBe(status);
    expect(r.headers['www-authenticate']).toMatch(
      new RegExp(
        `^Bearer error="${error}", scope="mcp:read", resource_metadata="${prm.replace(/[.]/g, '\\.')}", error_description="[^"]+"$`,
      ),
    );
    expect(JSON.parse(r.body).error).toBe(error);
  });

  it('a missing tool scope → 403 insufficient_scope naming every scope the request needs', async () => {
    const before = seen.length;
    const r = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(readToken),
      body: toolCall('admin_tool'),
    });
    expect(r.status).toBe(403);
    expect(r.headers['www-authenticate']).toBe(
      `Bearer error="insufficient_scope", scope="mcp:read mcp:admin", resource_metadata="${prm}", error_description="The token lacks a required scope"`,
    );
    expect(JSON.parse(r.body)).toEqual({
      error: 'insufficient_scope',
      error_description: 'The token lacks a required scope',
    });
    expect(seen.length).toBe(before);
  });

  it('a batch needs the union of its tools’ scopes, in one challenge', async () => {
    const batch = `[${toolCall('whoami', 1)},${toolCall('write_tool', 2)},${toolCall('admin_tool', 3)}]`;
    const r = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(readToken),
      body: batch,
    });
    expect(r.status).toBe(403);
    expect(r.headers['www-authenticate']).toContain('scope="mcp:read mcp:write mcp:admin"');
  });

  it('the scope hierarchy: mcp:admin satisfies mcp:read and mcp:write', async () => {
    const batch = `[${toolCall('whoami', 1)},${toolCall('write_tool', 2)},${toolCall('admin_tool', 3)}]`;
    const r = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(adminToken),
      body: batch,
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ sub: 'user-1' });
  });

  it('503 with Retry-After when the authorization server is down', async () => {
    const dead = await startLateServer();
    const deadIssuer = dead.url;
    await dead.stop();
    const gate = gateFor(as, server.resource, {}, { issuer: deadIssuer });
    const decision = await gate.check({
      method: 'POST',
      url: '/mcp',
      headers: { host, authorization: `Bearer ${readToken}`, 'content-type': 'application/json' },
      body: toolCall('whoami'),
    });
    expect(decision).toMatchObject({
      kind: 'respond',
      status: 503,
      reason: 'unauthorized',
      tokenError: 'ERR_AUTH_SERVER_UNAVAILABLE',
    });
    if (decision.kind !== 'respond') return;
    expect(decision.headers['retry-after']).toMatch(/^\d+$/);
    expect(decision.headers['www-authenticate']).toBeUndefined();
    expect(JSON.parse(decision.body).error).toBe('temporarily_unavailable');
  });
});

describe('bounded bodies and JSON-RPC checks', () => {
  it('a batch over maxBatchLength → 400 with a JSON-RPC error, before auth work', async () => {
    const ping = '{"jsonrpc":"2.0","method":"notifications/x"}';
    const r = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(readToken),
      body: `[${new Array(101).fill(ping).join(',')}]`,
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Invalid Request: a batch may hold at most 100 messages' },
    });
    const ok = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(readToken),
      body: `[${new Array(100).fill(ping).join(',')}]`,
    });
    expect(ok.status).toBe(200);
  });

  it.each([
    [
      'a body over maxBodyBytes',
      `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"${'a'.repeat(70_000)}"}}`,
      413,
      -32600,
    ],
    ['invalid JSON', '{"jsonrpc":', 400, -32700],
    ['not JSON-RPC', '{"hello":"world"}', 400, -32600],
    ['an empty batch', '[]', 400, -32600],
  ])('%s → %i', async (_, body, status, code) => {
    const r = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(readToken),
      body,
    });
    expect(r.status).toBe(status);
    expect(JSON.parse(r.body).error.code).toBe(code);
  });

  it('a lying Content-Length over the limit → 413 without reading', async () => {
    const r = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: { ...jsonHeaders(readToken), 'content-length': String(10 * 1024 * 1024) },
      body: '{}',
    }).catch(() => ({ status: 413, body: '' }));
    expect(r.status).toBe(413);
  });

  it.each([
    [{ 'mcp-method': 'tools/list' }, 'Mcp-Method header does not match the request body'],
    [
      { 'mcp-method': 'tools/call', 'mcp-name': 'admin_tool' },
      'Mcp-Name header does not match the request body',
    ],
    [{ 'mcp-protocol-version': '2026-07-28' }, 'Mcp-Method header required'],
    [
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' },
      'Mcp-Name header required',
    ],
  ])('Mcp-Method / Mcp-Name %j → 400 -32020', async (extra, message) => {
    const r = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(readToken, extra),
      body: toolCall('whoami', 42),
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({
      jsonrpc: '2.0',
      id: 42,
      error: { code: -32020, message },
    });
  });

  it('matching Mcp-Method / Mcp-Name under 2026-07-28 pass', async () => {
    const r = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(readToken, {
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'whoami',
      }),
      body: toolCall('whoami'),
    });
    expect(r.status).toBe(200);
  });
});

describe('sessions bound to the principal', () => {
  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 't', version: '1' },
    },
  });

  it('another principal’s token on a session → 403, the handler never sees it; the owner → 200; DELETE unbinds', async () => {
    const init = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(readToken),
      body: initialize,
    });
    expect(init.status).toBe(200);
    const sessionId = init.headers['mcp-session-id'] as string;
    expect(sessionId).toMatch(/^sess-/);

    const before = seen.length;
    const hijack = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(user2Token, { 'mcp-session-id': sessionId }),
      body: toolCall('whoami'),
    });
    expect(hijack.status).toBe(403);
    expect(JSON.parse(hijack.body)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Forbidden: the session belongs to another principal' },
    });
    for (const method of ['GET', 'DELETE']) {
      const r = await send(`${server.url}/mcp`, {
        method,
        headers: { authorization: `Bearer ${user2Token}`, 'mcp-session-id': sessionId },
      });
      expect(r.status).toBe(403);
    }
    expect(seen.length).toBe(before);

    // Same user, another token (another scope set): still the same principal.
    const owner = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(adminToken, { 'mcp-session-id': sessionId }),
      body: toolCall('whoami'),
    });
    expect(owner.status).toBe(200);

    const del = await send(`${server.url}/mcp`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${readToken}`, 'mcp-session-id': sessionId },
    });
    expect(del.status).toBe(200);
    const after = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(readToken, { 'mcp-session-id': sessionId }),
      body: toolCall('whoami'),
    });
    expect(after.status).toBe(404);
    expect(JSON.parse(after.body).error).toEqual({ code: -32001, message: 'Session not found' });
  });

  it.each([['unknown-session'], ['x'.repeat(300)]])('session id %j → 404 or 400', async (id) => {
    const r = await send(`${server.url}/mcp`, {
      method: 'POST',
      headers: jsonHeaders(readToken, { 'mcp-session-id': id }),
      body: toolCall('whoami'),
    });
    expect(r.status).toBe(id.length > 256 ? 400 : 404);
  });
});

describe('other paths', () => {
  it('withMcpAuth answers 404 for a path that is not the endpoint (after Host/Origin)', async () => {
    const r = await send(`${server.url}/health`);
    expect(r.status).toBe(404);
  });

  it.each([['/MCP'], ['/mcp/'], ['/mc%70'], ['/Mcp//']])(
    'treats %s like the endpoint (lenient routers)',
    async (path) => {
      const r = await send(`${server.url}${path}`, {
        method: 'POST',
        headers: jsonHeaders(),
        body: toolCall('whoami'),
      });
      expect(r.status).toBe(401);
    },
  );
});
