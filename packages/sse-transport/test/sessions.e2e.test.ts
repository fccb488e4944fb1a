/**
 * 1,000 concurrent SSE sessions with real tokens, on loopback, bounded by maxSessions.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import { type OpenStream, openStream, postMessage } from './helpers.js';

const SESSIONS = 1000;
let das: DevAuthServer;
let provider: OAuthProvider;
let server: SseServer;
let base: string;
let tokens: string[];

beforeAll(async () => {
  const port = await getFreePort();
  base = `http://127.0.0.1:${port}`;
  das = await startAuthServer({
    resources: [{ uri: `${base}/sse`, scopes: ['mcp:read'] }],
    users: [
      { sub: 'u1', password: 'p' },
      { sub: 'u2', password: 'p' },
    ],
  });
  provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: `${base}/sse`,
    requiredScopes: ['mcp:read'],
    allowInsecureHttpForLoopback: true,
  });
  server = createServer({
    port,
    auth: { provider },
    maxSessions: SESSIONS,
    maxSessionsPerPrincipal: SESSIONS,
    createMcpServer: () => new McpServer({ name: 'load', version: '1.0.0' }),
  });
  await server.listen();
  tokens = await Promise.all([
    das
      .authorizationCodeFlow({ resource: `${base}/sse`, user: 'u1', scope: 'mcp:read' })
      .then((t) => t.access_token),
    das
      .authorizationCodeFlow({ resource: `${base}/sse`, user: 'u2', scope: 'mcp:read' })
      .then((t) => t.access_token),
    das.getToken({ resource: `${base}/sse`, scope: 'mcp:read' }),
  ]);
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await das?.stop();
});

describe(`${SESSIONS} concurrent sessions`, () => {
  it('opens them all, answers on each, refuses one more with 503, and frees them on disconnect', async () => {
    const streams: OpenStream[] = [];
    try {
      for (let i = 0; i < SESSIONS; i += 100) {
        const batch = await Promise.all(
          Array.from({ length: 100 }, (_, j) =>
            openStream(`${base}/sse`, {
              authorization: `Bearer ${tokens[(i + j) % tokens.length]}`,
            }),
          ),
        );
        streams.push(...batch);
      }
      expect(streams.every((s) => s.status === 200)).toBe(true);
      expect(new Set(streams.map((s) => s.sessionId)).size).toBe(SESSIONS);
      expect(server.handler.sessionCount).toBe(SESSIONS);

      const extra = await openStream(`${base}/sse`, { authorization: `Bearer ${tokens[0]}` });
      expect(extra.status).toBe(503);
      expect(extra.headers['retry-after']).toBe('5');

      // Every 10th session gets a ping through, with its own token, and the reply on its own stream.
      const sample = streams.filter((_, i) => i % 10 === 0);
      const replies = await Promise.all(
        sample.map(async (s, k) => {
          const i = k * 10;
          const res = await postMessage(
            base,
            s.endpoint!,
            { jsonrpc: '2.0', id: `p${i}`, method: 'ping' },
            { authorization: `Bearer ${tokens[i % tokens.length]}` },
          );
          expect(res.status).toBe(202);
          return JSON.parse((await s.next('message')).data).id;
        }),
      );
      expect(replies).toEqual(sample.map((_, k) => `p${k * 10}`));
    } finally {
      for (const s of streams) s.close();
      await Promise.all(streams.map((s) => s.closed));
    }
    await expect.poll(() => server.handler.sessionCount, { timeout: 10_000 }).toBe(0);
    const again = await openStream(`${base}/sse`, { authorization: `Bearer ${tokens[0]}` });
    expect(again.status).toBe(200);
    again.close();
  }, 60_000);
});
