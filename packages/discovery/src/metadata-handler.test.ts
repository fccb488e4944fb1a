import { startHttpServer, type TestHttpServer } from '@mcp-auth/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetadataFetchHandler, createMetadataHandler } from './metadata-handler.js';
import { createProtectedResourceMetadata } from './protected-resource-metadata.js';

const metadata = createProtectedResourceMetadata({
  resource: 'https://mcp.example.com/public/mcp',
  authorizationServers: ['https://auth.example.com'],
  scopesSupported: ['mcp:tools'],
});
const SUFFIXED = '/.well-known/oauth-protected-resource/public/mcp';
const ROOT = '/.well-known/oauth-protected-resource';

interface Result {
  status: number;
  headers: Headers;
  body: string;
}

// The same table runs against the node:http handler (over real HTTP) and the Fetch handler.
const variants: [
  string,
  () => Promise<(path: string, init?: RequestInit) => Promise<Result | undefined>>,
][] = [
  [
    'node:http',
    async () => {
      let server: TestHttpServer | undefined;
      const handler = createMetadataHandler(metadata);
      server = await startHttpServer((req, res) => {
        if (handler(req, res)) return;
        res.writeHead(418);
        res.end('next');
      });
      stops.push(() => server!.stop());
      return async (path, init) => {
        const res = await fetch(`${server!.url}${path}`, init);
        const body = await res.text();
        if (res.status === 418) return undefined;
        return { status: res.status, headers: res.headers, body };
      };
    },
  ],
  [
    'fetch',
    async () => {
      const handler = createMetadataFetchHandler(metadata);
      return async (path, init) => {
        const res = handler(new Request(`https://mcp.example.com${path}`, init));
        if (!res) return undefined;
        return { status: res.status, headers: res.headers, body: await res.text() };
      };
    },
  ],
];
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(stops.map((s) => s()));
});

describe.each(variants)('%s metadata handler', (_name, setup) => {
  let call: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    call = await setup();
  });

  it.each([SUFFIXED, ROOT, `${SUFFIXED}?x=1`])('GET %s serves the document', async (path) => {
    const res = await call(path);
    expect(res?.status).toBe(200);
    expect(JSON.parse(res!.body)).toEqual(metadata);
    expect(res!.headers.get('content-type')).toBe('application/json');
    expect(res!.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(res!.headers.get('access-control-allow-origin')).toBe('*');
    expect(res!.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('HEAD answers with headers and no body', async () => {
    const res = await call(SUFFIXED, { method: 'HEAD' });
    expect(res!.status).toBe(200);
    expect(res!.body).toBe('');
    expect(res!.headers.get('content-length')).toBe(String(JSON.stringify(metadata).length));
  });

  it('OPTIONS answers the CORS preflight', async () => {
    const res = await call(SUFFIXED, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'mcp-protocol-version',
      },
    });
    expect(res!.status).toBe(204);
    expect(res!.headers.get('access-control-allow-origin')).toBe('*');
    expect(res!.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    expect(res!.headers.get('access-control-allow-headers')).toBe('mcp-protocol-version');
    expect(res!.headers.get('access-control-max-age')).toBe('86400');
  });

  it('OPTIONS ignores an oversized Access-Control-Request-Headers', async () => {
    const res = await call(SUFFIXED, {
      method: 'OPTIONS',
      headers: {
        'access-control-request-headers': Array.from({ length: 300 }, (_, i) => `x-h${i}`).join(
          ',',
        ),
      },
    });
    expect(res!.status).toBe(204);
    expect(res!.headers.get('access-control-allow-headers')).toBeNull();
  });

  it('OPTIONS ignores a malformed Access-Control-Request-Headers', async () => {
    const res = await call(SUFFIXED, {
      method: 'OPTIONS',
      headers: { 'access-control-request-headers': 'a b, "c"' },
    });
    expect(res!.status).toBe(204);
    expect(res!.headers.get('access-control-allow-headers')).toBeNull();
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('%s is 405 with Allow', async (method) => {
    const res = await call(ROOT, { method, body: method === 'DELETE' ? undefined : '{}' });
    expect(res!.status).toBe(405);
    expect(res!.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(JSON.parse(res!.body)).toEqual({
      error: 'method_not_allowed',
      error_description: 'use GET, HEAD, OPTIONS',
    });
  });

  it.each([
    '/',
    '/public/mcp',
    `${SUFFIXED}/`,
    `${SUFFIXED}x`,
    '/.well-known/oauth-protected-resource/other',
    '/.well-known/oauth-authorization-server',
    '/.WELL-KNOWN/oauth-protected-resource',
  ])('%s is passed on', async (path) => {
    expect(await call(path)).toBeUndefined();
  });
});

describe('metadata handler options', () => {
  it.each([
    [{ cacheMaxAgeSeconds: 60 }, 'public, max-age=60'],
    [{ cacheMaxAgeSeconds: 0 }, 'no-cache'],
  ])('%o -> Cache-Control %s', (options, expected) => {
    const res = createMetadataFetchHandler(metadata, options)(new Request(`https://x${SUFFIXED}`));
    expect(res!.headers.get('cache-control')).toBe(expected);
  });

  it('serveRoot: false serves only the path-suffixed URL', () => {
    const handler = createMetadataFetchHandler(metadata, { serveRoot: false });
    expect(handler(new Request(`https://x${ROOT}`))).toBeUndefined();
    expect(handler(new Request(`https://x${SUFFIXED}`))!.status).toBe(200);
  });

  it('serves a resource without path at the root only once', () => {
    const handler = createMetadataFetchHandler(
      createProtectedResourceMetadata({
        resource: 'https://mcp.example.com',
        authorizationServers: ['https://a.example'],
      }),
    );
    expect(handler(new Request(`https://x${ROOT}`))!.status).toBe(200);
  });

  it.each<[unknown, unknown, string]>([
    [undefined, {}, '"metadata" must be a protected resource metadata document'],
    [{}, {}, '"metadata" must be a protected resource metadata document'],
    [metadata, { cacheMaxAgeSeconds: -1 }, '"cacheMaxAgeSeconds" must be a non-negative integer'],
    [metadata, { cacheMaxAgeSeconds: 1.5 }, '"cacheMaxAgeSeconds" must be a non-negative integer'],
    [metadata, { serveRoot: 'no' }, '"serveRoot" must be a boolean'],
    [metadata, null, 'options must be an object'],
  ])('bad arguments are TypeErrors at construction: %s', (m, o, message) => {
    expect(() => createMetadataHandler(m as never, o as never)).toThrow(TypeError);
    expect(() => createMetadataFetchHandler(m as never, o as never)).toThrow(message);
  });
});
