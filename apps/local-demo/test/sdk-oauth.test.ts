/**
 * The official SDK client's OWN OAuth flow against the local demo, non-interactively: what the MCP
 * Inspector and SDK-based clients do. The SDK finds the protected resource metadata from the 401,
 * discovers the authorization server, registers itself dynamically (sending `scope`), starts the
 * authorization with PKCE S256, `state` and `resource`; the "browser" part is plain HTTP (the local
 * authorization server approves automatically), then the SDK redeems the code and calls `whoami`.
 * Over Streamable HTTP (`/mcp`) and the deprecated SSE (`/mcp/sse`), on both SDK lines.
 */
import { type DemoApp, startDemoApp } from '@mcp-auth/app-demo-kit';
import {
  Client as ClientV2,
  SSEClientTransport as SseV2,
  StreamableHTTPClientTransport as StreamableV2,
  UnauthorizedError as UnauthorizedErrorV2,
} from '@modelcontextprotocol/client';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { local } from '../src/provider.js';
import { MemoryOAuthProvider } from './sdk-oauth-client.js';

let app: DemoApp;

beforeAll(async () => {
  app = await startDemoApp(local, { env: { PORT: '0' } });
}, 60_000);
afterAll(async () => {
  await app?.close();
});

/** A live session of `kind` whose principal (issuer, subject, client) is this provider's client. */
function hasSession(kind: 'streamable-http' | 'sse', provider: MemoryOAuthProvider): boolean {
  const clientId = String(provider.client?.['client_id']);
  return app.handler
    .sessions()
    .some((s) => s.transport === kind && s.principal.endsWith(`\u0000${clientId}`));
}

type V1Transport = StreamableHTTPClientTransport | SSEClientTransport;

function v1Transport(kind: 'streamable-http' | 'sse', provider: MemoryOAuthProvider): V1Transport {
  const authProvider = provider as never;
  return kind === 'sse'
    ? new SSEClientTransport(new URL(app.sseUrl), { authProvider })
    : new StreamableHTTPClientTransport(new URL(app.mcpUrl), { authProvider });
}

/** The first authorization request the SDK built, checked parameter by parameter. */
function expectAuthorizationRequest(provider: MemoryOAuthProvider, scope: string): void {
  const url = provider.authorizationUrls.at(-1)!;
  const authorizationEndpoint = app.emulation!.endpoints.authorization;
  expect(`${url.origin}${url.pathname}`).toBe(authorizationEndpoint);
  const p = url.searchParams;
  expect(p.get('response_type')).toBe('code');
  expect(p.get('client_id')).toBe(provider.client?.['client_id']);
  expect(p.get('redirect_uri')).toBe(provider.redirectUrl);
  expect(p.get('code_challenge_method')).toBe('S256');
  expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(p.get('state')).toBe(provider.states.at(-1));
  // RFC 8707: the resource from the protected resource metadata, covering both endpoints.
  expect(p.get('resource')).toBe(app.resourceUri);
  // The challenge's scope.
  expect(p.get('scope')).toBe(scope);
}

describe('the official SDK client (v1, @modelcontextprotocol/sdk) signs itself in', () => {
  it.each(['streamable-http', 'sse'] as const)(
    'over %s: 401 → discovery → registration with scope → PKCE + resource → code → whoami',
    async (kind) => {
      const provider = new MemoryOAuthProvider(`sdk-v1-${kind}`);

      // 1. Connecting without a token: the SDK runs discovery and registration, then sends the
      //    user to the authorization server and stops with UnauthorizedError.
      const first = new Client({ name: 'sdk-oauth-e2e', version: '1.0.0' });
      const transport = v1Transport(kind, provider);
      await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
      expect(provider.client?.['client_id']).toEqual(expect.any(String));
      // The registration carried `scope` (the local server echoes the scope it accepted).
      expect(provider.client?.['scope']).toBe('mcp:tools');
      expect(provider.saved).toBeUndefined();
      expect(provider.authorizationUrls).toHaveLength(1);
      expectAuthorizationRequest(provider, 'mcp:tools');

      // 2. The browser part, then the SDK redeems the code (with the PKCE verifier and resource).
      const callback = await provider.followAuthorization();
      expect(callback.iss).toBe(app.issuer); // RFC 9207
      await transport.finishAuth(callback.code);
      expect(provider.saved?.['token_type']).toMatch(/^bearer$/i);
      expect(provider.accessTokenClaims()).toMatchObject({
        iss: app.issuer,
        aud: app.resourceUri,
        sub: 'user-1',
        client_id: provider.client?.['client_id'],
        scope: 'mcp:tools',
      });

      // 3. Connected with the token, on the endpoint asked for.
      const client = new Client({ name: 'sdk-oauth-e2e', version: '1.0.0' });
      await client.connect(v1Transport(kind, provider));
      try {
        const who = await client.callTool({ name: 'whoami', arguments: {} });
        expect(who.isError).toBeFalsy();
        expect(who.structuredContent).toMatchObject({
          subject: 'user-1',
          clientId: provider.client?.['client_id'],
          scopes: ['mcp:tools'],
          issuer: app.issuer,
        });
        // The server holds a session of this transport bound to this client's principal.
        expect(hasSession(kind, provider)).toBe(true);
      } finally {
        await client.close();
      }
      // One authorization in all: no second registration, no second redirect.
      expect(provider.authorizationUrls).toHaveLength(1);
    },
    30_000,
  );

  it('over Streamable HTTP, steps up on 403 insufficient_scope: re-authorizes with every scope the call needs', async () => {
    // No refresh token: SDK 1.32 answers a 403 by refreshing when it holds one, and a refresh
    // cannot widen the scope, so it would give up ("403 after trying upscoping").
    const provider = new MemoryOAuthProvider('sdk-v1-step-up', ['authorization_code']);
    const transport = v1Transport('streamable-http', provider) as StreamableHTTPClientTransport;
    const client = new Client({ name: 'sdk-oauth-e2e', version: '1.0.0' });
    await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    await transport.finishAuth((await provider.followAuthorization()).code);
    const session = v1Transport('streamable-http', provider) as StreamableHTTPClientTransport;
    await client.connect(session);
    try {
      // server_stats needs mcp:admin too: 403 → the SDK asks for "mcp:tools mcp:admin".
      await expect(client.callTool({ name: 'server_stats', arguments: {} })).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
      expect(provider.authorizationUrls).toHaveLength(2);
      expectAuthorizationRequest(provider, 'mcp:tools mcp:admin');
      await session.finishAuth((await provider.followAuthorization()).code);
      expect(provider.accessTokenClaims()['scope']).toBe('mcp:tools mcp:admin');
      // The same session goes on with the new token (same issuer, subject and client).
      const stats = await client.callTool({ name: 'server_stats', arguments: {} });
      expect(stats.isError).toBeFalsy();
      expect(stats.structuredContent).toMatchObject({ sessions: expect.any(Number) });
    } finally {
      await client.close();
    }
  }, 30_000);
});

describe('the v2 SDK client (@modelcontextprotocol/client 2.x) signs itself in', () => {
  function v2Transport(kind: 'streamable-http' | 'sse', provider: MemoryOAuthProvider) {
    const authProvider = provider as never;
    return kind === 'sse'
      ? new SseV2(new URL(app.sseUrl), { authProvider })
      : new StreamableV2(new URL(app.mcpUrl), { authProvider });
  }

  it.each(['streamable-http', 'sse'] as const)(
    'over %s: the same flow, the RFC 9207 iss checked by the SDK, then whoami',
    async (kind) => {
      const provider = new MemoryOAuthProvider(`sdk-v2-${kind}`);
      const transport = v2Transport(kind, provider);
      const first = new ClientV2({ name: 'sdk-oauth-e2e-v2', version: '2.0.0' });
      await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedErrorV2);
      // The v2 line adds offline_access (for a refresh token) when the server lists it.
      expect(provider.client?.['scope']).toBe('mcp:tools offline_access');
      expectAuthorizationRequest(provider, 'mcp:tools offline_access');
      const callback = await provider.followAuthorization();
      // The callback's parameters as they arrived: the SDK checks iss against the issuer it recorded.
      await transport.finishAuth(callback.url.searchParams);
      expect(provider.accessTokenClaims()).toMatchObject({ aud: app.resourceUri, sub: 'user-1' });

      const client = new ClientV2({ name: 'sdk-oauth-e2e-v2', version: '2.0.0' });
      await client.connect(v2Transport(kind, provider));
      try {
        const who = await client.callTool({ name: 'whoami', arguments: {} });
        expect(who.structuredContent).toMatchObject({
          subject: 'user-1',
          clientId: provider.client?.['client_id'],
          scopes: ['mcp:tools'],
        });
        expect(hasSession(kind, provider)).toBe(true);
      } finally {
        await client.close();
      }
    },
    30_000,
  );

  it('refuses a callback whose iss is another issuer (mix-up, RFC 9207) and redeems nothing', async () => {
    const provider = new MemoryOAuthProvider('sdk-v2-mixup');
    const transport = new StreamableV2(new URL(app.mcpUrl), { authProvider: provider as never });
    const client = new ClientV2({ name: 'sdk-oauth-e2e-v2', version: '2.0.0' });
    await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedErrorV2);
    const callback = await provider.followAuthorization();
    const forged = new URLSearchParams(callback.url.searchParams);
    forged.set('iss', 'https://attacker.example');
    await expect(transport.finishAuth(forged)).rejects.toThrow();
    expect(provider.saved).toBeUndefined();
  }, 30_000);
});
