/**
 * Per-message scopes (`auth.toolScopes`, `auth.scopesFor`) end to end: real tokens from the local
 * authorization server (authorization code + PKCE), the real OAuthProvider and validator, the
 * official SDK's McpServer behind our transport. A tool that needs more than the required scopes is
 * refused with 403 insufficient_scope before it reaches the MCP server; the same user steps up
 * (a new token with the extra scope) and continues on the same session.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import { type OpenStream, openStream, postMessage, type RawResponse } from './helpers.js';

let das: DevAuthServer;
let provider: OAuthProvider;
let server: SseServer;
let base: string;
let prmUrl: string;
/** alice, mcp:read only (the required scope). */
let readOnly: string;
/** alice, mcp:read + mcp:admin. */
let admin: string;
/** alice, mcp:read + mcp:admin + mcp:audit. */
let full: string;
/** Every tool handler invocation, in order: proves what reached the MCP server. */
const calls: string[] = [];

function toolServer(): McpServer {
  const mcp = new McpServer({ name: 'tool-scopes', version: '1.0.0' });
  const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
  mcp.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text: t }) => {
    calls.push('echo');
    return text(t);
  });
  mcp.registerTool('server_stats', {}, async (extra) => {
    calls.push('server_stats');
    return text(JSON.stringify({ scopes: extra.authInfo?.scopes }));
  });
  mcp.registerTool('audit_log', {}, async () => {
    calls.push('audit_log');
    return text('audit');
  });
  mcp.registerResource('secrets', 'secret://vault', {}, async (uri) => {
    calls.push('secrets');
    return { contents: [{ uri: uri.href, text: 'the vault' }] };
  });
  return mcp;
}

const WWW = (scope: string) =>
  `Bearer error="insufficient_scope", scope="${scope}", resource_metadata="${prmUrl}", error_description="The token lacks a required scope"`;
const BODY = { error: 'insufficient_scope', error_description: 'The token lacks a required scope' };

beforeAll(async () => {
  const port = await getFreePort();
  base = `http://127.0.0.1:${port}`;
  const resource = `${base}/sse`;
  prmUrl = `${base}/.well-known/oauth-protected-resource/sse`;
  das = await startAuthServer({
    resources: [{ uri: resource, scopes: ['mcp:read', 'mcp:admin', 'mcp:audit'] }],
    users: [{ sub: 'alice', password: 'alice-pw', email: 'alice@example.com' }],
  });
  provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: resource,
    requiredScopes: ['mcp:read'],
    allowInsecureHttpForLoopback: true,
  });
  server = createServer({
    port,
    allowedOrigins: ['https://app.example.com'],
    auth: {
      provider,
      toolScopes: { server_stats: ['mcp:admin'], audit_log: ['mcp:audit'], echo: [] },
      // A rule toolScopes cannot express: reading the vault resource needs mcp:audit.
      scopesFor: (message) =>
        'method' in message &&
        message.method === 'resources/read' &&
        (message.params as Record<string, unknown> | undefined)?.['uri'] === 'secret://vault'
          ? ['mcp:audit']
          : undefined,
    },
    createMcpServer: toolServer,
  });
  await server.listen();
  const flow = (scope: string) =>
    das.authorizationCodeFlow({ resource, user: 'alice', scope }).then((t) => t.access_token);
  [readOnly, admin, full] = await Promise.all([
    flow('mcp:read'),
    flow('mcp:read mcp:admin'),
    flow('mcp:read mcp:admin mcp:audit'),
  ]);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await das?.stop();
});

beforeEach(() => {
  calls.length = 0;
});

/** An initialized MCP session on a raw stream (so every POST's status can be asserted). */
async function session(token: string): Promise<OpenStream> {
  const stream = await openStream(`${base}/sse`, { authorization: `Bearer ${token}` });
  expect(stream.status).toBe(200);
  const init = await post(stream, token, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    },
  });
  expect(init.status).toBe(202);
  await stream.next();
  expect(
    (await post(stream, token, { jsonrpc: '2.0', method: 'notifications/initialized' })).status,
  ).toBe(202);
  return stream;
}

function post(
  stream: OpenStream,
  token: string,
  message: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return postMessage(base, stream.endpoint!, message, {
    authorization: `Bearer ${token}`,
    ...headers,
  });
}

const call = (id: number, name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

/** The JSON-RPC responses that arrive on the stream within a short wait. */
async function responses(stream: OpenStream, count: number): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) out.push(JSON.parse((await stream.next()).data));
  return out;
}

describe('auth.toolScopes with real tokens', () => {
  it('refuses a gated tool without its scope: exact 403, nothing delivered', async () => {
    const stream = await session(readOnly);
    try {
      const res = await post(stream, readOnly, call(1, 'server_stats'), {
        origin: 'https://app.example.com',
      });
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toBe(WWW('mcp:read mcp:admin'));
      expect(JSON.parse(res.body)).toEqual(BODY);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      // A browser client can read the challenge.
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(res.headers['access-control-expose-headers']).toContain('WWW-Authenticate');
      // The tool handler never ran and no response for id 1 was sent on the stream.
      await expect(stream.next('message', 300)).rejects.toThrow(/no message event/);
      expect(calls).toEqual([]);
      // The session is intact: an allowed call still works.
      expect((await post(stream, readOnly, call(2, 'echo', { text: 'hi' }))).status).toBe(202);
      const [answer] = await responses(stream, 1);
      expect(answer).toMatchObject({ id: 2, result: { content: [{ text: 'hi' }] } });
      expect(calls).toEqual(['echo']);
    } finally {
      stream.close();
    }
  });

  it.each([
    ['an ungated tool', 'echo', { text: 'x' }],
    ['a tool listed with no extra scope', 'echo', { text: 'y' }],
  ])('passes %s with the required scopes only', async (_name, tool, args) => {
    const stream = await session(readOnly);
    try {
      expect((await post(stream, readOnly, call(5, tool, args))).status).toBe(202);
      const [answer] = await responses(stream, 1);
      expect(answer).toMatchObject({ id: 5, result: { content: [{ text: args.text }] } });
      expect(calls).toEqual([tool]);
    } finally {
      stream.close();
    }
  });

  it('passes other methods (tools/list) without extra scopes', async () => {
    const stream = await session(readOnly);
    try {
      const res = await post(stream, readOnly, { jsonrpc: '2.0', id: 3, method: 'tools/list' });
      expect(res.status).toBe(202);
      const [answer] = await responses(stream, 1);
      const names = (answer!['result'] as { tools: { name: string }[] }).tools.map((t) => t.name);
      expect(names.sort()).toEqual(['audit_log', 'echo', 'server_stats']);
    } finally {
      stream.close();
    }
  });

  it('lets a token with the extra scope call the gated tool; a stepped-up token continues the same session', async () => {
    const stream = await session(readOnly);
    try {
      expect((await post(stream, readOnly, call(1, 'server_stats'))).status).toBe(403);
      // Step-up: the same user, a new token with mcp:admin, on the same session.
      expect((await post(stream, admin, call(2, 'server_stats'))).status).toBe(202);
      const [answer] = await responses(stream, 1);
      expect(answer!['id']).toBe(2);
      const content = (answer!['result'] as { content: { text: string }[] }).content[0]!.text;
      expect(JSON.parse(content).scopes.sort()).toEqual(['mcp:admin', 'mcp:read']);
      expect(calls).toEqual(['server_stats']);
    } finally {
      stream.close();
    }
  });

  it.each([
    [
      'read only',
      () => readOnly,
      [call(1, 'audit_log'), call(2, 'server_stats'), call(3, 'echo', { text: 'e' })],
      'mcp:read mcp:audit mcp:admin',
    ],
    [
      'admin (lacks mcp:audit)',
      () => admin,
      [call(1, 'server_stats'), call(2, 'echo', { text: 'e' }), call(3, 'audit_log')],
      'mcp:read mcp:admin mcp:audit',
    ],
    [
      'admin, a batch of the same gated tool twice plus the vault (scopesFor)',
      () => admin,
      [
        call(1, 'server_stats'),
        call(2, 'server_stats'),
        { jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri: 'secret://vault' } },
      ],
      'mcp:read mcp:admin mcp:audit',
    ],
  ])(
    'refuses a batch for %s with the union of its scopes; nothing of it is delivered',
    async (_name, token, batch, scope) => {
      const stream = await session(token());
      try {
        const res = await post(stream, token(), batch);
        expect(res.status).toBe(403);
        expect(res.headers['www-authenticate']).toBe(WWW(scope));
        expect(JSON.parse(res.body)).toEqual(BODY);
        await expect(stream.next('message', 300)).rejects.toThrow(/no message event/);
        expect(calls).toEqual([]);
      } finally {
        stream.close();
      }
    },
  );

  it('delivers a batch whose union the token carries, every message, in order', async () => {
    const stream = await session(full);
    try {
      const batch = [
        call(1, 'audit_log'),
        call(2, 'server_stats'),
        call(3, 'echo', { text: 'e' }),
        { jsonrpc: '2.0', id: 4, method: 'resources/read', params: { uri: 'secret://vault' } },
      ];
      expect((await post(stream, full, batch)).status).toBe(202);
      const answers = await responses(stream, 4);
      expect(answers.map((a) => a['id']).sort()).toEqual([1, 2, 3, 4]);
      expect(answers.every((a) => a['error'] === undefined)).toBe(true);
      expect(calls.sort()).toEqual(['audit_log', 'echo', 'secrets', 'server_stats']);
    } finally {
      stream.close();
    }
  });

  it('gates a non-tool method through scopesFor: 403 without the scope, delivered with it', async () => {
    const read = {
      jsonrpc: '2.0',
      id: 9,
      method: 'resources/read',
      params: { uri: 'secret://vault' },
    };
    const stream = await session(admin);
    try {
      const refused = await post(stream, admin, read);
      expect(refused.status).toBe(403);
      expect(refused.headers['www-authenticate']).toBe(WWW('mcp:read mcp:audit'));
      expect(calls).toEqual([]);
      expect((await post(stream, full, read)).status).toBe(202);
      const [answer] = await responses(stream, 1);
      expect(answer).toMatchObject({ id: 9, result: { contents: [{ text: 'the vault' }] } });
      expect(calls).toEqual(['secrets']);
    } finally {
      stream.close();
    }
  });

  it('an SDK client gets an error (HTTP 403) for the gated tool and a result for the others', async () => {
    const client = new Client({ name: 'sdk', version: '1.0.0' });
    const transport = new SSEClientTransport(new URL(`${base}/sse`), {
      requestInit: { headers: { authorization: `Bearer ${readOnly}` } },
      eventSourceInit: {
        fetch: (url, init) =>
          fetch(url, {
            ...init,
            headers: { ...(init?.headers as object), authorization: `Bearer ${readOnly}` },
          }),
      },
    });
    await client.connect(transport);
    try {
      await expect(client.callTool({ name: 'server_stats', arguments: {} })).rejects.toThrow(/403/);
      expect(calls).toEqual([]);
      const ok = await client.callTool({ name: 'echo', arguments: { text: 'sdk' } });
      expect(ok.content).toEqual([{ type: 'text', text: 'sdk' }]);
    } finally {
      await client.close();
    }
  });
});
