import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenValidationError } from '@mcp-auth/validator';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolScopeGate } from './scope-gate.js';

const METADATA = 'http://127.0.0.1/.well-known/oauth-protected-resource/sse';
const TOKENS: Record<string, string[]> = {
  'Bearer base': ['mcp:tools'],
  'Bearer admin': ['mcp:tools', 'mcp:admin'],
};

/** A provider that knows two tokens, and renders failures the way the transport's does. */
const provider = {
  async authenticate(req: IncomingMessage) {
    const scopes = TOKENS[req.headers.authorization ?? ''];
    if (!scopes) throw new TokenValidationError('ERR_TOKEN_MALFORMED', 'bad token');
    return { token: 'x', clientId: 'c', scopes };
  },
  getAuthError(error: unknown) {
    const r = (error as TokenValidationError).toResponse({ resourceMetadata: METADATA });
    return { status: r.status, headers: r.headers, body: r.body };
  },
};

describe('createToolScopeGate', () => {
  let server: Server;
  let url: string;
  const seen: { url: string; body: string }[] = [];

  beforeAll(async () => {
    // The "transport": records what reaches it, body included.
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(202).end('Accepted');
      });
    };
    const gate = createToolScopeGate({
      handler,
      provider,
      requiredScopes: ['mcp:tools'],
      toolScopes: { server_stats: ['mcp:admin'], open_tool: [] },
      maxMessageBytes: 1024,
      headers: () => ({ 'access-control-allow-origin': '*' }),
    });
    server = createServer(gate);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const call = (name: string, id = 1) =>
    JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });
  const post = (body: string, auth = 'Bearer base', path = '/messages?sessionId=s1') =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body,
    });

  it('refuses a gated tool without its scope: 403 insufficient_scope listing every scope needed', async () => {
    const before = seen.length;
    const res = await post(call('server_stats'));
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="mcp:tools mcp:admin"');
    expect(challenge).toContain(`resource_metadata="${METADATA}"`);
    expect(await res.json()).toMatchObject({ error: 'insufficient_scope' });
    expect(seen.length).toBe(before); // nothing reached the MCP server
  });

  it('refuses a batch that contains a gated call', async () => {
    const res = await post(`[${call('echo', 1)},${call('server_stats', 2)}]`);
    expect(res.status).toBe(403);
  });

  it.each([
    ['a gated tool with its scope', call('server_stats'), 'Bearer admin'],
    ['another tool', call('echo'), 'Bearer base'],
    ['a tool with an empty rule', call('open_tool'), 'Bearer base'],
    [
      'another method',
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      'Bearer base',
    ],
    ['invalid JSON (the transport answers it)', '{not json', 'Bearer base'],
    ['an unknown token (the transport answers 401)', call('server_stats'), 'Bearer nope'],
  ])('passes %s through with the body intact', async (_name, body, auth) => {
    const res = await post(body, auth);
    expect(res.status).toBe(202);
    expect(seen.at(-1)).toEqual({ url: '/messages?sessionId=s1', body });
  });

  it('leaves other paths and methods alone', async () => {
    const res = await post(call('server_stats'), 'Bearer base', '/other');
    expect(res.status).toBe(202);
    const get = await fetch(`${url}/messages`);
    expect(get.status).toBe(202);
  });

  it('passes an announced oversized body to the transport unread (it answers 413)', async () => {
    const body = call('x'.repeat(2000));
    const res = await post(body);
    expect(res.status).toBe(202);
    expect(seen.at(-1)?.body).toBe(body);
  });

  it('passes any other body through byte for byte (property)', async () => {
    const bodies = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      fc
        .record({
          jsonrpc: fc.constant('2.0'),
          id: fc.integer(),
          method: fc.constantFrom('tools/call', 'tools/list', 'ping'),
          params: fc.record({ name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }),
        })
        .map((m) => JSON.stringify(m)),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        if (Buffer.byteLength(body) > 1024) return;
        let gated = false;
        try {
          const parsed = JSON.parse(body);
          gated = [parsed]
            .flat()
            .some((m) => m?.method === 'tools/call' && m?.params?.name === 'server_stats');
        } catch {
          gated = false;
        }
        const res = await post(body);
        if (gated) {
          expect(res.status).toBe(403);
        } else {
          expect(res.status).toBe(202);
          expect(seen.at(-1)?.body).toBe(body);
        }
        await res.body?.cancel();
      }),
      { numRuns: 150 },
    );
  });

  it('answers 413 to a chunked body over the limit', async () => {
    const big = call('y'.repeat(4000));
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const res = await fetch(`${url}/messages?sessionId=s1`, {
      method: 'POST',
      headers: { authorization: 'Bearer base', 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });
});
