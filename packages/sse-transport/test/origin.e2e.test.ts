/**
 * DNS-rebinding protection on every endpoint: a hostile `Host` or `Origin` gets 403 before
 * anything else runs (metadata, preflight, health, the browser flow, both transports).
 */

import { connect } from 'node:net';
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import { rawRequest, whoamiServer } from './helpers.js';

let das: DevAuthServer;
let provider: OAuthProvider;
let server: SseServer;
let port: number;
let token: string;

const PATHS: [string, string][] = [
  ['POST', '/mcp'],
  ['GET', '/mcp'],
  ['DELETE', '/mcp'],
  ['OPTIONS', '/mcp'],
  ['GET', '/sse'],
  ['POST', '/messages?sessionId=x'],
  ['OPTIONS', '/messages'],
  ['GET', '/health'],
  ['GET', '/.well-known/oauth-protected-resource/mcp'],
  ['GET', '/.well-known/oauth-protected-resource'],
  ['GET', '/oauth/authorize'],
  ['GET', '/oauth/callback?code=c&state=s'],
];

function send(method: string, path: string, headers: Record<string, string>) {
  return rawRequest(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    ...(method === 'POST' ? { body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' } : {}),
  });
}

beforeAll(async () => {
  port = await getFreePort();
  const resource = `http://127.0.0.1:${port}/mcp`;
  das = await startAuthServer({ resources: [{ uri: resource, scopes: ['mcp:read'] }] });
  provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: resource,
    requiredScopes: ['mcp:read'],
    clientId: das.clients.confidential.clientId,
    clientSecret: das.clients.confidential.clientSecret,
    allowInsecureHttpForLoopback: true,
  });
  server = createServer({
    port,
    auth: { provider },
    allowedOrigins: ['https://app.example'],
    cors: { allowOrigin: '*' },
    createMcpServer: () => whoamiServer(),
  });
  await server.listen();
  token = await das.getToken({ resource, scope: 'mcp:read' });
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await das?.stop();
});

describe('Origin and Host on every endpoint', () => {
  it.each(PATHS)(
    '%s %s: a foreign Origin gets 403 (cors allowOrigin "*" does not widen it)',
    async (method, path) => {
      const res = await send(method, path, { origin: 'https://evil.example' });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toEqual({
        error: 'forbidden',
        error_description: 'Origin not allowed',
      });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    },
  );

  it.each(PATHS)('%s %s: a rebinding Host gets 403', async (method, path) => {
    const res = await send(method, path, { host: `attacker.example:${port}` });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error_description).toBe('Host not allowed');
  });

  it.each([
    ['a loopback alias of the resource host', 'localhost'],
    ['[::1]', '[::1]'],
  ])('%s with the resource port is served', async (_name, host) => {
    const res = await send('GET', '/health', { host: `${host}:${port}` });
    expect(res.status).toBe(200);
  });

  it.each([
    ['127.1 (a lenient parser calls it loopback)', '127.1'],
    ['0x7f.0.0.1', '0x7f.0.0.1'],
    ['localhost on another port', 'localhost:1'],
  ])('%s is refused', async (_name, host) => {
    const res = await send('GET', '/health', {
      host: host.includes(':') ? host : `${host}:${port}`,
    });
    expect(res.status).toBe(403);
  });

  it('two Host headers are refused', async () => {
    const head = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`,
        );
      });
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        data += chunk;
      });
      socket.on('end', () => resolve(data.split('\r\n')[0]!));
      socket.on('error', reject);
    });
    expect(head).toBe('HTTP/1.1 403 Forbidden');
  });

  it.each([
    ['a listed origin', 'https://app.example'],
    ['a loopback origin (local server)', 'http://localhost:5173'],
  ])('%s is served, with CORS headers', async (_name, origin) => {
    const res = await send('POST', '/mcp', {
      origin,
    });
    expect(res.status).not.toBe(403);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('no Origin at all (not a browser) is served', async () => {
    const res = await send('GET', '/health', {});
    expect(res.status).toBe(200);
  });
});
