import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCache } from '@mcp-auth/cache';
import { startHttpServer, type TestHttpServer } from '@mcp-auth/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AuthorizationServerDiscovery,
  authorizationServerMetadataUrls,
  clearDiscoveryCache,
  discoverAuthorizationServer,
} from './authorization-server.js';

const servers: TestHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await clearDiscoveryCache();
});

type Routes = Record<string, (req: IncomingMessage, res: ServerResponse, base: string) => void>;

/** A loopback server answering `routes` by path, 404 JSON for anything else. */
async function serve(routes: Routes): Promise<TestHttpServer & { base: string }> {
  let base = '';
  const server = await startHttpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = routes[path];
    if (route) return route(req, res, base);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not_found"}');
  });
  base = server.url;
  servers.push(server);
  return Object.assign(server, { base });
}

function send(res: ServerResponse, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

/** A complete, valid document for `issuer`, endpoints on the same origin. */
function doc(issuer: string, extra: Record<string, unknown> = {}) {
  const origin = new URL(issuer).origin;
  return {
    issuer,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    jwks_uri: `${origin}/jwks`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    ...extra,
  };
}

const paths = (s: TestHttpServer) => s.requests.map((r) => r.url);
const loopback = { allowInsecureHttpForLoopback: true, cache: false as const };

describe('authorizationServerMetadataUrls', () => {
  it.each([
    [
      'https://as.example.com',
      [
        ['https://as.example.com/.well-known/oauth-authorization-server', 'oauth2'],
        ['https://as.example.com/.well-known/openid-configuration', 'oidc'],
      ],
    ],
    [
      'https://tenant.auth0.com/',
      [
        ['https://tenant.auth0.com/.well-known/oauth-authorization-server', 'oauth2'],
        ['https://tenant.auth0.com/.well-known/openid-configuration', 'oidc'],
      ],
    ],
    [
      'https://as.example.com/tenant1',
      [
        ['https://as.example.com/.well-known/oauth-authorization-server/tenant1', 'oauth2'],
        ['https://as.example.com/.well-known/openid-configuration/tenant1', 'oidc'],
        ['https://as.example.com/tenant1/.well-known/openid-configuration', 'oidc'],
      ],
    ],
    [
      'https://login.example.com/tid/v2.0/',
      [
        ['https://login.example.com/.well-known/oauth-authorization-server/tid/v2.0', 'oauth2'],
        ['https://login.example.com/.well-known/openid-configuration/tid/v2.0', 'oidc'],
        ['https://login.example.com/tid/v2.0/.well-known/openid-configuration', 'oidc'],
      ],
    ],
  ])('%s', (issuer, expected) => {
    expect(authorizationServerMetadataUrls(issuer)).toEqual(
      expected.map(([url, flavour]) => ({ url, flavour })),
    );
  });

  it('is a TypeError for a relative issuer', () => {
    expect(() => authorizationServerMetadataUrls('/tenant1')).toThrow(TypeError);
  });
});

describe('discoverAuthorizationServer against imitated providers', () => {
  it('issuer without a path serving only RFC 8414: one request, flavour oauth2', async () => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': (_q, r, base) => send(r, doc(base)),
    });
    const result = await discoverAuthorizationServer(as.base, loopback);
    expect(result).toEqual({
      metadata: doc(as.base),
      url: `${as.base}/.well-known/oauth-authorization-server`,
      flavour: 'oauth2',
      tried: [`${as.base}/.well-known/oauth-authorization-server`],
    });
    expect(paths(as)).toEqual(['/.well-known/oauth-authorization-server']);
    expect(as.requests[0]!.headers.accept).toBe('application/json');
  });

  it('issuer without a path serving only OIDC: RFC 8414 first, then OIDC', async () => {
    const as = await serve({
      '/.well-known/openid-configuration': (_q, r, base) => send(r, doc(base)),
    });
    const result = await discoverAuthorizationServer(as.base, loopback);
    expect(result.flavour).toBe('oidc');
    expect(paths(as)).toEqual([
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
    ]);
  });

  describe('Cognito style: OIDC only, path-appended, no code_challenge_methods_supported, endpoints on another host', () => {
    const pool = '/us-east-1_Example';
    async function cognito() {
      return serve({
        [`${pool}/.well-known/openid-configuration`]: (_q, r, base) => {
          const { code_challenge_methods_supported: _omitted, ...rest } = doc(`${base}${pool}`, {
            authorization_endpoint: 'http://localhost:1/oauth2/authorize',
            token_endpoint: 'http://localhost:1/oauth2/token',
            jwks_uri: `${base}${pool}/.well-known/jwks.json`,
            scopes_supported: ['openid', 'email', 'phone', 'profile'],
          });
          send(r, rest);
        },
      });
    }

    it('is refused by default with ERR_PKCE_METADATA_MISSING, after the three URLs in order', async () => {
      const as = await cognito();
      await expect(
        discoverAuthorizationServer(`${as.base}${pool}`, loopback),
      ).rejects.toMatchObject({
        name: 'DiscoveryError',
        code: 'ERR_PKCE_METADATA_MISSING',
        url: `${as.base}${pool}/.well-known/openid-configuration`,
        field: 'code_challenge_methods_supported',
      });
      expect(paths(as)).toEqual([
        `/.well-known/oauth-authorization-server${pool}`,
        `/.well-known/openid-configuration${pool}`,
        `${pool}/.well-known/openid-configuration`,
      ]);
    });

    it('is accepted with the explicit per-issuer override', async () => {
      const as = await cognito();
      const result = await discoverAuthorizationServer(`${as.base}${pool}`, {
        ...loopback,
        allowMissingPkceMetadata: true,
      });
      expect(result.flavour).toBe('oidc');
      expect(result.url).toBe(`${as.base}${pool}/.well-known/openid-configuration`);
      expect(result.metadata.authorization_endpoint).toBe('http://localhost:1/oauth2/authorize');
      expect(result.tried).toHaveLength(3);
    });

    it('is accepted by a resource server (requirePkceS256: false)', async () => {
      const as = await cognito();
      const result = await discoverAuthorizationServer(`${as.base}${pool}`, {
        ...loopback,
        requirePkceS256: false,
      });
      expect(result.metadata.jwks_uri).toBe(`${as.base}${pool}/.well-known/jwks.json`);
    });

    it('never probes the root', async () => {
      const as = await cognito();
      await discoverAuthorizationServer(`${as.base}${pool}`, {
        ...loopback,
        requirePkceS256: false,
      });
      expect(paths(as)).not.toContain('/.well-known/oauth-authorization-server');
      expect(paths(as)).not.toContain('/.well-known/openid-configuration');
    });
  });

  it('Okta style: both documents under the issuer path (appended); OIDC appended is what MCP finds', async () => {
    const issuerPath = '/oauth2/default';
    const as = await serve({
      [`${issuerPath}/.well-known/oauth-authorization-server`]: (_q, r, base) =>
        send(r, doc(`${base}${issuerPath}`)),
      [`${issuerPath}/.well-known/openid-configuration`]: (_q, r, base) =>
        send(
          r,
          doc(`${base}${issuerPath}`, { userinfo_endpoint: `${base}${issuerPath}/v1/userinfo` }),
        ),
    });
    const result = await discoverAuthorizationServer(`${as.base}${issuerPath}`, loopback);
    expect(result.flavour).toBe('oidc');
    expect(result.metadata.userinfo_endpoint).toBe(`${as.base}${issuerPath}/v1/userinfo`);
    expect(paths(as)).toEqual([
      `/.well-known/oauth-authorization-server${issuerPath}`,
      `/.well-known/openid-configuration${issuerPath}`,
      `${issuerPath}/.well-known/openid-configuration`,
    ]);
  });

  it('issuer with a path serving both documents at the inserted URLs: stops at RFC 8414', async () => {
    const issuerPath = '/oauth2/default';
    const as = await serve({
      [`/.well-known/oauth-authorization-server${issuerPath}`]: (_q, r, base) =>
        send(r, doc(`${base}${issuerPath}`)),
      [`/.well-known/openid-configuration${issuerPath}`]: (_q, r, base) =>
        send(r, doc(`${base}${issuerPath}`)),
    });
    const result = await discoverAuthorizationServer(`${as.base}${issuerPath}`, loopback);
    expect(result.flavour).toBe('oauth2');
    expect(paths(as)).toEqual([`/.well-known/oauth-authorization-server${issuerPath}`]);
  });

  it('issuer with a path serving OIDC inserted: stops at the second URL', async () => {
    const as = await serve({
      '/.well-known/openid-configuration/tenant1': (_q, r, base) => send(r, doc(`${base}/tenant1`)),
    });
    const result = await discoverAuthorizationServer(`${as.base}/tenant1`, loopback);
    expect(result.url).toBe(`${as.base}/.well-known/openid-configuration/tenant1`);
    expect(paths(as)).toEqual([
      '/.well-known/oauth-authorization-server/tenant1',
      '/.well-known/openid-configuration/tenant1',
    ]);
  });

  it('Keycloak style: path-appended OIDC only', async () => {
    const realm = '/realms/mcp';
    const as = await serve({
      [`${realm}/.well-known/openid-configuration`]: (_q, r, base) =>
        send(
          r,
          doc(`${base}${realm}`, {
            introspection_endpoint: `${base}${realm}/protocol/openid-connect/token/introspect`,
          }),
        ),
    });
    const result = await discoverAuthorizationServer(`${as.base}${realm}`, loopback);
    expect(result).toMatchObject({
      flavour: 'oidc',
      url: `${as.base}${realm}/.well-known/openid-configuration`,
      tried: [
        `${as.base}/.well-known/oauth-authorization-server${realm}`,
        `${as.base}/.well-known/openid-configuration${realm}`,
        `${as.base}${realm}/.well-known/openid-configuration`,
      ],
    });
    expect(paths(as)).toEqual([
      `/.well-known/oauth-authorization-server${realm}`,
      `/.well-known/openid-configuration${realm}`,
      `${realm}/.well-known/openid-configuration`,
    ]);
  });

  it('Entra ID v2 style: OIDC appended under /<tenant>/v2.0', async () => {
    const tenant = '/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0';
    const as = await serve({
      [`${tenant}/.well-known/openid-configuration`]: (_q, r, base) =>
        send(r, doc(`${base}${tenant}`)),
    });
    const result = await discoverAuthorizationServer(`${as.base}${tenant}`, loopback);
    expect(result.flavour).toBe('oidc');
    expect(paths(as)).toEqual([
      `/.well-known/oauth-authorization-server${tenant}`,
      `/.well-known/openid-configuration${tenant}`,
      `${tenant}/.well-known/openid-configuration`,
    ]);
  });

  it('a server that answers every well-known URL with its root document: skipped, the appended OIDC one wins', async () => {
    const tenant = '/tenant1';
    const as = await serve({
      [`/.well-known/oauth-authorization-server${tenant}`]: (_q, r, base) => send(r, doc(base)),
      [`/.well-known/openid-configuration${tenant}`]: (_q, r, base) => send(r, doc(base)),
      [`${tenant}/.well-known/openid-configuration`]: (_q, r, base) =>
        send(r, doc(`${base}${tenant}`)),
    });
    const result = await discoverAuthorizationServer(`${as.base}${tenant}`, loopback);
    expect(result).toMatchObject({
      flavour: 'oidc',
      url: `${as.base}${tenant}/.well-known/openid-configuration`,
    });
    expect(result.metadata.issuer).toBe(`${as.base}${tenant}`);
  });

  it('Auth0 style: issuer with a trailing slash is compared exactly', async () => {
    const as = await serve({
      '/.well-known/openid-configuration': (_q, r, base) => send(r, doc(`${base}/`)),
    });
    const result = await discoverAuthorizationServer(`${as.base}/`, loopback);
    expect(result.metadata.issuer).toBe(`${as.base}/`);
    await expect(discoverAuthorizationServer(as.base, loopback)).rejects.toMatchObject({
      code: 'ERR_METADATA_ISSUER_MISMATCH',
    });
  });

  describe('issuer mismatch (mix-up protection)', () => {
    it.each<[string, (base: string) => string, string]>([
      ['another issuer', () => 'https://evil.example.com', ''],
      ['a trailing slash added', (base) => `${base}/`, ''],
      ['the path dropped', (base) => base, '/tenant1'],
      ['another tenant', (base) => `${base}/tenant2`, '/tenant1'],
      ['upper-case scheme', (base) => base.replace('http:', 'HTTP:'), ''],
      ['localhost instead of 127.0.0.1', (base) => base.replace('127.0.0.1', 'localhost'), ''],
    ])(
      '%s -> ERR_METADATA_ISSUER_MISMATCH, after every URL',
      async (_name, claimed, issuerPath) => {
        const routes: Routes = {};
        const as = await serve(routes);
        const evil = (_q: IncomingMessage, r: ServerResponse, base: string) =>
          send(r, doc(claimed(base)));
        for (const { url } of authorizationServerMetadataUrls(`${as.base}${issuerPath}`)) {
          routes[new URL(url).pathname] = evil;
        }
        const error = await discoverAuthorizationServer(`${as.base}${issuerPath}`, loopback).catch(
          (e) => e,
        );
        expect(error).toMatchObject({
          code: 'ERR_METADATA_ISSUER_MISMATCH',
          field: 'issuer',
          status: 200,
        });
        expect(error.message).toContain(
          `expected exactly ${JSON.stringify(`${as.base}${issuerPath}`)}`,
        );
        expect(error.tried).toEqual(
          authorizationServerMetadataUrls(`${as.base}${issuerPath}`).map((c) => c.url),
        );
        expect(error.failures.map((f: { code: string }) => f.code)).toEqual(
          error.tried.map(() => 'ERR_METADATA_ISSUER_MISMATCH'),
        );
      },
    );

    it('a mismatching RFC 8414 document is skipped for a valid OIDC one', async () => {
      const as = await serve({
        '/.well-known/oauth-authorization-server': (_q, r) =>
          send(r, doc('https://evil.example.com')),
        '/.well-known/openid-configuration': (_q, r, base) => send(r, doc(base)),
      });
      const result = await discoverAuthorizationServer(as.base, loopback);
      expect(result.flavour).toBe('oidc');
      expect(result.metadata.issuer).toBe(as.base);
    });

    it('a document without issuer is ERR_INVALID_METADATA', async () => {
      const as = await serve({
        '/.well-known/oauth-authorization-server': (_q, r, base) => {
          const { issuer: _dropped, ...rest } = doc(base);
          send(r, rest);
        },
      });
      await expect(discoverAuthorizationServer(as.base, loopback)).rejects.toMatchObject({
        code: 'ERR_INVALID_METADATA',
        field: 'issuer',
      });
    });

    it('an issuer that is not a URL is ERR_METADATA_ISSUER_MISMATCH', async () => {
      const as = await serve({
        '/.well-known/oauth-authorization-server': (_q, r, base) =>
          send(r, doc(base, { issuer: 'not a url' })),
      });
      await expect(discoverAuthorizationServer(as.base, loopback)).rejects.toMatchObject({
        code: 'ERR_METADATA_ISSUER_MISMATCH',
      });
    });
  });

  it('slow server: ERR_TIMEOUT within the deadline, naming the URL', async () => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': () => {
        // never answers
      },
    });
    const started = Date.now();
    const error = await discoverAuthorizationServer(as.base, { ...loopback, timeoutMs: 300 }).catch(
      (e) => e,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({
      name: 'DiscoveryError',
      code: 'ERR_TIMEOUT',
      url: `${as.base}/.well-known/oauth-authorization-server`,
      tried: [`${as.base}/.well-known/oauth-authorization-server`],
    });
    expect(error.message).toBe(
      `authorization server metadata for ${as.base}: no answer within 300 ms (at ${as.base}/.well-known/oauth-authorization-server)`,
    );
    expect(paths(as)).toEqual(['/.well-known/oauth-authorization-server']);
  });

  it('slow server: one deadline for all URLs together', async () => {
    const delay = (ms: number) => (_q: IncomingMessage, r: ServerResponse) => {
      setTimeout(() => {
        r.writeHead(404);
        r.end();
      }, ms);
    };
    const as = await serve({
      '/.well-known/oauth-authorization-server/t': delay(200),
      '/.well-known/openid-configuration/t': delay(200),
      '/t/.well-known/openid-configuration': delay(200),
    });
    const error = await discoverAuthorizationServer(`${as.base}/t`, {
      ...loopback,
      timeoutMs: 500,
    }).catch((e) => e);
    expect(error.code).toBe('ERR_TIMEOUT');
    expect(error.tried).toHaveLength(3);
  });

  it('oversized document: ERR_RESPONSE_TOO_LARGE (64 KiB limit), while 60 KiB passes', async () => {
    const big = (size: number) => (_q: IncomingMessage, r: ServerResponse, base: string) =>
      send(r, doc(base, { padding: 'x'.repeat(size) }));
    const as = await serve({ '/.well-known/oauth-authorization-server': big(70 * 1024) });
    await expect(discoverAuthorizationServer(as.base, loopback)).rejects.toMatchObject({
      code: 'ERR_RESPONSE_TOO_LARGE',
      url: `${as.base}/.well-known/oauth-authorization-server`,
    });
    const ok = await serve({ '/.well-known/oauth-authorization-server': big(60 * 1024) });
    await expect(discoverAuthorizationServer(ok.base, loopback)).resolves.toMatchObject({
      flavour: 'oauth2',
    });
  });

  it('oversized document sent chunked without Content-Length is cut off too', async () => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': (_q, r) => {
        r.writeHead(200, { 'content-type': 'application/json' });
        r.write('{"issuer":"');
        for (let i = 0; i < 100; i++) r.write('x'.repeat(1024));
        r.end('"}');
      },
    });
    await expect(discoverAuthorizationServer(as.base, loopback)).rejects.toMatchObject({
      code: 'ERR_RESPONSE_TOO_LARGE',
    });
  });

  it.each<[string, (q: IncomingMessage, r: ServerResponse, base: string) => void, string]>([
    ['non-JSON body', (_q, r) => send(r, '<html>login</html>'), 'ERR_INVALID_JSON'],
    ['a JSON array', (_q, r) => send(r, '[1,2]'), 'ERR_INVALID_JSON'],
    ['JSON null', (_q, r) => send(r, 'null'), 'ERR_INVALID_JSON'],
    [
      'truncated JSON',
      (_q, r, base) => send(r, JSON.stringify(doc(base)).slice(0, 30)),
      'ERR_INVALID_JSON',
    ],
    [
      'wrong content type',
      (_q, r, base) => {
        r.writeHead(200, { 'content-type': 'text/html' });
        r.end(JSON.stringify(doc(base)));
      },
      'ERR_CONTENT_TYPE',
    ],
    [
      'no content type',
      (_q, r, base) => {
        r.writeHead(200);
        r.end(JSON.stringify(doc(base)));
      },
      'ERR_CONTENT_TYPE',
    ],
    [
      'jwks_uri over plain http on another host',
      (_q, r, base) => send(r, doc(base, { jwks_uri: 'http://keys.example.com/jwks' })),
      'ERR_INVALID_METADATA',
    ],
    [
      'token_endpoint a javascript: URL',
      (_q, r, base) => send(r, doc(base, { token_endpoint: 'javascript:alert(1)' })),
      'ERR_INVALID_METADATA',
    ],
    [
      'token_endpoint a number',
      (_q, r, base) => send(r, doc(base, { token_endpoint: 42 })),
      'ERR_INVALID_METADATA',
    ],
    [
      'scopes_supported a string',
      (_q, r, base) => send(r, doc(base, { scopes_supported: 'a b' })),
      'ERR_INVALID_METADATA',
    ],
    [
      'code_challenge_methods_supported with a number',
      (_q, r, base) => send(r, doc(base, { code_challenge_methods_supported: ['S256', 1] })),
      'ERR_INVALID_METADATA',
    ],
    [
      'a boolean field as string',
      (_q, r, base) =>
        send(r, doc(base, { authorization_response_iss_parameter_supported: 'true' })),
      'ERR_INVALID_METADATA',
    ],
  ])('hostile document (%s) at both URLs -> %s', async (_name, handler, code) => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': handler,
      '/.well-known/openid-configuration': handler,
    });
    const error = await discoverAuthorizationServer(as.base, loopback).catch((e) => e);
    expect(error).toMatchObject({ name: 'DiscoveryError', code });
    expect(error.tried).toEqual([
      `${as.base}/.well-known/oauth-authorization-server`,
      `${as.base}/.well-known/openid-configuration`,
    ]);
  });

  it('an HTML page at the RFC 8414 URL (SPA catch-all) does not hide a valid OIDC document', async () => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': (_q, r) => {
        r.writeHead(200, { 'content-type': 'text/html' });
        r.end('<!doctype html><title>app</title>');
      },
      '/.well-known/openid-configuration': (_q, r, base) => send(r, doc(base)),
    });
    await expect(discoverAuthorizationServer(as.base, loopback)).resolves.toMatchObject({
      flavour: 'oidc',
    });
  });

  it('cross-origin redirect: ERR_CROSS_ORIGIN_REDIRECT, the other origin is never contacted', async () => {
    const evil = await serve({
      '/.well-known/oauth-authorization-server': (_q, r, base) => send(r, doc(base)),
    });
    const redirect = (_q: IncomingMessage, r: ServerResponse) => {
      r.writeHead(302, { location: `${evil.base}/.well-known/oauth-authorization-server` });
      r.end();
    };
    const as = await serve({
      '/.well-known/oauth-authorization-server': redirect,
      '/.well-known/openid-configuration': redirect,
    });
    const error = await discoverAuthorizationServer(as.base, loopback).catch((e) => e);
    expect(error).toMatchObject({ code: 'ERR_CROSS_ORIGIN_REDIRECT', status: 302 });
    expect(paths(as)).toEqual([
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
    ]);
    expect(evil.requests).toHaveLength(0);
  });

  it('same-origin redirect is followed', async () => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': (_q, r) => {
        r.writeHead(301, { location: '/metadata.json' });
        r.end();
      },
      '/metadata.json': (_q, r, base) => send(r, doc(base)),
    });
    const result = await discoverAuthorizationServer(as.base, loopback);
    expect(result.url).toBe(`${as.base}/metadata.json`);
    expect(result.tried).toEqual([`${as.base}/.well-known/oauth-authorization-server`]);
    expect(paths(as)).toEqual(['/.well-known/oauth-authorization-server', '/metadata.json']);
  });

  it('every URL 404: ERR_METADATA_NOT_FOUND listing them', async () => {
    const as = await serve({});
    const error = await discoverAuthorizationServer(`${as.base}/t`, loopback).catch((e) => e);
    expect(error).toMatchObject({ code: 'ERR_METADATA_NOT_FOUND', status: 404 });
    expect(error.message).toBe(
      `no authorization server metadata for ${as.base}/t found (${as.base}/.well-known/oauth-authorization-server/t -> HTTP 404, ${as.base}/.well-known/openid-configuration/t -> HTTP 404, ${as.base}/t/.well-known/openid-configuration -> HTTP 404)`,
    );
    expect(error.failures).toHaveLength(3);
  });

  it('connection reset mid-document: ERR_NETWORK, no further URL tried', async () => {
    const as = await serve({
      '/.well-known/oauth-authorization-server/t': (_q, r) => {
        r.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
        r.write('{"issuer":');
        setTimeout(() => r.socket?.destroy(), 20);
      },
    });
    const error = await discoverAuthorizationServer(`${as.base}/t`, loopback).catch((e) => e);
    expect(error).toMatchObject({
      code: 'ERR_NETWORK',
      tried: [`${as.base}/.well-known/oauth-authorization-server/t`],
    });
    expect(error.message).toContain(`authorization server metadata for ${as.base}/t:`);
    expect(paths(as)).toEqual(['/.well-known/oauth-authorization-server/t']);
  });

  it('connection refused: ERR_NETWORK after the first URL', async () => {
    const as = await serve({});
    await as.stop();
    servers.pop();
    const error = await discoverAuthorizationServer(as.base, loopback).catch((e) => e);
    expect(error).toMatchObject({
      code: 'ERR_NETWORK',
      tried: [`${as.base}/.well-known/oauth-authorization-server`],
    });
  });

  describe('PKCE', () => {
    it.each<[unknown, string | undefined]>([
      [['S256'], undefined],
      [['plain', 'S256'], undefined],
      [['plain'], 'ERR_PKCE_S256_UNSUPPORTED'],
      [[], 'ERR_PKCE_S256_UNSUPPORTED'],
      [['s256'], 'ERR_PKCE_S256_UNSUPPORTED'],
      [undefined, 'ERR_PKCE_METADATA_MISSING'],
    ])('code_challenge_methods_supported %j -> %s', async (methods, code) => {
      const as = await serve({
        '/.well-known/oauth-authorization-server': (_q, r, base) =>
          send(r, doc(base, { code_challenge_methods_supported: methods })),
      });
      const promise = discoverAuthorizationServer(as.base, loopback);
      if (code === undefined) await expect(promise).resolves.toMatchObject({ flavour: 'oauth2' });
      else await expect(promise).rejects.toMatchObject({ code });
      // A resource server does not care.
      await expect(
        discoverAuthorizationServer(as.base, { ...loopback, requirePkceS256: false }),
      ).resolves.toMatchObject({ flavour: 'oauth2' });
    });

    it('the override never accepts a document that lists methods without S256', async () => {
      const as = await serve({
        '/.well-known/oauth-authorization-server': (_q, r, base) =>
          send(r, doc(base, { code_challenge_methods_supported: ['plain'] })),
      });
      await expect(
        discoverAuthorizationServer(as.base, { ...loopback, allowMissingPkceMetadata: true }),
      ).rejects.toMatchObject({ code: 'ERR_PKCE_S256_UNSUPPORTED' });
    });

    it.each(['authorization_endpoint', 'token_endpoint'])(
      'a client needs %s; a resource server does not',
      async (field) => {
        const as = await serve({
          '/.well-known/oauth-authorization-server': (_q, r, base) => {
            const d: Record<string, unknown> = doc(base);
            delete d[field];
            send(r, d);
          },
        });
        await expect(discoverAuthorizationServer(as.base, loopback)).rejects.toMatchObject({
          code: 'ERR_INVALID_METADATA',
          field,
        });
        await expect(
          discoverAuthorizationServer(as.base, { ...loopback, requirePkceS256: false }),
        ).resolves.toMatchObject({ flavour: 'oauth2' });
      },
    );
  });

  describe('URL policy', () => {
    it('refuses a loopback http issuer without allowInsecureHttpForLoopback, without a request', async () => {
      const as = await serve({});
      await expect(discoverAuthorizationServer(as.base, { cache: false })).rejects.toMatchObject({
        code: 'ERR_INSECURE_URL',
      });
      expect(as.requests).toHaveLength(0);
    });

    it.each([
      ['http://as.example.com', 'ERR_INSECURE_URL'],
      ['https://as.example.com/?tenant=1', 'ERR_INVALID_URL'],
      ['https://as.example.com/#x', 'ERR_INVALID_URL'],
      ['https://user:pw@as.example.com', 'ERR_INVALID_URL'],
      ['as.example.com', 'ERR_INVALID_URL'],
      ['ftp://as.example.com', 'ERR_INVALID_URL'],
    ])('%s -> %s', async (issuer, code) => {
      await expect(
        discoverAuthorizationServer(issuer, { allowInsecureHttpForLoopback: true, cache: false }),
      ).rejects.toMatchObject({ code });
    });
  });

  describe('options are checked at the call', () => {
    it.each<[unknown, unknown, string]>([
      [42, {}, '"issuer" must be a string'],
      ['https://as.example.com', null, 'options must be an object'],
      ['https://as.example.com', { timeoutMs: 0 }, '"timeoutMs" must be a positive integer'],
      ['https://as.example.com', { maxBytes: -1 }, '"maxBytes" must be a positive integer'],
      ['https://as.example.com', { fetch: 'x' }, '"fetch" must be a function'],
      ['https://as.example.com', { requirePkceS256: 'no' }, '"requirePkceS256" must be a boolean'],
      [
        'https://as.example.com',
        { allowMissingPkceMetadata: 1 },
        '"allowMissingPkceMetadata" must be a boolean',
      ],
      [
        'https://as.example.com',
        { allowInsecureHttpForLoopback: 'yes' },
        '"allowInsecureHttpForLoopback" must be a boolean',
      ],
      ['https://as.example.com', { cache: {} }, '"cache" must be a cache'],
      [
        'https://as.example.com',
        { cacheTtlSeconds: 0 },
        '"cacheTtlSeconds" must be a positive integer',
      ],
      [
        'https://as.example.com',
        { failureTtlSeconds: 31 },
        '"failureTtlSeconds" must be at most 30',
      ],
    ])('%j %j -> TypeError', async (issuer, options, message) => {
      const error = await discoverAuthorizationServer(issuer as never, options as never).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain(message);
    });
  });
});

describe('discoverAuthorizationServer caching', () => {
  function clock(start = 1_700_000_000_000) {
    let t = start;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  }

  it('caches a success: a second call makes no request', async () => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': (_q, r, base) => send(r, doc(base)),
    });
    const cache = createCache<AuthorizationServerDiscovery>({ ttlSeconds: 3600 });
    const first = await discoverAuthorizationServer(as.base, {
      allowInsecureHttpForLoopback: true,
      cache,
    });
    const second = await discoverAuthorizationServer(as.base, {
      allowInsecureHttpForLoopback: true,
      cache,
    });
    expect(second).toEqual(first);
    expect(as.requests).toHaveLength(1);
    expect(Object.isFrozen(second.metadata)).toBe(true);
    await cache.close();
  });

  it('the default process-wide cache works too (and clearDiscoveryCache empties it)', async () => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': (_q, r, base) => send(r, doc(base)),
    });
    await discoverAuthorizationServer(as.base, { allowInsecureHttpForLoopback: true });
    await discoverAuthorizationServer(as.base, { allowInsecureHttpForLoopback: true });
    expect(as.requests).toHaveLength(1);
    await clearDiscoveryCache();
    await discoverAuthorizationServer(as.base, { allowInsecureHttpForLoopback: true });
    expect(as.requests).toHaveLength(2);
  });

  it('single flight: 20 concurrent calls make one discovery', async () => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': (_q, r, base) => {
        setTimeout(() => send(r, doc(base)), 100);
      },
    });
    const cache = createCache<AuthorizationServerDiscovery>({});
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        discoverAuthorizationServer(as.base, { allowInsecureHttpForLoopback: true, cache }),
      ),
    );
    expect(new Set(results.map((r) => r.url)).size).toBe(1);
    expect(as.requests).toHaveLength(1);
    await cache.close();
  });

  it.each<[string | undefined, number, boolean]>([
    [undefined, 3599_000, false], // default: one hour
    [undefined, 3601_000, true],
    ['public, max-age=60', 59_000, false],
    ['public, max-age=60', 61_000, true],
    ['max-age=86400', 3599_000, false], // capped at one hour
    ['max-age=86400', 3601_000, true],
    ['no-store', 1, true],
    ['no-cache', 1, true],
    ['max-age=0', 1, true],
  ])('Cache-Control %s: after %i ms refetched=%s', async (cacheControl, after, refetched) => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': (_q, r, base) =>
        send(r, doc(base), cacheControl ? { 'cache-control': cacheControl } : {}),
    });
    const c = clock();
    const cache = createCache<AuthorizationServerDiscovery>({ ttlSeconds: 86400, now: c.now });
    await discoverAuthorizationServer(as.base, { allowInsecureHttpForLoopback: true, cache });
    c.advance(after);
    await discoverAuthorizationServer(as.base, { allowInsecureHttpForLoopback: true, cache });
    expect(as.requests).toHaveLength(refetched ? 2 : 1);
    await cache.close();
  });

  it('cacheTtlSeconds lowers the ceiling', async () => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': (_q, r, base) => send(r, doc(base)),
    });
    const c = clock();
    const cache = createCache<AuthorizationServerDiscovery>({ now: c.now });
    const o = { allowInsecureHttpForLoopback: true, cache, cacheTtlSeconds: 10 };
    await discoverAuthorizationServer(as.base, o);
    c.advance(11_000);
    await discoverAuthorizationServer(as.base, o);
    expect(as.requests).toHaveLength(2);
    await cache.close();
  });

  it('caches a failure for 30 s at most, then tries again', async () => {
    let up = false;
    const as = await serve({
      '/.well-known/oauth-authorization-server': (_q, r, base) => {
        if (up) return send(r, doc(base));
        r.writeHead(503);
        r.end();
      },
    });
    const c = clock();
    const cache = createCache<AuthorizationServerDiscovery>({
      now: c.now,
      negative: { ttlSeconds: 3600 },
    });
    const o = { allowInsecureHttpForLoopback: true, cache };
    await expect(discoverAuthorizationServer(as.base, o)).rejects.toMatchObject({
      code: 'ERR_METADATA_NOT_FOUND',
    });
    const requests = as.requests.length;
    up = true;
    c.advance(29_000);
    await expect(discoverAuthorizationServer(as.base, o)).rejects.toMatchObject({
      code: 'ERR_METADATA_NOT_FOUND',
    });
    expect(as.requests).toHaveLength(requests);
    c.advance(2_000);
    await expect(discoverAuthorizationServer(as.base, o)).resolves.toMatchObject({
      flavour: 'oauth2',
    });
    await cache.close();
  });

  it('the PKCE decision is per call, not cached: a resource server and a client share one discovery', async () => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': (_q, r, base) => {
        const { code_challenge_methods_supported: _x, ...rest } = doc(base);
        send(r, rest);
      },
    });
    const cache = createCache<AuthorizationServerDiscovery>({});
    const o = { allowInsecureHttpForLoopback: true, cache };
    await expect(
      discoverAuthorizationServer(as.base, { ...o, requirePkceS256: false }),
    ).resolves.toMatchObject({ flavour: 'oauth2', metadata: { issuer: as.base } });
    await expect(discoverAuthorizationServer(as.base, o)).rejects.toMatchObject({
      code: 'ERR_PKCE_METADATA_MISSING',
    });
    await expect(
      discoverAuthorizationServer(as.base, { ...o, allowMissingPkceMetadata: true }),
    ).resolves.toMatchObject({ flavour: 'oauth2', metadata: { issuer: as.base } });
    expect(as.requests).toHaveLength(1);
    await cache.close();
  });

  it('cache: false fetches every time', async () => {
    const as = await serve({
      '/.well-known/oauth-authorization-server': (_q, r, base) => send(r, doc(base)),
    });
    await discoverAuthorizationServer(as.base, loopback);
    await discoverAuthorizationServer(as.base, loopback);
    expect(as.requests).toHaveLength(2);
  });
});
