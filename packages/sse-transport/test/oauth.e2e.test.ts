/**
 * End to end with real tokens: the local authorization server (oidc-provider) issues them through
 * real grants, the official SDK client talks to our server over SSE.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import type { CallbackResult } from '../src/types.js';
import {
  followAuthorization,
  openStream,
  postMessage,
  rawRequest,
  whoamiServer,
} from './helpers.js';

let das: DevAuthServer;
let provider: OAuthProvider;
let server: SseServer;
let base: string;
let resource: string;
let prmUrl: string;
let alice: string; // user alice via the public client (authorization code + PKCE)
let bob: string; // user bob via the confidential client
let writeOnly: string; // alice, but only mcp:write
let foreign: string; // a token for another resource on the same authorization server
const callbacks: CallbackResult[] = [];

beforeAll(async () => {
  const port = await getFreePort();
  base = `http://127.0.0.1:${port}`;
  resource = `${base}/sse`;
  prmUrl = `${base}/.well-known/oauth-protected-resource/sse`;
  das = await startAuthServer({
    resources: [
      { uri: resource, scopes: ['mcp:read', 'mcp:write'] },
      { uri: 'http://127.0.0.1:1/other', scopes: ['mcp:read'] },
    ],
    users: [
      { sub: 'alice', password: 'alice-pw', email: 'alice@example.com' },
      { sub: 'bob', password: 'bob-pw', email: 'bob@example.com' },
    ],
  });
  provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: resource,
    requiredScopes: ['mcp:read'],
    clientId: das.clients.confidential.clientId,
    clientSecret: das.clients.confidential.clientSecret,
    resourceName: 'E2E MCP server',
    allowInsecureHttpForLoopback: true,
  });
  server = createServer({
    port,
    auth: { provider },
    // A browser app on another origin, and a Host the flow test below sends (it must not leak
    // into the redirect URI even when the Host check lets it through).
    allowedOrigins: ['https://app.example'],
    allowedHosts: ['evil.example'],
    createMcpServer: () => whoamiServer(),
    oauth: {
      onCallback: (result, _req, res) => {
        callbacks.push(result);
        res.writeHead(303, { location: '/done' }).end();
      },
    },
  });
  await server.listen();
  const [a, b, w, f] = await Promise.all([
    das.authorizationCodeFlow({ resource, user: 'alice', scope: 'mcp:read' }),
    das.authorizationCodeFlow({
      resource,
      user: 'bob',
      scope: 'mcp:read mcp:write',
      clientId: das.clients.confidential.clientId,
      clientSecret: das.clients.confidential.clientSecret,
    }),
    das.authorizationCodeFlow({ resource, user: 'alice', scope: 'mcp:write' }),
    das.authorizationCodeFlow({
      resource: 'http://127.0.0.1:1/other',
      user: 'alice',
      scope: 'mcp:read',
    }),
  ]);
  alice = a.access_token;
  bob = b.access_token;
  writeOnly = w.access_token;
  foreign = f.access_token;
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await das?.stop();
});

describe('the SDK client over SSE with a bearer token', () => {
  it('initializes, lists tools, and whoami reads extra.authInfo', async () => {
    const client = new Client({ name: 'e2e-client', version: '1.0.0' });
    const headers = { Authorization: `Bearer ${alice}` };
    const transport = new SSEClientTransport(new URL('/sse', base), {
      requestInit: { headers },
      eventSourceInit: {
        fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, ...headers } }),
      },
    });
    await client.connect(transport);
    expect(client.getServerVersion()).toEqual({ name: 'test', version: '1.0.0' });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['whoami']);
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    expect(JSON.parse((result.content as { text: string }[])[0]!.text)).toEqual({
      subject: 'alice',
      clientId: 'mcp-public',
      scopes: ['mcp:read'],
    });
    await client.close();
  });

  it('a different client and user sees their own identity', async () => {
    const client = new Client({ name: 'e2e-client', version: '1.0.0' });
    const transport = new SSEClientTransport(new URL('/sse', base), {
      requestInit: { headers: { Authorization: `Bearer ${bob}` } },
    });
    await client.connect(transport);
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    expect(JSON.parse((result.content as { text: string }[])[0]!.text)).toEqual({
      subject: 'bob',
      clientId: 'mcp-confidential',
      scopes: ['mcp:read', 'mcp:write'],
    });
    await client.close();
  });
});

describe('challenges (literal headers)', () => {
  it('401 without a token: resource_metadata and scope, no error', async () => {
    for (const [method, path] of [
      ['GET', '/sse'],
      ['POST', '/messages?sessionId=x'],
    ] as const) {
      const res = await rawRequest(`${base}${path}`, { method });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(
        `Bearer scope="mcp:read", resource_metadata="${prmUrl}"`,
      );
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(Object.keys(JSON.parse(res.body)).sort()).toEqual(['error', 'error_description']);
    }
  });

  it('401 invalid_token for a forged, a foreign-audience and a non-Bearer token', async () => {
    const forged = `${alice.slice(0, -4)}AAAA`;
    for (const token of [forged, foreign]) {
      const res = await rawRequest(`${base}/sse`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(res.headers['www-authenticate']).toContain(`resource_metadata="${prmUrl}"`);
      expect(JSON.parse(res.body).error).toBe('invalid_token');
    }
  });

  it('400 invalid_request for a malformed Authorization header', async () => {
    const res = await rawRequest(`${base}/sse`, { headers: { authorization: 'Bearer a b' } });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toBe('invalid_request');
  });

  it('403 insufficient_scope lists the required scope', async () => {
    const res = await rawRequest(`${base}/sse`, {
      headers: { authorization: `Bearer ${writeOnly}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer error="insufficient_scope", scope="mcp:read", resource_metadata="${prmUrl}", error_description="The token lacks a required scope"`,
    );
    expect(JSON.parse(res.body).error).toBe('insufficient_scope');
  });
});

describe('protected resource metadata', () => {
  it.each(['/.well-known/oauth-protected-resource/sse', '/.well-known/oauth-protected-resource'])(
    'is public at %s',
    async (path) => {
      const res = await rawRequest(`${base}${path}`, {
        headers: { origin: 'https://app.example' },
      });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(JSON.parse(res.body)).toMatchObject({
        resource,
        authorization_servers: [das.issuer],
        scopes_supported: ['mcp:read'],
        bearer_methods_supported: ['header'],
        resource_name: 'E2E MCP server',
      });
    },
  );
});

describe('CORS with real challenges', () => {
  it('preflight needs no token and allows Authorization', async () => {
    const res = await rawRequest(`${base}/sse`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-headers']).toMatch(/(^|, )Authorization(,|$)/);
  });

  it('a browser can read WWW-Authenticate on a 401', async () => {
    const res = await rawRequest(`${base}/sse`, { headers: { origin: 'https://app.example' } });
    expect(res.status).toBe(401);
    // Mcp-Session-Id too: browser clients of the Streamable HTTP endpoint read it.
    expect(res.headers['access-control-expose-headers']).toBe(
      'WWW-Authenticate, Mcp-Session-Id, Retry-After, DPoP-Nonce',
    );
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
  });
});

describe('sessions with real tokens', () => {
  it('refuses a session hijack with another user’s valid token (403), delivering nothing', async () => {
    const stream = await openStream(`${base}/sse`, { authorization: `Bearer ${alice}` });
    expect(stream.status).toBe(200);
    const hijack = await postMessage(
      base,
      stream.endpoint!,
      {
        jsonrpc: '2.0',
        id: 'evil',
        method: 'tools/call',
        params: { name: 'whoami', arguments: {} },
      },
      { authorization: `Bearer ${bob}` },
    );
    expect(hijack.status).toBe(403);
    expect(JSON.parse(hijack.body)).toEqual({
      error: 'access_denied',
      error_description: 'This session belongs to another principal',
    });
    const own = await postMessage(
      base,
      stream.endpoint!,
      { jsonrpc: '2.0', id: 'mine', method: 'ping' },
      { authorization: `Bearer ${alice}` },
    );
    expect(own.status).toBe(202);
    const reply = await stream.next('message');
    expect(JSON.parse(reply.data)).toEqual({ jsonrpc: '2.0', id: 'mine', result: {} });
    expect(stream.events).toEqual([]);
    stream.close();
  });

  it.each([
    [
      'oversized body',
      { 'content-type': 'application/json' },
      `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"p":"${'x'.repeat(4 * 1024 * 1024)}"}}`,
      413,
    ],
    ['bad JSON', { 'content-type': 'application/json' }, '{"jsonrpc":"2.0",', 400],
    ['not JSON-RPC', { 'content-type': 'application/json' }, '{"id":1}', 400],
    [
      'wrong content type',
      { 'content-type': 'text/plain' },
      '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      415,
    ],
  ])('%s', async (_name, headers, body, status) => {
    const stream = await openStream(`${base}/sse`, { authorization: `Bearer ${alice}` });
    const res = await rawRequest(`${base}${stream.endpoint}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, ...headers },
      body,
    });
    expect(res.status).toBe(status);
    stream.close();
  });

  it('unknown session → 404 (after authentication)', async () => {
    const res = await postMessage(
      base,
      '/messages?sessionId=nope',
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { authorization: `Bearer ${alice}` },
    );
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body).error).toBe('session_not_found');
  });
});

/** Follows the flow like a browser (without one): our /oauth/authorize → AS → our callback. */
async function browserFlow(extraHeaders: Record<string, string> = {}) {
  const start = await rawRequest(`${base}/oauth/authorize`, { headers: extraHeaders });
  expect(start.status).toBe(302);
  const cookie = String(start.headers['set-cookie']).split(';')[0]!;
  const authorizationUrl = new URL(start.headers.location!);
  // The non-interactive authorization server redirects (through its own interaction steps) back to us.
  const location = await followAuthorization(authorizationUrl.href, base);
  return { start, cookie, authorizationUrl, callbackUrl: location };
}

describe('the browser OAuth flow', () => {
  it('redirects with PKCE S256, resource, state and the configured redirect URI, whatever Host says', async () => {
    const { start, authorizationUrl } = await browserFlow({
      host: 'evil.example',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    });
    const p = authorizationUrl.searchParams;
    expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(das.endpoints.authorization);
    expect(p.get('response_type')).toBe('code');
    expect(p.get('client_id')).toBe('mcp-confidential');
    expect(p.get('redirect_uri')).toBe(`${base}/oauth/callback`);
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('resource')).toBe(resource);
    expect(p.get('scope')).toBe('mcp:read');
    // The state is authenticated and carries its expiry (50 characters, see src/oauth/flow-state.ts).
    expect(p.get('state')).toMatch(/^[A-Za-z0-9_-]{50}$/);
    expect(start.headers['set-cookie']).toEqual([
      `mcp_oauth_state=${p.get('state')}; Path=/oauth/callback; Max-Age=600; HttpOnly; SameSite=Lax`,
    ]);
    expect(start.headers['cache-control']).toBe('no-store');
  });

  it('completes the flow, validates the token, never shows it, and refuses a replayed state', async () => {
    const { cookie, callbackUrl } = await browserFlow();
    expect(callbackUrl).toMatch(new RegExp(`^${base}/oauth/callback\\?code=`));
    expect(new URL(callbackUrl).searchParams.get('iss')).toBe(das.issuer);
    const before = callbacks.length;
    const done = await rawRequest(callbackUrl, { headers: { cookie } });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/done');
    expect(callbacks).toHaveLength(before + 1);
    const result = callbacks.at(-1)!;
    expect(result.authInfo.extra?.['subject']).toBe('alice'); // the default (first) user
    expect(result.authInfo.clientId).toBe('mcp-confidential');
    expect(result.authInfo.scopes).toEqual(['mcp:read']);
    expect(done.body).not.toContain(result.tokens.access_token);
    expect(String(done.headers['set-cookie'])).toContain(
      'mcp_oauth_state=; Path=/oauth/callback; Max-Age=0',
    );

    const replay = await rawRequest(callbackUrl, { headers: { cookie } });
    expect(replay.status).toBe(400);
    expect(replay.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(replay.body).toContain('Unknown, expired or already used state');
    expect(callbacks).toHaveLength(before + 1);
  });

  it('refuses a callback from a browser that did not start the flow (no or another cookie)', async () => {
    const { callbackUrl } = await browserFlow();
    const attempts: Record<string, string>[] = [
      {},
      { cookie: 'mcp_oauth_state=someone-elses-state-value-xxxxxxxxxxxxxxxx' },
    ];
    for (const headers of attempts) {
      const res = await rawRequest(callbackUrl, { headers });
      expect(res.status).toBe(400);
      expect(res.body).toContain('This authorization was not started from this browser');
    }
  });

  it('escapes an XSS attempt in error_description and sends a strict CSP', async () => {
    const { start, cookie } = await browserFlow();
    const state = new URL(start.headers.location!).searchParams.get('state')!;
    const payload = '<script>alert(document.cookie)</script><img src=x onerror=alert(1)>"\'';
    const url = new URL('/oauth/callback', base);
    url.searchParams.set('state', state);
    url.searchParams.set('error', 'access_denied<svg onload=alert(1)>');
    url.searchParams.set('error_description', payload);
    url.searchParams.set('iss', das.issuer);
    const res = await rawRequest(url.href, { headers: { cookie } });
    expect(res.status).toBe(400);
    expect(res.body).not.toMatch(/<script|<img|<svg|onerror=|onload=/i);
    expect(res.body).toContain('&lt;script&gt;alert(document.cookie)&lt;&#47;script&gt;');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // The failed callback ends the flow in this browser (its cookie is cleared); it records nothing
    // on the server (only successful callbacks do, so failures cannot fill the used-state set).
    expect(res.headers['set-cookie']).toEqual([
      'mcp_oauth_state=; Path=/oauth/callback; Max-Age=0; HttpOnly; SameSite=Lax',
    ]);
  });
});

describe('OAuthProvider.handleCallback (RFC 9207 and code exchange)', () => {
  it('refuses an iss that is not the issuer, and a missing iss when the server promises one', async () => {
    for (const iss of ['http://127.0.0.1:1/evil', null]) {
      const flow = await provider.startAuthorizationFlow();
      await expect(
        provider.handleCallback('code', flow.state, undefined, { iss }),
      ).rejects.toMatchObject({
        code: 'ERR_OAUTH_ISSUER_MISMATCH',
      });
    }
  });

  it('refuses a redirect URI other than the configured one', async () => {
    const flow = await provider.startAuthorizationFlow();
    await expect(
      provider.handleCallback('code', flow.state, 'http://127.0.0.1:9/oauth/callback'),
    ).rejects.toMatchObject({ code: 'ERR_OAUTH_REDIRECT_URI_MISMATCH' });
    await expect(
      provider.startAuthorizationFlow('https://evil.example/oauth/callback'),
    ).rejects.toMatchObject({
      code: 'ERR_OAUTH_REDIRECT_URI_MISMATCH',
    });
  });

  it('maps a refused code to ERR_OAUTH_TOKEN_EXCHANGE_FAILED with the OAuth error', async () => {
    const flow = await provider.startAuthorizationFlow();
    await expect(
      provider.handleCallback('not-a-real-code', flow.state, undefined, { iss: das.issuer }),
    ).rejects.toMatchObject({
      code: 'ERR_OAUTH_TOKEN_EXCHANGE_FAILED',
      oauthError: 'invalid_grant',
    });
  });
});

describe('interop with the official SDK client OAuth flow', () => {
  it('an SDK client without a token follows our 401 (resource_metadata, scope) to a working session', async () => {
    const redirectUrl = 'http://127.0.0.1:1/callback'; // never listened on: we read the code from the redirect
    let tokens: Awaited<ReturnType<OAuthClientProvider['tokens']>>;
    let verifier = '';
    let authorizationUrl: URL | undefined;
    const authProvider: OAuthClientProvider = {
      get redirectUrl() {
        return redirectUrl;
      },
      get clientMetadata() {
        return {
          redirect_uris: [redirectUrl],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          client_name: 'sdk-interop',
        };
      },
      clientInformation: () => ({ client_id: das.clients.public.clientId }),
      tokens: () => tokens,
      saveTokens: (t) => {
        tokens = t;
      },
      redirectToAuthorization: (url) => {
        authorizationUrl = url;
      },
      saveCodeVerifier: (v) => {
        verifier = v;
      },
      codeVerifier: () => verifier,
    };
    const first = new SSEClientTransport(new URL('/sse', base), { authProvider });
    await expect(new Client({ name: 'sdk', version: '1' }).connect(first)).rejects.toThrow(
      /Unauthorized/,
    );
    expect(authorizationUrl).toBeDefined();
    expect(authorizationUrl!.searchParams.get('resource')).toBe(resource);
    expect(authorizationUrl!.searchParams.get('scope')).toBe('mcp:read');
    const callback = new URL(
      await followAuthorization(authorizationUrl!.href, 'http://127.0.0.1:1/'),
    );
    await first.finishAuth(callback.searchParams.get('code')!);
    expect(tokens?.access_token).toBeTruthy();

    const client = new Client({ name: 'sdk', version: '1' });
    await client.connect(new SSEClientTransport(new URL('/sse', base), { authProvider }));
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    expect(JSON.parse((result.content as { text: string }[])[0]!.text)).toEqual({
      subject: 'alice',
      clientId: 'mcp-public',
      scopes: ['mcp:read'],
    });
    await client.close();
  });
});
