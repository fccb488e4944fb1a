/**
 * The browser flow's default pages and hooks, and what happens when the authorization server is
 * unreachable or issues a token this server does not accept.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createServer,
  OAuthProvider,
  type OAuthProviderOptions,
  type SseServer,
  type SseServerOptions,
} from '../src/index.js';
import { followAuthorization, rawRequest } from './helpers.js';

let das: DevAuthServer;
let port: number;
let base: string;
let server: SseServer | undefined;
let provider: OAuthProvider | undefined;

beforeAll(async () => {
  port = await getFreePort();
  base = `http://127.0.0.1:${port}`;
  das = await startAuthServer({
    resources: [{ uri: `${base}/sse`, scopes: ['mcp:read', 'mcp:write'] }],
  });
});

afterEach(async () => {
  await server?.close();
  await provider?.close();
  server = undefined;
  provider = undefined;
});

afterAll(async () => {
  await das?.stop();
});

async function start(
  providerOptions: Partial<OAuthProviderOptions> = {},
  serverOptions: Partial<SseServerOptions> = {},
) {
  provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: `${base}/sse`,
    requiredScopes: ['mcp:read'],
    clientId: das.clients.public.clientId, // a public client: PKCE only
    allowInsecureHttpForLoopback: true,
    ...providerOptions,
  });
  server = createServer({
    port,
    auth: { provider },
    createMcpServer: () => new McpServer({ name: 'f', version: '1' }),
    ...serverOptions,
  });
  await server.listen();
}

async function runFlow() {
  const startRes = await rawRequest(`${base}/oauth/authorize`);
  expect(startRes.status).toBe(302);
  const cookie = String(startRes.headers['set-cookie']).split(';')[0]!;
  const callbackUrl = await followAuthorization(startRes.headers.location!, base);
  return rawRequest(callbackUrl, { headers: { cookie } });
}

describe('default pages', () => {
  it('shows a plain success page without tokens, with a public client', async () => {
    await start();
    const res = await runFlow();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('Authorization complete');
    expect(res.body).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT anywhere
  });

  it('rejects (502 ERR_OAUTH_TOKEN_INVALID) a token that lacks what this server requires, and shows no token', async () => {
    const errors: unknown[] = [];
    await start(
      { requiredScopes: ['mcp:write'], authorizationScopes: ['mcp:read'] },
      {
        oauth: {
          onError: (error, _req, res) => {
            errors.push(error);
            res.writeHead(502, { 'content-type': 'text/plain' }).end('failed');
          },
        },
      },
    );
    const res = await runFlow();
    expect(res.status).toBe(502);
    expect(res.body).toBe('failed');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_OAUTH_TOKEN_INVALID', status: 502 });
    expect((errors[0] as Error).message).toContain('ERR_INSUFFICIENT_SCOPE');
  });
});

describe('authorization server unreachable', () => {
  it('answers 503 on /oauth/authorize and on protected endpoints, without crashing', async () => {
    const deadPort = await getFreePort();
    await start({ authorizationServer: `http://127.0.0.1:${deadPort}` });
    const authorize = await rawRequest(`${base}/oauth/authorize`);
    expect(authorize.status).toBe(503);
    expect(authorize.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(authorize.headers['set-cookie']).toBeUndefined();
    const token = await das.getToken({ resource: `${base}/sse`, scope: 'mcp:read' });
    const sse = await rawRequest(`${base}/sse`, { headers: { authorization: `Bearer ${token}` } });
    expect(sse.status).toBe(503);
    expect(Number(sse.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(sse.body).error).toBe('temporarily_unavailable');
    await expect(provider!.startAuthorizationFlow()).rejects.toMatchObject({
      code: 'ERR_OAUTH_SERVER_UNAVAILABLE',
    });
  });
});

describe('OAuthProvider options', () => {
  it.each([
    [{ authorizationServer: 'not a url' }, /"authorizationServer"/],
    [{ resourceUri: '/relative' }, /"resourceUri"/],
    [{ clientSecret: 'x', clientId: undefined }, /"clientSecret" needs "clientId"/],
    [{ clientId: '' }, /"clientId"/],
    [{ callbackPath: 'cb' }, /"callbackPath"/],
    [
      { redirectUri: 'http://127.0.0.1:1/other' },
      /"redirectUri" must be "callbackPath"|path of "redirectUri"/,
    ],
    [{ redirectUri: 'http://127.0.0.1:1/oauth/callback?x=1' }, /no query/],
    [{ redirectUri: 'http://app.example/oauth/callback' }, /must be https/],
    [{ requiredScopes: ['a b'] }, /"requiredScopes"/],
    [{ requiredScopes: 'mcp:read' }, /"requiredScopes"/],
    [{ tokenCacheTTL: -1 }, /"tokenCacheTTL"/],
    [{ additionalAuthorizationParameters: { state: 'x' } }, /cannot set "state"/],
    [{ additionalAuthorizationParameters: { resource: 'https://other' } }, /cannot set "resource"/],
  ])('rejects %j with a TypeError naming the option', (options, message) => {
    const make = () =>
      new OAuthProvider({
        authorizationServer: das.issuer,
        resourceUri: `${base}/sse`,
        clientId: 'c',
        allowInsecureHttpForLoopback: true,
        ...(options as Partial<OAuthProviderOptions>),
      });
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });

  it('refuses an http resource without allowInsecureHttpForLoopback', () => {
    expect(
      () => new OAuthProvider({ authorizationServer: das.issuer, resourceUri: `${base}/sse` }),
    ).toThrow(TypeError);
  });

  it('without clientId there is no flow', async () => {
    const p = new OAuthProvider({
      authorizationServer: das.issuer,
      resourceUri: `${base}/sse`,
      allowInsecureHttpForLoopback: true,
    });
    await expect(p.startAuthorizationFlow()).rejects.toMatchObject({
      code: 'ERR_OAUTH_NOT_CONFIGURED',
    });
    await p.close();
  });
});
