/**
 * A 401 can come on any request, not only the first: a Streamable HTTP server (the official SDK's
 * StreamableHTTPServerTransport) that lets `initialize` through without a token, and one that
 * revokes the first token it sees. Tokens come from the local authorization server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../src/index.js';
import { decodeJwtPayload, demoMcpServer, getFreePort } from './helpers.js';

let das: DevAuthServer;
let server: Server;
let resource: string;
let prmUrl: string;
/** Tokens this server refuses as if they had been revoked. */
const revoked = new Set<string>();
let revokeNextToken = false;
const seen: { method: string; rpc: string; token: boolean; status: number }[] = [];

/**
 * Test-only authentication: the tokens come from the real authorization server, so decoding the
 * payload and checking `aud`, `iss` and `exp` is enough to prove which resource they are for.
 */
function tokenOk(token: string): boolean {
  try {
    const p = decodeJwtPayload(token);
    return (
      p.aud === resource &&
      p.iss === das.issuer &&
      typeof p.exp === 'number' &&
      p.exp > Date.now() / 1000
    );
  } catch {
    return false;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', resource);
  if (url.pathname === '/.well-known/oauth-protected-resource/mcp') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        resource,
        authorization_servers: [das.issuer],
        scopes_supported: ['mcp:read'],
      }),
    );
    return;
  }
  if (url.pathname !== '/mcp' || req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { method?: string };
  const rpc = body.method ?? '';
  const auth = req.headers.authorization;
  const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
  const lenient = rpc === 'initialize' || rpc.startsWith('notifications/');
  const record = (status: number) =>
    seen.push({ method: req.method ?? '', rpc, token: !!token, status });
  if (!lenient) {
    if (token && revokeNextToken) {
      revokeNextToken = false;
      revoked.add(token);
    }
    if (!token || revoked.has(token) || !tokenOk(token)) {
      record(401);
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': token
          ? `Bearer error="invalid_token", resource_metadata="${prmUrl}"`
          : `Bearer resource_metadata="${prmUrl}", scope="mcp:read"`,
      });
      res.end('{"error":"invalid_token"}');
      return;
    }
  }
  record(200);
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  const mcp = demoMcpServer();
  await mcp.connect(transport);
  res.on('close', () => {
    void transport.close();
    void mcp.close();
  });
  const authInfo = token
    ? {
        token,
        clientId: String(decodeJwtPayload(token).client_id),
        scopes: ['mcp:read'],
        extra: { subject: decodeJwtPayload(token).sub },
      }
    : undefined;
  (req as IncomingMessage & { auth?: unknown }).auth = authInfo;
  await transport.handleRequest(req, res, body);
}

beforeAll(async () => {
  const port = await getFreePort();
  resource = `http://127.0.0.1:${port}/mcp`;
  prmUrl = `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`;
  das = await startAuthServer({ resources: [{ uri: resource, scopes: ['mcp:read'] }] });
  server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  expect((server.address() as AddressInfo).port).toBe(port);
});

afterAll(async () => {
  await new Promise<void>((r) => {
    server?.close(() => r());
    server?.closeAllConnections();
  });
  await das?.stop();
});

beforeEach(() => {
  seen.length = 0;
  revokeNextToken = false;
});

describe('Streamable HTTP, 401 after the first request', () => {
  it('initialize passes without a token; the 401 on tools/list starts the authorization, then the request is retried', async () => {
    const result = await run(resource, {
      nonInteractive: true,
      clientId: 'mcp-public',
      call: { name: 'whoami' },
    });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.transport).toBe('streamable-http');
    expect(result.authorizationAttempts).toBe(1);
    const steps = result.report.steps.map((s) => s.id);
    expect(steps).toEqual([
      'probe',
      'connect',
      'challenge',
      'resource_metadata',
      'authorization_server',
      'client',
      'scope',
      'authorization_request',
      'authorization_response',
      'token',
      'list_tools',
      'call_tool',
    ]);
    expect(result.report.steps[0]!.notes).toEqual([
      '200: the server lets this request through without a token; a 401 is handled when one comes',
    ]);
    // initialize went through without a token; the 401 came on tools/list.
    const challenge = result.report.steps[2]!;
    expect(challenge.title).toBe('401 on POST /mcp');
    expect(challenge.notes).toEqual(['authorizing']);
    const text = (result.callResult as { content: { text: string }[] }).content[0]!.text;
    expect(JSON.parse(text)).toMatchObject({ subject: 'user-1', clientId: 'mcp-public' });
    expect(seen.filter((s) => s.status === 401).every((s) => !s.token)).toBe(true);
  });

  it('a revoked token (401 invalid_token) is refreshed and the request retried, without a new authorization', async () => {
    revokeNextToken = true;
    const result = await run(resource, {
      nonInteractive: true,
      clientId: 'mcp-public',
      transport: 'streamable-http',
    });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.authorizationAttempts).toBe(1);
    const challenges = result.report.steps.filter((s) => s.id === 'challenge');
    expect(challenges.map((c) => c.notes[0])).toEqual([
      'authorizing',
      'error=invalid_token: refreshing the access token',
    ]);
    const challenge = challenges[1]!;
    expect(challenge.received[0]).toContain('error="invalid_token"');
    expect(challenge.notes).toEqual(['error=invalid_token: refreshing the access token']);
    expect(result.report.steps.find((s) => s.id === 'refresh')?.status).toBe('ok');
    expect(seen.filter((s) => s.status === 401 && s.token)).toHaveLength(1);
  });
});
