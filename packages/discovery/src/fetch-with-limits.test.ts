import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { startHttpServer, type TestHttpServer } from '@mcp-auth/test-utils';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchWithLimits } from './fetch-with-limits.js';

const servers: TestHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function serve(handler: Parameters<typeof startHttpServer>[0]): Promise<TestHttpServer> {
  const server = await startHttpServer(handler);
  servers.push(server);
  return server;
}

function json(res: ServerResponse, body: unknown, status = 200, type = 'application/json') {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const base = { timeoutMs: 2000, maxBytes: 1024, allowInsecureHttpForLoopback: true };

describe('fetchWithLimits', () => {
  it('a GET whose connection the server closed without an answer is retried once, on a new connection', async () => {
    let requests = 0;
    const server = await serve((req, res) => {
      requests++;
      if (requests === 1)
        req.socket.destroy(); // what a reused keep-alive socket looks like
      else json(res, { ok: true });
    });
    const res = await fetchWithLimits(`${server.url}/doc`, base);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
    expect(requests).toBe(2);
  });

  it('only once: a GET whose connection is closed twice fails with ERR_NETWORK', async () => {
    let requests = 0;
    const server = await serve((req) => {
      requests++;
      req.socket.destroy();
    });
    await expect(fetchWithLimits(`${server.url}/doc`, base)).rejects.toMatchObject({
      code: 'ERR_NETWORK',
    });
    expect(requests).toBe(2);
  });

  it('never for a POST (not idempotent): ERR_NETWORK after one request', async () => {
    let requests = 0;
    const server = await serve((req) => {
      requests++;
      req.socket.destroy();
    });
    await expect(
      fetchWithLimits(`${server.url}/doc`, { ...base, init: { method: 'POST', body: 'x=1' } }),
    ).rejects.toMatchObject({ code: 'ERR_NETWORK' });
    expect(requests).toBe(1);
  });

  it('returns status, headers, body and url', async () => {
    const server = await serve((_req, res) => json(res, { ok: true }));
    const res = await fetchWithLimits(`${server.url}/doc`, { ...base, accept: 'application/json' });
    expect(res).toMatchObject({
      status: 200,
      body: '{"ok":true}',
      url: `${server.url}/doc`,
      urls: [`${server.url}/doc`],
    });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers.accept).toBe('application/json');
  });

  it('returns HTTP error statuses without throwing, whatever their content type', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>nope</h1>');
    });
    const res = await fetchWithLimits(server.url, { ...base, accept: 'application/json' });
    expect(res.status).toBe(404);
    expect(res.body).toBe('<h1>nope</h1>');
  });

  it('sends method, headers and body from init', async () => {
    let received = '';
    const server = await serve(async (req, res) => {
      for await (const chunk of req) received += chunk;
      json(res, { active: false });
    });
    await fetchWithLimits(server.url, {
      ...base,
      init: {
        method: 'POST',
        headers: {
          authorization: 'Basic abc',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'token=x',
      },
    });
    expect(server.requests[0]).toMatchObject({ method: 'POST' });
    expect(server.requests[0]!.headers.authorization).toBe('Basic abc');
    expect(received).toBe('token=x');
  });

  it('keeps an explicit Accept header', async () => {
    const server = await serve((_req, res) => json(res, {}));
    await fetchWithLimits(server.url, {
      ...base,
      accept: 'application/json',
      init: { headers: { accept: 'application/jwk-set+json, application/json' } },
    });
    expect(server.requests[0]!.headers.accept).toBe('application/jwk-set+json, application/json');
  });

  describe('content type', () => {
    it.each([
      ['application/json', true],
      ['application/json; charset=utf-8', true],
      ['Application/JSON;charset=UTF-8', true],
      ['text/html', false],
      ['text/plain', false],
      ['application/jsonp', false],
      ['', false],
    ])('%s accepted: %s', async (type, accepted) => {
      const server = await serve((_req, res) => {
        if (type) res.setHeader('content-type', type);
        res.end('{}');
      });
      const promise = fetchWithLimits(server.url, { ...base, accept: 'application/json' });
      if (accepted) await expect(promise).resolves.toMatchObject({ body: '{}' });
      else
        await expect(promise).rejects.toMatchObject({
          code: 'ERR_CONTENT_TYPE',
          url: `${server.url}/`,
          status: 200,
        });
    });

    it('accepts any of several media types', async () => {
      const server = await serve((_req, res) => json(res, {}, 200, 'application/jwk-set+json'));
      await expect(
        fetchWithLimits(server.url, {
          ...base,
          accept: ['application/json', 'application/jwk-set+json'],
        }),
      ).resolves.toMatchObject({ status: 200 });
      expect(server.requests[0]!.headers.accept).toBe('application/json, application/jwk-set+json');
    });
  });

  describe('size limit', () => {
    it('accepts a body of exactly maxBytes', async () => {
      const server = await serve((_req, res) => void res.end('x'.repeat(1024)));
      await expect(fetchWithLimits(server.url, base)).resolves.toMatchObject({ status: 200 });
    });

    it('refuses a declared Content-Length above maxBytes before reading', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-length': '1025' });
        res.end('x'.repeat(1025));
      });
      await expect(fetchWithLimits(server.url, base)).rejects.toMatchObject({
        code: 'ERR_RESPONSE_TOO_LARGE',
        status: 200,
        message: `${server.url}/ declared 1025 bytes, more than the limit of 1024`,
      });
    });

    it('stops reading a chunked body that passes maxBytes, without waiting for its end', async () => {
      let closed = false;
      const server = await serve((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('x'.repeat(800));
        res.write('x'.repeat(800));
        // Never ends: an endless stream must not hold the client.
        req.socket.on('close', () => {
          closed = true;
        });
      });
      const started = Date.now();
      await expect(
        fetchWithLimits(server.url, { ...base, timeoutMs: 10_000 }),
      ).rejects.toMatchObject({ code: 'ERR_RESPONSE_TOO_LARGE', status: 200 });
      expect(Date.now() - started).toBeLessThan(2000);
      await expect.poll(() => closed).toBe(true);
    });

    it('bounds memory on a huge body (reads at most one chunk past the limit)', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200);
        const chunk = 'y'.repeat(64 * 1024);
        let sent = 0;
        const pump = () => {
          while (sent < 50 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      });
      await expect(
        fetchWithLimits(server.url, { ...base, maxBytes: 64 * 1024 }),
      ).rejects.toMatchObject({ code: 'ERR_RESPONSE_TOO_LARGE' });
    });
  });

  describe('compressed bodies', () => {
    it('counts decompressed bytes: a gzip bomb is cut off at maxBytes', async () => {
      const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)); // ~50 KB on the wire, 50 MB inflated
      expect(bomb.length).toBeLessThan(100 * 1024);
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(bomb);
      });
      await expect(
        fetchWithLimits(server.url, { ...base, maxBytes: 64 * 1024 }),
      ).rejects.toMatchObject({ code: 'ERR_RESPONSE_TOO_LARGE' });
    });

    it('reads a small gzip body', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync('{"ok":true}'));
      });
      await expect(fetchWithLimits(server.url, base)).resolves.toMatchObject({
        body: '{"ok":true}',
      });
    });
  });

  it('accepts a body that trickles in within the deadline', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const parts = ['{"a"', ':', '1', '}'];
      const timer = setInterval(() => {
        const part = parts.shift();
        if (part === undefined) {
          clearInterval(timer);
          res.end();
        } else res.write(part);
      }, 20);
    });
    await expect(fetchWithLimits(server.url, { ...base, timeoutMs: 2000 })).resolves.toMatchObject({
      body: '{"a":1}',
    });
  });

  it('strips a UTF-8 byte order mark and keeps multi-byte characters split across chunks', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const bytes = Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from('{"n":"caf\u00e9 \u{1F511}"}'),
      ]);
      // One byte per write, so multi-byte characters straddle chunks.
      for (const b of bytes) res.write(Buffer.from([b]));
      res.end();
    });
    const res = await fetchWithLimits(server.url, base);
    expect(JSON.parse(res.body)).toEqual({ n: 'caf\u00e9 \u{1F511}' });
  });

  describe('timeouts and aborts', () => {
    it('times out when the server never answers', async () => {
      const server = await serve(() => {});
      const started = Date.now();
      await expect(fetchWithLimits(server.url, { ...base, timeoutMs: 200 })).rejects.toMatchObject({
        code: 'ERR_TIMEOUT',
        url: `${server.url}/`,
        message: `no complete response from ${server.url}/ within 200 ms`,
      });
      expect(Date.now() - started).toBeLessThan(1500);
    });

    it('times out while the body trickles in', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        const timer = setInterval(() => res.write(' '), 50);
        res.on('close', () => clearInterval(timer));
      });
      await expect(fetchWithLimits(server.url, { ...base, timeoutMs: 300 })).rejects.toMatchObject({
        code: 'ERR_TIMEOUT',
      });
    });

    it('times out even when a custom fetch ignores the signal', async () => {
      const never: typeof fetch = () => new Promise(() => {});
      await expect(
        fetchWithLimits('https://as.example.com/x', { timeoutMs: 100, maxBytes: 10, fetch: never }),
      ).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    });

    it('reports the caller abort as ERR_ABORTED', async () => {
      const server = await serve(() => {});
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      await expect(
        fetchWithLimits(server.url, { ...base, init: { signal: controller.signal } }),
      ).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    });

    it('reports an already aborted signal without a request', async () => {
      const server = await serve((_req, res) => json(res, {}));
      await expect(
        fetchWithLimits(server.url, { ...base, init: { signal: AbortSignal.abort() } }),
      ).rejects.toMatchObject({ code: 'ERR_ABORTED' });
      expect(server.requests).toHaveLength(0);
    });
  });

  it('reports connection failures as ERR_NETWORK', async () => {
    const server = await serve(() => {});
    const url = server.url;
    await server.stop();
    servers.pop();
    await expect(fetchWithLimits(url, base)).rejects.toMatchObject({
      code: 'ERR_NETWORK',
      url: `${url}/`,
    });
  });

  it('reports a connection cut in the middle of the body as ERR_NETWORK', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await expect(fetchWithLimits(server.url, base)).rejects.toMatchObject({
      code: 'ERR_NETWORK',
      url: `${server.url}/`,
    });
  });

  it('reports a body that is not UTF-8 as ERR_INVALID_BODY', async () => {
    const server = await serve((_req, res) => void res.end(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
    await expect(fetchWithLimits(server.url, base)).rejects.toMatchObject({
      code: 'ERR_INVALID_BODY',
    });
  });

  describe('redirects', () => {
    it('follows same-origin redirects and reports every URL', async () => {
      const server = await serve((req, res) => {
        if (req.url === '/a') {
          res.writeHead(301, { location: '/b' });
          return void res.end();
        }
        if (req.url === '/b') {
          res.writeHead(307, { location: `http://127.0.0.1:${server.port}/c` });
          return void res.end();
        }
        json(res, { at: req.url });
      });
      const res = await fetchWithLimits(`${server.url}/a`, base);
      expect(res).toMatchObject({
        body: '{"at":"/c"}',
        url: `${server.url}/c`,
        urls: [`${server.url}/a`, `${server.url}/b`, `${server.url}/c`],
      });
      expect(server.requests.map((r) => r.url)).toEqual(['/a', '/b', '/c']);
    });

    it('refuses a redirect to another origin without requesting it', async () => {
      const other = await serve((_req, res) => json(res, { evil: true }));
      const server = await serve((_req, res) => {
        res.writeHead(302, { location: `${other.url}/evil` });
        res.end();
      });
      await expect(fetchWithLimits(`${server.url}/doc`, base)).rejects.toMatchObject({
        code: 'ERR_CROSS_ORIGIN_REDIRECT',
        url: `${server.url}/doc`,
        status: 302,
      });
      expect(other.requests).toHaveLength(0);
    });

    it('treats another port on the same host as another origin', async () => {
      const other = await serve((_req, res) => json(res, {}));
      const server = await serve((_req, res) => {
        res.writeHead(302, { location: `http://127.0.0.1:${other.port}/` });
        res.end();
      });
      await expect(fetchWithLimits(server.url, base)).rejects.toMatchObject({
        code: 'ERR_CROSS_ORIGIN_REDIRECT',
      });
    });

    it('follows a cross-origin redirect when allowed, dropping Authorization', async () => {
      const other = await serve((_req, res) => json(res, { ok: 1 }));
      const server = await serve((_req, res) => {
        res.writeHead(307, { location: `${other.url}/x` });
        res.end();
      });
      const res = await fetchWithLimits(server.url, {
        ...base,
        sameOriginRedirectsOnly: false,
        init: { headers: { authorization: 'Bearer secret' } },
      });
      expect(res.url).toBe(`${other.url}/x`);
      expect(server.requests[0]!.headers.authorization).toBe('Bearer secret');
      expect(other.requests[0]!.headers.authorization).toBeUndefined();
    });

    it('stops after maxRedirects', async () => {
      const server = await serve((req, res) => {
        const n = Number((req.url ?? '/0').slice(1));
        res.writeHead(302, { location: `/${n + 1}` });
        res.end();
      });
      await expect(
        fetchWithLimits(`${server.url}/0`, { ...base, maxRedirects: 3 }),
      ).rejects.toMatchObject({ code: 'ERR_TOO_MANY_REDIRECTS' });
      expect(server.requests.map((r) => r.url)).toEqual(['/0', '/1', '/2', '/3']);
    });

    it('follows no redirect with maxRedirects 0', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(302, { location: '/x' });
        res.end();
      });
      await expect(fetchWithLimits(server.url, { ...base, maxRedirects: 0 })).rejects.toMatchObject(
        {
          code: 'ERR_TOO_MANY_REDIRECTS',
        },
      );
      expect(server.requests).toHaveLength(1);
    });

    it('refuses a redirect to a non-http scheme', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(302, { location: 'file:///etc/passwd' });
        res.end();
      });
      await expect(fetchWithLimits(server.url, base)).rejects.toMatchObject({
        code: 'ERR_CROSS_ORIGIN_REDIRECT',
      });
      await expect(
        fetchWithLimits(server.url, { ...base, sameOriginRedirectsOnly: false }),
      ).rejects.toMatchObject({ code: 'ERR_INVALID_URL' });
    });

    it('turns a 303 after POST into a GET without body', async () => {
      const server = await serve((req, res) => {
        if (req.url === '/post') {
          res.writeHead(303, { location: '/result' });
          return void res.end();
        }
        json(res, { method: req.method });
      });
      const res = await fetchWithLimits(`${server.url}/post`, {
        ...base,
        init: { method: 'POST', body: 'a=b', headers: { 'content-type': 'text/plain' } },
      });
      expect(res.body).toBe('{"method":"GET"}');
      expect(server.requests[1]!.headers['content-type']).toBeUndefined();
    });

    it('replays method and body on 307', async () => {
      const bodies: string[] = [];
      const server = await serve(async (req, res) => {
        let b = '';
        for await (const chunk of req) b += chunk;
        bodies.push(`${req.method} ${b}`);
        if (req.url === '/post') {
          res.writeHead(307, { location: '/other' });
          return void res.end();
        }
        json(res, {});
      });
      await fetchWithLimits(`${server.url}/post`, {
        ...base,
        init: { method: 'POST', body: 'a=b' },
      });
      expect(bodies).toEqual(['POST a=b', 'POST a=b']);
    });

    it('returns a 3xx without Location as a response', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(302);
        res.end();
      });
      await expect(fetchWithLimits(server.url, base)).resolves.toMatchObject({ status: 302 });
    });

    it('refuses an opaque redirect (browser fetch with redirect: manual)', async () => {
      const opaque = Object.assign(new Response(null, { status: 200 }), {});
      Object.defineProperty(opaque, 'type', { value: 'opaqueredirect' });
      Object.defineProperty(opaque, 'status', { value: 0 });
      await expect(
        fetchWithLimits('https://as.example.com/', {
          timeoutMs: 100,
          maxBytes: 10,
          fetch: async () => opaque,
        }),
      ).rejects.toMatchObject({ code: 'ERR_INVALID_REDIRECT' });
    });
  });

  describe('URL policy', () => {
    it.each([
      ['http://127.0.0.1:1/x', {}, 'ERR_INSECURE_URL'],
      ['http://example.com/x', { allowInsecureHttpForLoopback: true }, 'ERR_INSECURE_URL'],
      ['ftp://example.com/x', {}, 'ERR_INVALID_URL'],
      ['not a url', {}, 'ERR_INVALID_URL'],
    ])('%s -> %s', async (url, extra, code) => {
      let called = false;
      await expect(
        fetchWithLimits(url, {
          timeoutMs: 100,
          maxBytes: 10,
          ...extra,
          fetch: async () => {
            called = true;
            return new Response('');
          },
        }),
      ).rejects.toMatchObject({ code });
      expect(called).toBe(false);
    });
  });

  describe('programmer errors are TypeErrors naming the option', () => {
    it.each([
      [{ maxBytes: 1 }, '"timeoutMs"'],
      [{ timeoutMs: 0, maxBytes: 1 }, '"timeoutMs"'],
      [{ timeoutMs: Number.NaN, maxBytes: 1 }, '"timeoutMs"'],
      [{ timeoutMs: 1 }, '"maxBytes"'],
      [{ timeoutMs: 1, maxBytes: 1.5 }, '"maxBytes"'],
      [{ timeoutMs: 1, maxBytes: 1, maxRedirects: -1 }, '"maxRedirects"'],
      [{ timeoutMs: 1, maxBytes: 1, fetch: 'x' }, '"fetch"'],
      [{ timeoutMs: 1, maxBytes: 1, accept: [] }, '"accept"'],
      [{ timeoutMs: 1, maxBytes: 1, accept: 'json' }, '"accept"'],
    ])('%o', async (options, name) => {
      await expect(fetchWithLimits('https://as.example.com', options as never)).rejects.toThrow(
        TypeError,
      );
      await expect(fetchWithLimits('https://as.example.com', options as never)).rejects.toThrow(
        name,
      );
    });
  });
});

describe('fetchWithLimits against arbitrary server behaviour (fast-check, real HTTP)', () => {
  interface Behaviour {
    status: number;
    type: string | undefined;
    chunks: number[];
    declareLength: 'none' | 'true' | 'lie-small' | 'lie-big';
    redirect: 'none' | 'same' | 'cross';
  }
  const behaviour = fc.record<Behaviour>({
    status: fc.constantFrom(200, 201, 204, 304, 400, 404, 500, 503),
    type: fc.constantFrom(
      undefined,
      'application/json',
      'application/json; charset=utf-8',
      'text/html',
    ),
    chunks: fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 5 }),
    declareLength: fc.constantFrom('none', 'true', 'lie-small', 'lie-big'),
    redirect: fc.constantFrom('none', 'same', 'cross'),
  });

  it('always resolves consistently or rejects with a DiscoveryError code', async () => {
    let current: Behaviour | undefined;
    const other = await serve((_req, res) => json(res, {}));
    const server = await serve((req, res) => {
      const b = current!;
      if (b.redirect !== 'none' && req.url === '/start') {
        res.writeHead(302, { location: b.redirect === 'same' ? '/doc' : `${other.url}/doc` });
        return void res.end();
      }
      const total = b.chunks.reduce((a, n) => a + n, 0);
      const headers: Record<string, string> = {};
      if (b.type) headers['content-type'] = b.type;
      const bodyless = b.status === 204 || b.status === 304;
      if (!bodyless && b.declareLength === 'true') headers['content-length'] = String(total);
      if (!bodyless && b.declareLength === 'lie-big')
        headers['content-length'] = String(total + 5000);
      res.writeHead(b.status, headers);
      if (bodyless) return void res.end();
      if (b.declareLength === 'lie-small' || b.declareLength === 'lie-big') {
        // A lying Content-Length: Node refuses to send more than declared, so just cut the socket.
        res.write('x'.repeat(Math.min(total, 10)));
        return void res.socket?.destroy();
      }
      for (const n of b.chunks) res.write('x'.repeat(n));
      res.end();
    });
    const codes = new Set([
      'ERR_RESPONSE_TOO_LARGE',
      'ERR_CONTENT_TYPE',
      'ERR_CROSS_ORIGIN_REDIRECT',
      'ERR_NETWORK',
      'ERR_TIMEOUT',
    ]);
    await fc.assert(
      fc.asyncProperty(behaviour, async (b) => {
        current = b;
        const url = `${server.url}${b.redirect === 'none' ? '/doc' : '/start'}`;
        try {
          const res = await fetchWithLimits(url, {
            ...base,
            timeoutMs: 3000,
            maxBytes: 1024,
            accept: 'application/json',
          });
          expect(res.status).toBe(b.status);
          expect(new TextEncoder().encode(res.body).byteLength).toBeLessThanOrEqual(1024);
          expect(b.redirect).not.toBe('cross');
          if (b.status < 300) expect(b.type?.startsWith('application/json')).toBe(true);
        } catch (err) {
          expect(err).toMatchObject({ name: 'DiscoveryError' });
          expect(codes).toContain((err as { code: string }).code);
        }
      }),
      { numRuns: 150 },
    );
    expect(other.requests).toHaveLength(0);
  });
});
