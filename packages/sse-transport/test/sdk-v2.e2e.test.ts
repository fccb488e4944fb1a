/**
 * The v2 SDK line (`@modelcontextprotocol/server` / `/client` 2.x) end to end with real tokens:
 * a v2 `McpServer` behind our server unchanged, a v2 `Client` negotiating down to the session
 * revisions, and revision 2026-07-28 through the v2 SDK's `createMcpHandler` as the modern handler.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import { rawRequest } from './helpers.js';

let das: DevAuthServer;
const seen: { era: string; subject: unknown }[] = [];

/** One server under test: its URL, provider and tokens (each on its own port: no pooled sockets). */
interface Target {
  url: string;
  port: number;
  provider: OAuthProvider;
  server: SseServer;
  tokens: Record<'alice' | 'bob', string>;
}
let sessions: Target;
let modern: Target;

function v2Server(era: string): McpServer {
  const mcp = new McpServer({ name: 'v2', version: '2.0.0' });
  mcp.registerTool('whoami', { description: 'Who is calling' }, async (ctx) => {
    const subject = ctx.http?.authInfo?.extra?.['subject'];
    seen.push({ era, subject });
    return { content: [{ type: 'text', text: String(subject) }] };
  });
  return mcp;
}

async function target(port: number, withModern: boolean): Promise<Target> {
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
    createMcpServer: () => v2Server('session'),
    streamableHttp: withModern
      ? { modern: createMcpHandler(() => v2Server('modern'), { legacy: 'reject' }) }
      : {},
  });
  await server.listen();
  const [alice, bob] = await Promise.all(
    ['alice', 'bob'].map((user) =>
      das
        .authorizationCodeFlow({ resource: url, user, scope: 'mcp:read' })
        .then((t) => t.access_token),
    ),
  );
  return { url, port, provider, server, tokens: { alice: alice!, bob: bob! } };
}

async function whoami(
  url: string,
  token: string,
): Promise<{ text: string; version: string | undefined }> {
  // 'auto': probe with server/discover (2026-07-28), fall back to initialize when not offered.
  const client = new Client(
    { name: 'e2e-v2', version: '1.0.0' },
    { versionNegotiation: { mode: 'auto' } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    return {
      text: (result.content as unknown as [{ text: string }])[0].text,
      version: client.getNegotiatedProtocolVersion?.(),
    };
  } finally {
    await client.close();
  }
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
  sessions = await target(a, false);
  modern = await target(b, true);
});

afterAll(async () => {
  for (const t of [sessions, modern]) {
    await t?.server.close();
    await t?.provider.close();
  }
  await das?.stop();
});

describe('SDK v2 over Streamable HTTP', () => {
  it('a v2 McpServer behind the session transport; a v2 Client probing 2026-07-28 falls back to 2025-11-25', async () => {
    seen.length = 0;
    const result = await whoami(sessions.url, sessions.tokens.alice);
    expect(result.text).toBe('alice');
    expect(result.version).toBe('2025-11-25');
    expect(seen).toEqual([{ era: 'session', subject: 'alice' }]);
  });

  it('revision 2026-07-28 through the v2 createMcpHandler, authorized by us on every request', async () => {
    seen.length = 0;
    const a = await whoami(modern.url, modern.tokens.alice);
    const b = await whoami(modern.url, modern.tokens.bob);
    expect(a).toEqual({ text: 'alice', version: '2026-07-28' });
    expect(b).toEqual({ text: 'bob', version: '2026-07-28' });
    expect(seen).toEqual([
      { era: 'modern', subject: 'alice' },
      { era: 'modern', subject: 'bob' },
    ]);
  });

  it('a 2026-07-28 request without a token never reaches the modern handler: 401 with the challenge', async () => {
    seen.length = 0;
    const res = await rawRequest(modern.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'whoami',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: {
          name: 'whoami',
          arguments: {},
          _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' },
        },
      }),
    });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer scope="mcp:read", resource_metadata="http://127.0.0.1:${modern.port}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(seen).toEqual([]);
  });
});
