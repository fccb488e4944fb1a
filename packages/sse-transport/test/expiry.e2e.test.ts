/**
 * Real short-lived tokens: a stream ends when its token expires, and the expired token is refused
 * on the next POST; a client that keeps presenting fresh tokens keeps its stream.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import { openStream, postMessage } from './helpers.js';

let das: DevAuthServer;
let provider: OAuthProvider;
let server: SseServer;
let base: string;

beforeAll(async () => {
  const port = await getFreePort();
  base = `http://127.0.0.1:${port}`;
  das = await startAuthServer({
    resources: [{ uri: `${base}/sse`, scopes: ['mcp:read'], accessTokenTtlSeconds: 3 }],
  });
  provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: `${base}/sse`,
    requiredScopes: ['mcp:read'],
    allowInsecureHttpForLoopback: true,
    validator: { jwt: { clockToleranceSeconds: 0 } },
  });
  server = createServer({
    port,
    keepAliveMs: 100,
    auth: { provider },
    createMcpServer: () => new McpServer({ name: 'exp', version: '1' }),
  });
  await server.listen();
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await das?.stop();
});

describe('token expiry', () => {
  it('ends the stream at exp and refuses the expired token afterwards', async () => {
    const token = await das.getToken({ resource: `${base}/sse`, scope: 'mcp:read' });
    const stream = await openStream(`${base}/sse`, { authorization: `Bearer ${token}` });
    const ok = await postMessage(
      base,
      stream.endpoint!,
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { authorization: `Bearer ${token}` },
    );
    expect(ok.status).toBe(202);
    const started = Date.now();
    await stream.closed;
    expect(Date.now() - started).toBeLessThan(5000);
    const late = await postMessage(
      base,
      stream.endpoint!,
      { jsonrpc: '2.0', id: 2, method: 'ping' },
      { authorization: `Bearer ${token}` },
    );
    expect(late.status).toBe(401);
    expect(late.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(server.handler.sessionCount).toBe(0);
  });

  it('keeps the stream while the client presents fresh tokens of the same principal', async () => {
    const exp = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    const sleepUntil = (seconds: number) =>
      new Promise((r) => setTimeout(r, Math.max(0, seconds * 1000 - Date.now())));
    const first = await das.getToken({ resource: `${base}/sse`, scope: 'mcp:read' });
    const stream = await openStream(`${base}/sse`, { authorization: `Bearer ${first}` });
    // A fresh token issued in the first one's last second expires at least 2 s after it.
    await sleepUntil(exp(first) - 0.9);
    const fresh = await das.getToken({ resource: `${base}/sse`, scope: 'mcp:read' });
    expect(exp(fresh)).toBeGreaterThanOrEqual(exp(first) + 2);
    const res = await postMessage(
      base,
      stream.endpoint!,
      { jsonrpc: '2.0', id: 'f', method: 'ping' },
      { authorization: `Bearer ${fresh}` },
    );
    expect(res.status).toBe(202);
    // Past the first token's exp (plus a few expiry ticks), the stream is still there.
    await sleepUntil(exp(first) + 0.5);
    expect(server.handler.sessionCount).toBe(1);
    expect(JSON.parse((await stream.next('message')).data).id).toBe('f');
    stream.close();
  });
});
