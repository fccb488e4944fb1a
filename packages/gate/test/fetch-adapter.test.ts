import { describe, expect, it } from 'vitest';
import { withMcpAuth } from '../src/fetch.js';
import { createGate } from '../src/gate.js';
import { fakeValidator } from './fake-validator.js';

/** The fetch adapter's own behaviour, called directly with Fetch Requests. */
const gate = createGate({ validator: fakeValidator(), maxBodyBytes: 1024 });
const URL_ = 'https://mcp.example.com/mcp';
const post = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
  new Request(URL_, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer u1', ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);

describe('@mcp-auth/gate/fetch', () => {
  it('hands the handler a readable body, the auth and the parsed body; adds CORS to immutable responses', async () => {
    const handler = withMcpAuth(gate, async (request, ctx) => {
      const text = await request.text();
      expect(JSON.parse(text)).toEqual(ctx.body);
      expect(ctx.auth.extra?.subject).toBe('u1');
      expect(ctx.messages).toHaveLength(1);
      return Response.redirect('https://mcp.example.com/elsewhere', 302); // immutable headers
    });
    const r = await handler(
      post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { origin: 'https://mcp.example.com' }),
    );
    expect(r.status).toBe(302);
    expect(r.headers.get('access-control-allow-origin')).toBe('https://mcp.example.com');
    expect(r.headers.get('access-control-expose-headers')).toBe(
      'WWW-Authenticate, Mcp-Session-Id, Retry-After, DPoP-Nonce',
    );
    expect(r.headers.get('location')).toBe('https://mcp.example.com/elsewhere');
  });

  it('413 for a body over maxBodyBytes (declared or streamed), handler not called', async () => {
    let calls = 0;
    const handler = withMcpAuth(gate, () => {
      calls++;
      return new Response('x');
    });
    const big = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"${'a'.repeat(2000)}"}}`;
    expect((await handler(post(big))).status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new TextEncoder().encode('a'.repeat(400)));
        c.close();
      },
    });
    const r = await handler(post(stream));
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: { code: number } }).error.code).toBe(-32600);
    expect(calls).toBe(0);
  });

  it('408 for a body that does not arrive in time', async () => {
    const handler = withMcpAuth(gate, () => new Response('x'), { bodyTimeoutMs: 100 });
    const never = new ReadableStream<Uint8Array>({ start() {} });
    const r = await handler(post(never));
    expect(r.status).toBe(408);
  });

  it('answers 404 outside the endpoint, 204 without a body for preflights, 403 for a hostile host', async () => {
    const handler = withMcpAuth(gate, () => new Response('x'));
    expect((await handler(new Request('https://mcp.example.com/other'))).status).toBe(404);
    const pre = await handler(
      new Request(URL_, { method: 'OPTIONS', headers: { origin: 'https://mcp.example.com' } }),
    );
    expect(pre.status).toBe(204);
    expect(await pre.text()).toBe('');
    expect((await handler(new Request('https://evil.example/mcp'))).status).toBe(403);
    const head = await handler(
      new Request('https://mcp.example.com/.well-known/oauth-protected-resource', {
        method: 'HEAD',
      }),
    );
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toMatch(/^\d+$/);
  });

  it('binds a session the handler issues before returning its response', async () => {
    const handler = withMcpAuth(
      gate,
      () => new Response('{}', { headers: { 'mcp-session-id': 'f1' } }),
    );
    await handler(post('{"jsonrpc":"2.0","id":1,"method":"initialize"}'));
    const other = await gate.check({
      method: 'POST',
      url: URL_,
      headers: new Headers({ authorization: 'Bearer u2', 'mcp-session-id': 'f1' }),
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(other).toMatchObject({ kind: 'respond', status: 403, reason: 'session_forbidden' });
  });

  it('answers 500 (fail closed) when the validator throws something unexpected', async () => {
    const broken = createGate({
      validator: { ...fakeValidator(), authenticate: () => Promise.reject(new Error('bug')) },
    });
    let calls = 0;
    const handler = withMcpAuth(broken, () => {
      calls++;
      return new Response('x');
    });
    const r = await handler(post('{"jsonrpc":"2.0","id":1,"method":"ping"}'));
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({
      error: 'server_error',
      error_description: 'Internal Server Error',
    });
    expect(calls).toBe(0);
  });

  it('refuses bad arguments', () => {
    expect(() => withMcpAuth({} as never, () => new Response())).toThrow('"gate"');
    expect(() => withMcpAuth(gate, 1 as never)).toThrow('"handler"');
    expect(() => withMcpAuth(gate, () => new Response(), { bodyTimeoutMs: -1 })).toThrow(
      '"bodyTimeoutMs"',
    );
  });
});
