import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fakeProvider,
  openStream,
  postMessage,
  rawRequest,
  whoamiServer,
} from '../test/helpers.js';
import { createHandler, createServer, type SseServer, type SseServerOptions } from './index.js';

const ALICE = 'Bearer user:alice:app-a:mcp:read';
const BOB = 'Bearer user:bob:app-b:mcp:read';

function mcpFactory(received: unknown[] = []): SseServerOptions['createMcpServer'] {
  return () => whoamiServer(received);
}

let server: SseServer | undefined;
let url = '';

async function start(options: Partial<SseServerOptions> = {}): Promise<string> {
  const defaults: SseServerOptions = {
    createMcpServer: mcpFactory(),
    auth: { provider: fakeProvider() },
  };
  server = createServer({ ...defaults, ...options } as SseServerOptions);
  ({ url } = await server.listen());
  return url;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('createHandler options', () => {
  const factory = mcpFactory();
  it.each([
    [{}, /"createMcpServer"/],
    [{ createMcpServer: factory }, /"auth.provider" is required/],
    [{ createMcpServer: factory, auth: { provider: {} } }, /"auth.provider"/],
    [
      { createMcpServer: factory, auth: { provider: fakeProvider() }, insecureNoAuth: true },
      /"insecureNoAuth"/,
    ],
    [{ createMcpServer: factory, insecureNoAuth: true, endpoint: 'sse' }, /"endpoint"/],
    [
      { createMcpServer: factory, insecureNoAuth: true, messageEndpoint: '/m?x' },
      /"messageEndpoint"/,
    ],
    [
      { createMcpServer: factory, insecureNoAuth: true, endpoint: '/a', messageEndpoint: '/a' },
      /must differ/,
    ],
    [{ createMcpServer: factory, insecureNoAuth: true, maxSessions: 0 }, /"maxSessions"/],
    [{ createMcpServer: factory, insecureNoAuth: true, maxMessageBytes: -1 }, /"maxMessageBytes"/],
    [{ createMcpServer: factory, insecureNoAuth: true, keepAliveMs: 1.5 }, /"keepAliveMs"/],
    [
      {
        createMcpServer: factory,
        insecureNoAuth: true,
        cors: { allowOrigin: ['https://a.test/path'] },
      },
      /"cors.allowOrigin"/,
    ],
    [
      { createMcpServer: factory, insecureNoAuth: true, cors: { exposeHeaders: ['Bad Header'] } },
      /"cors.exposeHeaders"/,
    ],
    [{ createMcpServer: factory, insecureNoAuth: true, cors: { maxAge: -1 } }, /"cors.maxAge"/],
  ])('rejects %# with a TypeError naming the option', (options, message) => {
    expect(() => createHandler(options as SseServerOptions)).toThrow(TypeError);
    expect(() => createHandler(options as SseServerOptions)).toThrow(message);
  });
});

describe('MCP over SSE with the SDK client', () => {
  it('initializes, lists tools and passes authInfo to tool handlers', async () => {
    const received: unknown[] = [];
    await start({ createMcpServer: mcpFactory(received) });
    const client = new Client({ name: 'c', version: '1' });
    const transport = new SSEClientTransport(new URL('/sse', url), {
      requestInit: { headers: { Authorization: ALICE } },
    });
    await client.connect(transport);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(['whoami']);
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    expect(JSON.parse((result.content as { text: string }[])[0]!.text)).toEqual({
      subject: 'alice',
      clientId: 'app-a',
      scopes: ['mcp:read'],
    });
    expect(received).toHaveLength(1);
    await client.close();
  });
});

describe('authentication of both endpoints', () => {
  it('answers 401 without a token on /sse and /messages, with the provider challenge', async () => {
    await start();
    const sse = await rawRequest(`${url}/sse`);
    expect(sse.status).toBe(401);
    expect(sse.headers['www-authenticate']).toBe(
      'Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/sse"',
    );
    expect(JSON.parse(sse.body)).toEqual({
      error: 'invalid_request',
      error_description: 'ERR_MISSING_TOKEN',
    });
    const post = await postMessage(url, '/messages?sessionId=x', {
      jsonrpc: '2.0',
      method: 'ping',
      id: 1,
    });
    expect(post.status).toBe(401);
    expect(post.headers.connection).toBe('close');
  });

  it('answers 503 with Retry-After when validation is impossible for now', async () => {
    await start({ auth: { provider: fakeProvider({ unavailable: true }) } });
    const res = await rawRequest(`${url}/sse`, { headers: { authorization: ALICE } });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });

  it('re-authenticates every POST: an open session does not stand in for a token', async () => {
    await start();
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    const res = await postMessage(url, stream.endpoint!, { jsonrpc: '2.0', method: 'ping', id: 1 });
    expect(res.status).toBe(401);
    const bad = await postMessage(
      url,
      stream.endpoint!,
      { jsonrpc: '2.0', method: 'ping', id: 1 },
      { authorization: 'Bearer forged' },
    );
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
    stream.close();
  });

  it('refuses (403) a valid token of another principal on a session and delivers nothing', async () => {
    await start();
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    const hijack = await postMessage(
      url,
      stream.endpoint!,
      { jsonrpc: '2.0', method: 'ping', id: 'hijack' },
      { authorization: BOB },
    );
    expect(hijack.status).toBe(403);
    expect(JSON.parse(hijack.body)).toEqual({
      error: 'access_denied',
      error_description: 'This session belongs to another principal',
    });
    // Same subject, other client: another principal too.
    const otherClient = await postMessage(
      url,
      stream.endpoint!,
      { jsonrpc: '2.0', method: 'ping', id: 'hijack2' },
      { authorization: 'Bearer user:alice:app-b:mcp:read' },
    );
    expect(otherClient.status).toBe(403);
    const own = await postMessage(
      url,
      stream.endpoint!,
      { jsonrpc: '2.0', method: 'ping', id: 'own' },
      { authorization: ALICE },
    );
    expect(own.status).toBe(202);
    const event = await stream.next('message');
    expect(JSON.parse(event.data)).toEqual({ jsonrpc: '2.0', id: 'own', result: {} });
    expect(stream.events).toEqual([]); // nothing for the hijack attempts
    stream.close();
  });

  it('leaves an endpoint open only when told to (endpoints.sse: false); the first sender claims the session', async () => {
    await start({ auth: { provider: fakeProvider(), endpoints: { sse: false } } });
    const stream = await openStream(`${url}/sse`);
    expect(stream.status).toBe(200);
    const res = await postMessage(url, stream.endpoint!, { jsonrpc: '2.0', method: 'ping', id: 1 });
    expect(res.status).toBe(401);
    const first = await postMessage(
      url,
      stream.endpoint!,
      { jsonrpc: '2.0', method: 'ping', id: 2 },
      { authorization: ALICE },
    );
    expect(first.status).toBe(202);
    const other = await postMessage(
      url,
      stream.endpoint!,
      { jsonrpc: '2.0', method: 'ping', id: 3 },
      { authorization: BOB },
    );
    expect(other.status).toBe(403);
    const again = await postMessage(
      url,
      stream.endpoint!,
      { jsonrpc: '2.0', method: 'ping', id: 4 },
      { authorization: ALICE },
    );
    expect(again.status).toBe(202);
    stream.close();
  });

  it('with endpoints.messages: false, messages carry no authInfo and need no token', async () => {
    const received: unknown[] = [];
    await start({
      createMcpServer: mcpFactory(received),
      auth: { provider: fakeProvider(), endpoints: { messages: false } },
    });
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    const res = await postMessage(url, stream.endpoint!, {
      jsonrpc: '2.0',
      method: 'tools/call',
      id: 1,
      params: { name: 'whoami', arguments: {} },
    });
    expect(res.status).toBe(202);
    const reply = JSON.parse((await stream.next('message')).data);
    expect(JSON.parse(reply.result.content[0].text)).toEqual({});
    expect(received).toEqual([undefined]);
    stream.close();
  });

  it('keeps streams past token expiry with closeStreamOnTokenExpiry: false', async () => {
    let clock = Date.now();
    await start({ keepAliveMs: 20, now: () => clock, closeStreamOnTokenExpiry: false });
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    clock += 7200_000;
    await new Promise((r) => setTimeout(r, 100));
    expect(server!.handler.sessionCount).toBe(1);
    stream.close();
  });
});

describe('POST /messages input handling', () => {
  const ping = JSON.stringify({ jsonrpc: '2.0', method: 'ping', id: 7 });
  it.each([
    [
      'no sessionId',
      '/messages',
      { 'content-type': 'application/json' },
      ping,
      400,
      'invalid_request',
    ],
    [
      'unknown session',
      '/messages?sessionId=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      { 'content-type': 'application/json' },
      ping,
      404,
      'session_not_found',
    ],
    [
      'malformed session id',
      '/messages?sessionId=%00../x',
      { 'content-type': 'application/json' },
      ping,
      404,
      'session_not_found',
    ],
    ['text/plain', 'SESSION', { 'content-type': 'text/plain' }, ping, 415, 'invalid_request'],
    ['no content type', 'SESSION', {}, ping, 415, 'invalid_request'],
    [
      'latin1 charset',
      'SESSION',
      { 'content-type': 'application/json; charset=iso-8859-1' },
      ping,
      415,
      'invalid_request',
    ],
    [
      'bad JSON',
      'SESSION',
      { 'content-type': 'application/json' },
      '{"jsonrpc":',
      400,
      'invalid_request',
    ],
    [
      'not JSON-RPC',
      'SESSION',
      { 'content-type': 'application/json' },
      '{"hello":"world"}',
      400,
      'invalid_request',
    ],
    [
      'an empty batch',
      'SESSION',
      { 'content-type': 'application/json' },
      '[]',
      400,
      'invalid_request',
    ],
    [
      'a batch with one invalid element',
      'SESSION',
      { 'content-type': 'application/json' },
      `[${ping},{"hello":"world"}]`,
      400,
      'invalid_request',
    ],
    [
      'a nested batch',
      'SESSION',
      { 'content-type': 'application/json' },
      `[[${ping}]]`,
      400,
      'invalid_request',
    ],
    [
      'JSON null',
      'SESSION',
      { 'content-type': 'application/json' },
      'null',
      400,
      'invalid_request',
    ],
    [
      'bad Content-Length',
      'SESSION',
      { 'content-type': 'application/json', 'content-length': '12abc' },
      undefined,
      400,
      undefined,
    ],
  ])('%s → %i', async (_name, path, headers, body, status, error) => {
    await start();
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    const target = path === 'SESSION' ? stream.endpoint! : path;
    const res = await rawRequest(`${url}${target}`, {
      method: 'POST',
      headers: { authorization: ALICE, ...headers } as Record<string, string>,
      ...(body !== undefined ? { body } : {}),
    }).catch((e: Error) => ({ status: 400, headers: {}, body: e.message }));
    expect(res.status).toBe(status);
    if (error !== undefined) expect(JSON.parse(res.body).error).toBe(error);
    stream.close();
  });

  it('refuses an oversized body by Content-Length (413) without reading it', async () => {
    await start({ maxMessageBytes: 1024 });
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    const res = await rawRequest(`${url}${stream.endpoint}`, {
      method: 'POST',
      headers: { authorization: ALICE, 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        method: 'ping',
        id: 1,
        params: { pad: 'x'.repeat(2000) },
      }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    stream.close();
  });

  it('refuses an oversized chunked body (413) as soon as it passes the limit', async () => {
    await start({ maxMessageBytes: 1024 });
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    const res = await rawRequest(`${url}${stream.endpoint}`, {
      method: 'POST',
      headers: {
        authorization: ALICE,
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      },
      body: 'x'.repeat(4096),
    });
    expect(res.status).toBe(413);
    stream.close();
  });

  it('accepts a message at exactly the limit', async () => {
    const message = JSON.stringify({
      jsonrpc: '2.0',
      method: 'ping',
      id: 1,
      params: { _meta: { pad: 'x' } },
    });
    await start({ maxMessageBytes: Buffer.byteLength(message) });
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    const res = await postMessage(url, stream.endpoint!, message, { authorization: ALICE });
    expect(res.status).toBe(202);
    expect(res.body).toBe('Accepted');
    stream.close();
  });
});

describe('sessions', () => {
  it('sends the endpoint event with a random 256-bit session id', async () => {
    await start();
    const a = await openStream(`${url}/sse`, { authorization: ALICE });
    const b = await openStream(`${url}/sse`, { authorization: ALICE });
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(a.headers['cache-control']).toBe('no-cache, no-store, no-transform');
    expect(a.endpoint).toMatch(/^\/messages\?sessionId=[A-Za-z0-9_-]{43}$/);
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(server!.handler.sessionCount).toBe(2);
    a.close();
    b.close();
    await a.closed;
    await b.closed;
    await expect.poll(() => server!.handler.sessionCount).toBe(0);
  });

  it('answers 503 with Retry-After past maxSessions, and 429 past maxSessionsPerPrincipal', async () => {
    await start({ maxSessions: 2, maxSessionsPerPrincipal: 1 });
    const a = await openStream(`${url}/sse`, { authorization: ALICE });
    const a2 = await openStream(`${url}/sse`, { authorization: ALICE });
    expect(a2.status).toBe(429);
    expect(JSON.parse(a2.body).error).toBe('too_many_sessions');
    const b = await openStream(`${url}/sse`, { authorization: BOB });
    const c = await openStream(`${url}/sse`, { authorization: 'Bearer user:carol:app-a:' });
    expect(c.status).toBe(503);
    expect(c.headers['retry-after']).toBe('5');
    expect(JSON.parse(c.body)).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Too many sessions, try again later',
    });
    a.close();
    await a.closed;
    await expect.poll(() => server!.handler.sessionCount).toBe(1);
    const d = await openStream(`${url}/sse`, { authorization: 'Bearer user:carol:app-a:' });
    expect(d.status).toBe(200);
    b.close();
    d.close();
  });

  it('writes keep-alive comments on idle streams', async () => {
    await start({ keepAliveMs: 30 });
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    await expect.poll(() => stream.comments.length, { timeout: 2000 }).toBeGreaterThanOrEqual(2);
    expect(stream.comments[0]).toBe('keep-alive');
    stream.close();
  });

  it('ends a stream when the newest token of its principal expires', async () => {
    let clock = Date.now();
    await start({ keepAliveMs: 20, now: () => clock });
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    expect(server!.handler.sessions()[0]!.expiresAt).toBeGreaterThan(clock / 1000);
    clock += 3601_000;
    await stream.closed;
    expect(server!.handler.sessionCount).toBe(0);
  });

  it('answers 500 and keeps no session when the factory throws', async () => {
    await start({
      createMcpServer: () => {
        throw new Error('boom');
      },
    });
    const res = await rawRequest(`${url}/sse`, { headers: { authorization: ALICE } });
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({
      error: 'server_error',
      error_description: 'Could not start the session',
    });
    expect(server!.handler.sessionCount).toBe(0);
  });

  it('close() ends every stream and the server', async () => {
    await start();
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    await server!.close();
    await stream.closed;
    await expect(rawRequest(`${url}/health`)).rejects.toThrow();
    server = undefined;
  });
});

describe('CORS', () => {
  it('answers preflights without auth, always allowing Authorization', async () => {
    await start({
      allowedOrigins: ['https://app.example'],
      cors: { allowOrigin: ['https://app.example'], allowHeaders: ['X-Custom'], maxAge: 60 },
    });
    const res = await rawRequest(`${url}/messages`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(res.headers['access-control-allow-headers']).toBe(
      'Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID, DPoP, X-Custom',
    );
    expect(res.headers['access-control-allow-methods']).toBe('GET, POST, DELETE, OPTIONS');
    expect(res.headers['access-control-max-age']).toBe('60');
    expect(res.headers.vary).toBe('Origin');
  });

  it('does not allow an origin that is not listed', async () => {
    await start({
      allowedOrigins: ['https://app.example', 'https://evil.example'],
      cors: { allowOrigin: ['https://app.example'] },
    });
    const res = await rawRequest(`${url}/sse`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    // Without Access-Control-Allow-Origin the browser refuses, whatever else the preflight says.
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('always exposes WWW-Authenticate, on 401s and on streams', async () => {
    await start({
      allowedOrigins: ['https://app.example'],
      cors: { exposeHeaders: ['X-Request-Id'] },
    });
    const res = await rawRequest(`${url}/sse`, { headers: { origin: 'https://app.example' } });
    expect(res.status).toBe(401);
    // The default echoes the origin (the Origin policy already decided it may call).
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(res.headers['access-control-expose-headers']).toBe(
      'WWW-Authenticate, Mcp-Session-Id, Retry-After, DPoP-Nonce, X-Request-Id',
    );
    const stream = await openStream(`${url}/sse`, {
      authorization: ALICE,
      origin: 'https://app.example',
    });
    expect(stream.headers['access-control-expose-headers']).toBe(
      'WWW-Authenticate, Mcp-Session-Id, Retry-After, DPoP-Nonce, X-Request-Id',
    );
    stream.close();
  });

  it('sends no CORS headers with cors: false', async () => {
    await start({ allowedOrigins: ['https://app.example'], cors: false });
    const res = await rawRequest(`${url}/sse`, { headers: { origin: 'https://app.example' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('routing', () => {
  it.each([
    ['GET', '/health', 200, undefined],
    ['HEAD', '/health', 200, undefined],
    ['POST', '/health', 405, 'GET, HEAD'],
    ['POST', '/sse', 405, 'GET, OPTIONS'],
    ['GET', '/messages', 405, 'POST, OPTIONS'],
    ['PUT', '/messages', 405, 'POST, OPTIONS'],
    ['GET', '/nope', 404, undefined],
    ['GET', '/oauth/authorize', 404, undefined], // no clientId: no OAuth endpoints
  ])('%s %s → %i (Allow: %s)', async (method, path, status, allow) => {
    await start();
    const res = await rawRequest(`${url}${path}`, { method });
    expect(res.status).toBe(status);
    expect(res.headers.allow).toBe(allow);
  });

  it('mounts in an existing server and passes other paths to next()', async () => {
    const handler = createHandler({
      createMcpServer: mcpFactory(),
      auth: { provider: fakeProvider() },
    });
    const httpServer: Server = createHttpServer((req, res) => {
      handler(req, res, () => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('app');
      });
    });
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    try {
      expect((await rawRequest(`${base}/other`)).body).toBe('app');
      expect((await rawRequest(`${base}/sse`)).status).toBe(401);
      const stream = await openStream(`${base}/sse`, { authorization: ALICE });
      expect(stream.status).toBe(200);
      await handler.close();
      await stream.closed;
    } finally {
      httpServer.closeAllConnections();
      await new Promise((r) => httpServer.close(r));
    }
  });
});

describe('robustness', () => {
  it('answers 408 when a body trickles in slower than bodyTimeoutMs', async () => {
    await start({ bodyTimeoutMs: 100 });
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    const { request } = await import('node:http');
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}${stream.endpoint}`, {
        method: 'POST',
        agent: false,
        headers: {
          authorization: ALICE,
          'content-type': 'application/json',
          'content-length': '100',
        },
      });
      req.on('error', reject);
      req.on('response', (r) => {
        let body = '';
        r.on('data', (c) => {
          body += c;
        });
        r.on('end', () => resolve({ status: r.statusCode!, body }));
      });
      req.write('{"jsonrpc":'); // …and nothing more
    });
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body).error).toBe('invalid_request');
    stream.close();
  });

  it('survives clients that disconnect mid-body and mid-stream', async () => {
    await start();
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    const { request } = await import('node:http');
    for (let i = 0; i < 20; i++) {
      const req = request(`${url}${stream.endpoint}`, {
        method: 'POST',
        agent: false,
        headers: {
          authorization: ALICE,
          'content-type': 'application/json',
          'content-length': '1000',
        },
      });
      req.on('error', () => {});
      req.write('{"jsonrpc":"2.0",');
      setTimeout(() => req.destroy(), 5);
    }
    await new Promise((r) => setTimeout(r, 100));
    const ok = await postMessage(
      url,
      stream.endpoint!,
      { jsonrpc: '2.0', method: 'ping', id: 'after' },
      { authorization: ALICE },
    );
    expect(ok.status).toBe(202);
    expect(JSON.parse((await stream.next('message')).data).id).toBe('after');
    stream.close();
    await stream.closed;
    await expect.poll(() => server!.handler.sessionCount).toBe(0);
  });

  it('binds a session to the exact token when the provider reports no subject', async () => {
    const base = fakeProvider();
    const provider = fakeProvider({
      async authenticate(req) {
        const info = await base.authenticate(req);
        return { ...info, extra: { issuer: 'http://issuer.test' } }; // no subject
      },
    });
    await start({ auth: { provider } });
    const stream = await openStream(`${url}/sse`, { authorization: ALICE });
    // Same client, other user (the subject is unknown): refused.
    const other = await postMessage(
      url,
      stream.endpoint!,
      { jsonrpc: '2.0', method: 'ping', id: 1 },
      { authorization: 'Bearer user:mallory:app-a:mcp:read' },
    );
    expect(other.status).toBe(403);
    const own = await postMessage(
      url,
      stream.endpoint!,
      { jsonrpc: '2.0', method: 'ping', id: 2 },
      { authorization: ALICE },
    );
    expect(own.status).toBe(202);
    stream.close();
  });

  it('works mounted in Express behind express.json()', async () => {
    const express = (await import('express')).default;
    const received: unknown[] = [];
    const handler = createHandler({
      createMcpServer: mcpFactory(received),
      auth: { provider: fakeProvider() },
    });
    const app = express();
    app.use(express.json());
    app.use(handler);
    app.get('/app', (_req, res) => {
      res.send('app');
    });
    const httpServer = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    try {
      expect((await rawRequest(`${base}/app`)).body).toBe('app');
      const client = new Client({ name: 'c', version: '1' });
      await client.connect(
        new SSEClientTransport(new URL('/sse', base), {
          requestInit: { headers: { Authorization: ALICE } },
        }),
      );
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      expect(JSON.parse((result.content as { text: string }[])[0]!.text).subject).toBe('alice');
      await client.close();
    } finally {
      await handler.close();
      httpServer.closeAllConnections();
      await new Promise((r) => httpServer.close(r));
    }
  });
});
