import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { buildWwwAuthenticate } from '@mcp-auth/discovery';
import { createHandler, OAuthProvider } from '@mcp-auth/sse-transport';
import { getFreePort, startHttpServer, type TestHttpServer } from '@mcp-auth/test-utils';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** An MCP server with `whoami`, `echo` and `admin_stats` (needs `mcp:admin` on top of the required scopes). */
export function demoMcpServer(): McpServer {
  const server = new McpServer({ name: 'test-client-e2e', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling' }, async (extra) => ({
    content: [
      {
        type: 'text',
        text: JSON.stringify({
          subject: extra.authInfo?.extra?.['subject'],
          clientId: extra.authInfo?.clientId,
          scopes: extra.authInfo?.scopes,
        }),
      },
    ],
  }));
  server.registerTool(
    'echo',
    { description: 'Echoes its text', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool('admin_stats', { description: 'Needs mcp:admin' }, async (extra) => ({
    content: [{ type: 'text', text: `admin ok: ${extra.authInfo?.scopes.join(' ')}` }],
  }));
  return server;
}

export interface SseMcpServer {
  base: string;
  /** The SSE endpoint, which is also the resource. */
  sseUrl: string;
  resource: string;
  prmUrl: string;
  provider: OAuthProvider;
  stop(): Promise<void>;
}

/**
 * The MCP server on `@mcp-auth/sse-transport`, protected by the local authorization server, with a
 * per-tool scope gate in front (HTTP 403 `insufficient_scope` for `admin_stats` without `mcp:admin`).
 */
export async function startSseMcpServer(o: {
  port: number;
  das: DevAuthServer;
  requiredScopes?: string[];
  scopesSupported?: string[];
}): Promise<SseMcpServer> {
  const base = `http://127.0.0.1:${o.port}`;
  const resource = `${base}/sse`;
  const prmUrl = `${base}/.well-known/oauth-protected-resource/sse`;
  const requiredScopes = o.requiredScopes ?? ['mcp:read'];
  const provider = new OAuthProvider({
    authorizationServer: o.das.issuer,
    resourceUri: resource,
    requiredScopes,
    scopesSupported: o.scopesSupported ?? requiredScopes,
    resourceName: 'test-client e2e server',
    allowInsecureHttpForLoopback: true,
  });
  const handler = createHandler({
    auth: { provider },
    createMcpServer: demoMcpServer,
    keepAliveMs: 0,
  });
  const gated = new Set(['admin_stats']);
  const server = createHttpServer((req, res) => {
    // DNS-rebinding protection as revision 2026-07-28 asks: a present, non-loopback Origin gets 403.
    if (!originAllowed(req.headers.origin, LOOPBACK_ORIGIN)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"error":"forbidden_origin"}');
      return;
    }
    if (req.method !== 'POST' || !(req.url ?? '').startsWith('/messages')) {
      handler(req, res);
      return;
    }
    readAll(req).then(async (body) => {
      const name = toolCalled(body);
      if (name && gated.has(name)) {
        const scopes = await provider.authenticate(req).then(
          (info) => info.scopes,
          () => undefined,
        );
        if (scopes && !scopes.includes('mcp:admin')) {
          res.writeHead(403, {
            'content-type': 'application/json',
            'www-authenticate': buildWwwAuthenticate({
              error: 'insufficient_scope',
              scope: [...requiredScopes, 'mcp:admin'],
              resourceMetadata: prmUrl,
            }),
          });
          res.end(JSON.stringify({ error: 'insufficient_scope' }));
          return;
        }
      }
      handler(replay(req, body), res);
    });
  });
  await new Promise<void>((resolve) => server.listen(o.port, '127.0.0.1', resolve));
  return {
    base,
    sseUrl: resource,
    resource,
    prmUrl,
    provider,
    async stop() {
      await handler.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await provider.close();
    },
  };
}

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

/** No Origin (not a browser), or one the server allows. */
function originAllowed(origin: string | undefined, allowed: RegExp | readonly string[]): boolean {
  if (origin === undefined) return true;
  return allowed instanceof RegExp ? allowed.test(origin) : allowed.includes(origin);
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function toolCalled(body: Buffer): string | undefined {
  try {
    const m = JSON.parse(body.toString('utf8')) as { method?: string; params?: { name?: string } };
    return m.method === 'tools/call' ? m.params?.name : undefined;
  } catch {
    return undefined;
  }
}

function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = Readable.from([body]);
  Object.assign(copy, {
    method: req.method,
    url: req.url,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    socket: req.socket,
    httpVersion: req.httpVersion,
    complete: true,
  });
  return copy as unknown as IncomingMessage;
}

/** Parameters a fake authorization server's `/authorize` redirects back with. */
export type AuthorizeBehaviour = (
  params: URLSearchParams,
  issuer: string,
) => Record<string, string> | { status: number; body: string };

/**
 * A deliberately simple authorization server: metadata at the RFC 8414 URL (overridable), an
 * `/authorize` that redirects straight back as `behaviour` says, a `/token` that returns a fixed
 * token, an optional `/register`. It records every request and every form body.
 */
export interface FakeAs extends TestHttpServer {
  issuer: string;
  tokenRequests: URLSearchParams[];
  authorizeRequests: URLSearchParams[];
  registrations: Record<string, unknown>[];
  /** The headers of every token request, in order. */
  tokenHeaders: IncomingMessage['headers'][];
}

/** What a fake endpoint answers: a status and a JSON body (optionally extra headers). */
export interface FakeAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export async function startFakeAs(
  o: {
    metadata?: (issuer: string) => Record<string, unknown>;
    behaviour?: AuthorizeBehaviour;
    accessToken?: string;
    /** A path for the issuer (`/tenant1`): endpoints live under it. */
    issuerPath?: string;
    /**
     * The paths that serve the metadata document (default: the RFC 8414 path-inserted URL). The
     * others answer 404, so a test sees the order a client tries them in.
     */
    metadataPaths?: (issuerPath: string) => string[];
    /** Answers `/register` (default: 201 echoing the body with `client_id: dyn-<n>`). */
    register?: (body: Record<string, unknown>, n: number) => FakeAnswer;
    /** Answers `/token` instead of the fixed token when it returns an answer. */
    token?: (
      body: URLSearchParams,
      headers: IncomingMessage['headers'],
      n: number,
    ) => FakeAnswer | undefined;
  } = {},
): Promise<FakeAs> {
  const tokenHeaders: IncomingMessage['headers'][] = [];
  const tokenRequests: URLSearchParams[] = [];
  const authorizeRequests: URLSearchParams[] = [];
  const registrations: Record<string, unknown>[] = [];
  let issuer = '';
  const issuerPath = o.issuerPath ?? '';
  const metadataPaths = o.metadataPaths
    ? o.metadataPaths(issuerPath)
    : [`/.well-known/oauth-authorization-server${issuerPath}`];
  const http = await startHttpServer(async (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname.includes('/.well-known/') && !metadataPaths.includes(url.pathname)) {
      json(res, 404, { error: 'not_found' });
      return;
    }
    if (url.pathname.startsWith(issuerPath) && !url.pathname.includes('/.well-known/')) {
      url.pathname = url.pathname.slice(issuerPath.length) || '/';
    }
    if (metadataPaths.includes(url.pathname)) {
      const base = {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        registration_endpoint: `${issuer}/register`,
        code_challenge_methods_supported: ['S256'],
        response_types_supported: ['code'],
      };
      json(res, 200, o.metadata ? o.metadata(issuer) : base);
      return;
    }
    if (url.pathname === '/authorize') {
      authorizeRequests.push(url.searchParams);
      const behaviour =
        o.behaviour ??
        ((p: URLSearchParams, iss: string) => ({
          code: 'fake-code',
          state: p.get('state') ?? '',
          iss,
        }));
      const out = behaviour(url.searchParams, issuer);
      if ('status' in out && typeof out.status === 'number') {
        res.writeHead(out.status, { 'content-type': 'text/html' });
        res.end(String(out.body));
        return;
      }
      const target = new URL(url.searchParams.get('redirect_uri') ?? '');
      for (const [k, v] of Object.entries(out as Record<string, string>))
        target.searchParams.set(k, v);
      res.writeHead(302, { location: target.href });
      res.end();
      return;
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const body = new URLSearchParams((await readAll(req)).toString('utf8'));
      tokenRequests.push(body);
      tokenHeaders.push(req.headers);
      const answer = o.token?.(body, req.headers, tokenRequests.length);
      if (answer) {
        json(res, answer.status, answer.body, answer.headers);
        return;
      }
      json(res, 200, {
        access_token: o.accessToken ?? 'fake-access-token-0123456789',
        token_type: 'Bearer',
        expires_in: 3600,
        scope: body.get('scope') ?? 'mcp:read',
      });
      return;
    }
    if (url.pathname === '/register' && req.method === 'POST') {
      const body = JSON.parse((await readAll(req)).toString('utf8')) as Record<string, unknown>;
      registrations.push(body);
      const answer = o.register?.(body, registrations.length);
      if (answer) json(res, answer.status, answer.body, answer.headers);
      else json(res, 201, { ...body, client_id: `dyn-${registrations.length}` });
      return;
    }
    json(res, 404, { error: 'not_found' });
  });
  issuer = `${http.url}${issuerPath}`;
  return Object.assign(http, {
    issuer,
    tokenRequests,
    tokenHeaders,
    authorizeRequests,
    registrations,
  });
}

/**
 * A fake MCP resource server (no MCP behind it): 401 with `challenge` without a token, its protected
 * resource metadata at the path-suffixed URL, and `withToken` deciding what a request with a token
 * gets.
 */
export async function startFakeResource(o: {
  path?: string;
  authorizationServer: () => string;
  /** The metadata's `resource`; the server's own URL by default. */
  resource?: (self: string) => string;
  challenge?: (prmUrl: string) => string;
  withToken?: (token: string, req: IncomingMessage, res: ServerResponse, prmUrl: string) => void;
  cors?: boolean;
  /**
   * CORS for these origins only (echoed in `Access-Control-Allow-Origin`, `WWW-Authenticate`
   * exposed); other origins get no CORS headers. Overrides `cors`.
   */
  corsOrigins?: string[];
  /** Every `Origin` header received, in order. */
  origins?: string[];
  /** Accept any `?access_token=` (a server that must fail the conformance check). */
  acceptQueryToken?: boolean;
  /** Where the metadata is served: the path-suffixed well-known URL (default), the root one, or both. */
  prmAt?: 'path' | 'root' | 'both';
  /** The metadata's `scopes_supported` (default `['mcp:read']`; null: none). */
  scopesSupported?: string[] | null;
  /** Validate `Origin` (revision 2026-07-28): a present Origin not in this list gets 403. */
  allowedOrigins?: string[];
}): Promise<TestHttpServer & { serverUrl: string; prmUrl: string }> {
  const path = o.path ?? '/mcp';
  let self = '';
  let prmUrl = '';
  const http = await startHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', self);
    const at = o.prmAt ?? 'path';
    const prmPaths = [
      ...(at !== 'root' ? [`/.well-known/oauth-protected-resource${path}`] : []),
      ...(at !== 'path' ? ['/.well-known/oauth-protected-resource'] : []),
    ];
    if (prmPaths.includes(url.pathname)) {
      const scopes = o.scopesSupported === undefined ? ['mcp:read'] : o.scopesSupported;
      json(res, 200, {
        resource: o.resource ? o.resource(`${self}${path}`) : `${self}${path}`,
        authorization_servers: [o.authorizationServer()],
        ...(scopes ? { scopes_supported: scopes } : {}),
      });
      return;
    }
    if (url.pathname !== path) {
      json(res, 404, { error: 'not_found' });
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const origin = req.headers.origin;
    if (origin !== undefined) o.origins?.push(origin);
    if (o.allowedOrigins && !originAllowed(origin, o.allowedOrigins)) {
      json(res, 403, { error: 'forbidden_origin' });
      return;
    }
    if (o.corsOrigins) {
      if (origin !== undefined && o.corsOrigins.includes(origin)) {
        headers['access-control-allow-origin'] = origin;
        headers['access-control-expose-headers'] = 'WWW-Authenticate';
        headers.vary = 'Origin';
      }
    } else if (o.cors !== false) {
      headers['access-control-allow-origin'] = '*';
      headers['access-control-expose-headers'] = 'WWW-Authenticate';
    }
    if (o.acceptQueryToken && url.searchParams.get('access_token')) {
      res.writeHead(200, headers);
      res.end('{}');
      return;
    }
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (!token) {
      res.writeHead(401, {
        ...headers,
        'www-authenticate': o.challenge
          ? o.challenge(prmUrl)
          : `Bearer resource_metadata="${prmUrl}", scope="mcp:read"`,
      });
      res.end('{"error":"unauthorized"}');
      return;
    }
    if (o.withToken) {
      o.withToken(token, req, res, prmUrl);
      return;
    }
    res.writeHead(200, headers);
    res.end('{}');
  });
  self = http.url;
  prmUrl = `${self}/.well-known/oauth-protected-resource${path}`;
  return Object.assign(http, { serverUrl: `${self}${path}`, prmUrl });
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The payload of a JWT, decoded without verification (test-only). */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export type { AddressInfo };
export { getFreePort };
