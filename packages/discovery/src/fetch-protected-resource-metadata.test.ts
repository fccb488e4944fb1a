import type { IncomingMessage, ServerResponse } from 'node:http';
import { startHttpServer, type TestHttpServer } from '@mcp-auth/test-utils';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fetchProtectedResourceMetadata,
  resourceMatchesServer,
} from './fetch-protected-resource-metadata.js';
import { createMetadataHandler } from './metadata-handler.js';
import { createProtectedResourceMetadata } from './protected-resource-metadata.js';

const servers: TestHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

type Route = (req: IncomingMessage, res: ServerResponse, base: string) => void;
async function serve(routes: Record<string, Route>) {
  let base = '';
  const server = await startHttpServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (route) return route(req, res, base);
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<h1>404</h1>');
  });
  base = server.url;
  servers.push(server);
  return Object.assign(server, { base });
}
function send(res: ServerResponse, body: unknown, type = 'application/json') {
  res.writeHead(200, { 'content-type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
const prm = (resource: string, extra: Record<string, unknown> = {}) => ({
  resource,
  authorization_servers: ['https://auth.example.com'],
  ...extra,
});
const paths = (s: TestHttpServer) => s.requests.map((r) => r.url);
const loopback = { allowInsecureHttpForLoopback: true };

describe('resourceMatchesServer', () => {
  it.each([
    ['https://mcp.example.com/mcp', 'https://mcp.example.com/mcp', true],
    ['https://MCP.example.com:443/mcp', 'https://mcp.example.com/mcp', true],
    ['https://mcp.example.com', 'https://mcp.example.com/mcp', true],
    ['https://mcp.example.com/', 'https://mcp.example.com/public/mcp', true],
    ['https://mcp.example.com/public', 'https://mcp.example.com/public/mcp', true],
    ['https://mcp.example.com/public/', 'https://mcp.example.com/public/mcp', true],
    ['https://mcp.example.com/mcp', 'https://mcp.example.com/mcp/', true],
    ['https://mcp.example.com/pub', 'https://mcp.example.com/public/mcp', false],
    ['https://mcp.example.com/mcp/x', 'https://mcp.example.com/mcp', false],
    ['https://mcp.example.com/MCP', 'https://mcp.example.com/mcp', false],
    ['https://evil.example.com/mcp', 'https://mcp.example.com/mcp', false],
    ['http://mcp.example.com/mcp', 'https://mcp.example.com/mcp', false],
    ['https://mcp.example.com:8443/mcp', 'https://mcp.example.com/mcp', false],
    ['https://mcp.example.com.evil.com/mcp', 'https://mcp.example.com/mcp', false],
    ['https://mcp.example.com/mcp?t=1', 'https://mcp.example.com/mcp?t=1', true],
    ['https://mcp.example.com/mcp?t=1', 'https://mcp.example.com/mcp?t=2', false],
    ['not a url', 'https://mcp.example.com/mcp', false],
    // Issue 12 item 5: a PRM `resource` written in a spelling a parser rewrites never matches.
    ['http://127.0.0.1:3999/x/../mcp', 'http://127.0.0.1:3999/mcp', false],
    ['http://127.0.0.1:3999/x/%2e%2e/mcp', 'http://127.0.0.1:3999/mcp', false],
    ['http://127.0.0.1:3999/m\tcp', 'http://127.0.0.1:3999/mcp', false],
    ['http://127.0.0.1:3999/m\ncp', 'http://127.0.0.1:3999/mcp', false],
    ['http://127.1:3999/mcp', 'http://127.0.0.1:3999/mcp', false],
    ['http://0x7f.0.0.1:3999/mcp', 'http://127.0.0.1:3999/mcp', false],
    ['http://１２７.0.0.1:3999/mcp', 'http://127.0.0.1:3999/mcp', false],
    ['HTTP://127.0.0.1:3999/mcp', 'http://127.0.0.1:3999/mcp', true],
    ['https://mcp.example.com/mcp#x', 'https://mcp.example.com/mcp', false],
  ])('%s covers %s: %s', (resource, server, expected) => {
    expect(resourceMatchesServer(resource, server)).toBe(expected);
  });
});

describe('resourceMatchesServer properties (fast-check)', () => {
  const url = fc.webUrl({ withQueryParameters: false, withFragments: false });
  const segment = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);

  it('a resource covers itself and every path below it, never a sibling with a longer name', () => {
    fc.assert(
      fc.property(url, segment, segment, (resource, below, suffix) => {
        // As a parser serialises it: a spelling with dot segments is refused outright (issue 12).
        const r = new URL(resource).href;
        const dir = r.endsWith('/') ? r : `${r}/`;
        expect(resourceMatchesServer(r, r)).toBe(true);
        expect(resourceMatchesServer(r, `${dir}${below}`)).toBe(true);
        if (!r.endsWith('/')) {
          expect(resourceMatchesServer(r, `${r}${suffix}`)).toBe(false);
        }
        if (r !== resource && new URL(resource).pathname !== new URL(r).pathname) {
          expect(resourceMatchesServer(resource, r)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never covers another origin', () => {
    fc.assert(
      fc.property(url, url, (resource, server) => {
        fc.pre(new URL(resource).origin !== new URL(server).origin);
        expect(resourceMatchesServer(resource, server)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('fetchProtectedResourceMetadata', () => {
  it('uses the resource_metadata URL from the challenge, and only it', async () => {
    const server = await serve({
      '/custom/prm.json': (_q, r, base) => send(r, prm(`${base}/mcp`)),
      '/.well-known/oauth-protected-resource/mcp': (_q, r) => send(r, prm('https://wrong')),
    });
    const result = await fetchProtectedResourceMetadata(`${server.base}/mcp`, {
      ...loopback,
      resourceMetadataUrl: `${server.base}/custom/prm.json`,
    });
    expect(result).toEqual({
      metadata: prm(`${server.base}/mcp`),
      url: `${server.base}/custom/prm.json`,
      tried: [`${server.base}/custom/prm.json`],
    });
    expect(paths(server)).toEqual(['/custom/prm.json']);
  });

  it('does not fall back to well-known URLs when the challenge URL fails', async () => {
    const server = await serve({
      '/.well-known/oauth-protected-resource/mcp': (_q, r, base) => send(r, prm(`${base}/mcp`)),
    });
    await expect(
      fetchProtectedResourceMetadata(`${server.base}/mcp`, {
        ...loopback,
        resourceMetadataUrl: `${server.base}/missing`,
      }),
    ).rejects.toMatchObject({ code: 'ERR_METADATA_NOT_FOUND', status: 404 });
    expect(paths(server)).toEqual(['/missing']);
  });

  it('without a challenge URL: path-suffixed first', async () => {
    const server = await serve({
      '/.well-known/oauth-protected-resource/public/mcp': (_q, r, base) =>
        send(r, prm(`${base}/public/mcp`)),
    });
    const result = await fetchProtectedResourceMetadata(`${server.base}/public/mcp`, loopback);
    expect(result.url).toBe(`${server.base}/.well-known/oauth-protected-resource/public/mcp`);
    expect(paths(server)).toEqual(['/.well-known/oauth-protected-resource/public/mcp']);
  });

  it('without a challenge URL: then the root', async () => {
    const server = await serve({
      '/.well-known/oauth-protected-resource': (_q, r, base) => send(r, prm(base)),
    });
    const result = await fetchProtectedResourceMetadata(`${server.base}/public/mcp`, loopback);
    expect(result.tried).toEqual([
      `${server.base}/.well-known/oauth-protected-resource/public/mcp`,
      `${server.base}/.well-known/oauth-protected-resource`,
    ]);
    expect(result.metadata.resource).toBe(server.base);
    expect(paths(server)).toEqual([
      '/.well-known/oauth-protected-resource/public/mcp',
      '/.well-known/oauth-protected-resource',
    ]);
  });

  it('a server without a path is asked once', async () => {
    const server = await serve({});
    await expect(fetchProtectedResourceMetadata(server.base, loopback)).rejects.toMatchObject({
      code: 'ERR_METADATA_NOT_FOUND',
    });
    expect(paths(server)).toEqual(['/.well-known/oauth-protected-resource']);
  });

  it('keeps the query of the server URL in the path-suffixed URL', async () => {
    const server = await serve({});
    await fetchProtectedResourceMetadata(`${server.base}/mcp?tenant=a`, loopback).catch(() => {});
    expect(paths(server)).toEqual([
      '/.well-known/oauth-protected-resource/mcp?tenant=a',
      '/.well-known/oauth-protected-resource',
    ]);
  });

  it('works end to end against createMetadataHandler', async () => {
    let handler: ReturnType<typeof createMetadataHandler> | undefined;
    const server = await startHttpServer((req, res) => {
      if (handler?.(req, res)) return;
      res.writeHead(404);
      res.end();
    });
    servers.push(server);
    const metadata = createProtectedResourceMetadata({
      resource: `${server.url}/mcp`,
      authorizationServers: ['https://auth.example.com'],
      scopesSupported: ['mcp:tools'],
      allowInsecureHttpForLoopback: true,
    });
    handler = createMetadataHandler(metadata);
    const result = await fetchProtectedResourceMetadata(`${server.url}/mcp`, loopback);
    expect(result.metadata).toEqual(metadata);
  });

  describe('the document must describe this server', () => {
    it.each<[string, (base: string) => unknown]>([
      ['another origin', () => prm('https://evil.example.com/mcp')],
      ['another port', (base) => prm(base.replace(/:\d+$/, ':1'))],
      ['a sibling path', (base) => prm(`${base}/other`)],
      ['a longer path', (base) => prm(`${base}/mcp/admin`)],
      ['a prefix that is not a segment', (base) => prm(`${base}/mc`)],
      ['https instead of http', (base) => prm(base.replace('http:', 'https:'))],
    ])('%s -> ERR_METADATA_RESOURCE_MISMATCH', async (_name, body) => {
      const server = await serve({
        '/.well-known/oauth-protected-resource/mcp': (_q, r, base) => send(r, body(base)),
      });
      const error = await fetchProtectedResourceMetadata(`${server.base}/mcp`, loopback).catch(
        (e) => e,
      );
      expect(error).toMatchObject({
        name: 'DiscoveryError',
        code: 'ERR_METADATA_RESOURCE_MISMATCH',
        field: 'resource',
      });
    });

    it('a mismatching path-suffixed document does not hide a matching root one', async () => {
      const server = await serve({
        '/.well-known/oauth-protected-resource/mcp': (_q, r) =>
          send(r, prm('https://evil.example.com/mcp')),
        '/.well-known/oauth-protected-resource': (_q, r, base) => send(r, prm(base)),
      });
      const result = await fetchProtectedResourceMetadata(`${server.base}/mcp`, loopback);
      expect(result.metadata.resource).toBe(server.base);
    });
  });

  it.each<[string, Route, string]>([
    [
      'no resource',
      (_q, r) => send(r, { authorization_servers: ['https://a'] }),
      'ERR_INVALID_METADATA',
    ],
    [
      'resource a number',
      (_q, r) => send(r, { resource: 1, authorization_servers: ['https://a'] }),
      'ERR_INVALID_METADATA',
    ],
    [
      'no authorization_servers',
      (_q, r, base) => send(r, { resource: `${base}/mcp` }),
      'ERR_INVALID_METADATA',
    ],
    [
      'empty authorization_servers',
      (_q, r, base) => send(r, prm(`${base}/mcp`, { authorization_servers: [] })),
      'ERR_INVALID_METADATA',
    ],
    [
      'authorization_servers a string',
      (_q, r, base) => send(r, prm(`${base}/mcp`, { authorization_servers: 'https://a' })),
      'ERR_INVALID_METADATA',
    ],
    [
      'scopes_supported with a number',
      (_q, r, base) => send(r, prm(`${base}/mcp`, { scopes_supported: ['a', 2] })),
      'ERR_INVALID_METADATA',
    ],
    ['non-JSON', (_q, r) => send(r, 'hello'), 'ERR_INVALID_JSON'],
    [
      'wrong content type',
      (_q, r, base) => send(r, prm(`${base}/mcp`), 'text/plain'),
      'ERR_CONTENT_TYPE',
    ],
    [
      'oversized',
      (_q, r, base) => send(r, prm(`${base}/mcp`, { pad: 'x'.repeat(65 * 1024) })),
      'ERR_RESPONSE_TOO_LARGE',
    ],
  ])('%s -> %s', async (_name, route, code) => {
    const server = await serve({
      '/.well-known/oauth-protected-resource/mcp': route,
      '/.well-known/oauth-protected-resource': route,
    });
    const error = await fetchProtectedResourceMetadata(`${server.base}/mcp`, loopback).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ name: 'DiscoveryError', code });
    expect(error.tried).toHaveLength(2);
  });

  it('slow server -> ERR_TIMEOUT', async () => {
    const server = await serve({ '/.well-known/oauth-protected-resource/mcp': () => {} });
    const error = await fetchProtectedResourceMetadata(`${server.base}/mcp`, {
      ...loopback,
      timeoutMs: 200,
    }).catch((e) => e);
    expect(error).toMatchObject({
      code: 'ERR_TIMEOUT',
      url: `${server.base}/.well-known/oauth-protected-resource/mcp`,
    });
  });

  it('cross-origin redirect -> ERR_CROSS_ORIGIN_REDIRECT, never following it', async () => {
    const evil = await serve({ '/prm': (_q, r, base) => send(r, prm(base)) });
    const redirect: Route = (_q, r) => {
      r.writeHead(307, { location: `${evil.base}/prm` });
      r.end();
    };
    const server = await serve({
      '/.well-known/oauth-protected-resource/mcp': redirect,
      '/.well-known/oauth-protected-resource': redirect,
    });
    await expect(
      fetchProtectedResourceMetadata(`${server.base}/mcp`, loopback),
    ).rejects.toMatchObject({
      code: 'ERR_CROSS_ORIGIN_REDIRECT',
    });
    expect(evil.requests).toHaveLength(0);
  });

  describe('URL policy', () => {
    it('refuses loopback http without the option, before any request', async () => {
      const server = await serve({});
      await expect(fetchProtectedResourceMetadata(`${server.base}/mcp`)).rejects.toMatchObject({
        code: 'ERR_INSECURE_URL',
      });
      expect(server.requests).toHaveLength(0);
    });

    it.each([
      ['http://mcp.example.com/mcp', {}, 'ERR_INSECURE_URL'],
      [
        'https://mcp.example.com/mcp',
        { resourceMetadataUrl: 'http://evil.example.com/prm' },
        'ERR_INSECURE_URL',
      ],
      [
        'https://mcp.example.com/mcp',
        { resourceMetadataUrl: 'file:///etc/passwd' },
        'ERR_INVALID_URL',
      ],
      ['https://mcp.example.com/mcp', { resourceMetadataUrl: '/relative' }, 'ERR_INVALID_URL'],
    ])('%s %j -> %s', async (url, options, code) => {
      await expect(
        fetchProtectedResourceMetadata(url, {
          ...options,
          fetch: () => Promise.reject(new Error('no')),
        }),
      ).rejects.toMatchObject({ code });
    });

    it.each<[unknown, unknown, string]>([
      ['/mcp', {}, 'must be an absolute URL'],
      ['https://mcp.example.com/mcp#x', {}, 'must not contain a fragment'],
      ['https://mcp.example.com/mcp', null, 'options must be an object'],
      ['https://mcp.example.com/mcp', { timeoutMs: -5 }, '"timeoutMs" must be a positive integer'],
      [
        'https://mcp.example.com/mcp',
        { resourceMetadataUrl: 5 },
        '"resourceMetadataUrl" must be a string',
      ],
      ['https://mcp.example.com/mcp', { fetch: 1 }, '"fetch" must be a function'],
    ])('%j %j -> TypeError', async (url, options, message) => {
      const error = await fetchProtectedResourceMetadata(url as never, options as never).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain(message);
    });
  });
});
