/**
 * Our full server: an MCP server with OAuth 2.1 built in. Streamable HTTP at `/mcp` (what current
 * MCP clients speak), the deprecated HTTP+SSE under it at `/mcp/sse` for old clients, the protected
 * resource metadata, the 401/403 challenges, Origin/Host checks, sessions bound to the principal.
 *
 * Run (from packages/sse-transport, after `pnpm build`):
 *   ISSUER=https://auth.example.com RESOURCE=https://mcp.example.com/mcp tsx examples/full-server.ts
 * Optional: REDIS_URL (share the token cache and the used sign-in states between instances),
 * CLIENT_ID and CLIENT_SECRET (the browser sign-in at /oauth/authorize), PORT, HOST.
 */
import { pathToFileURL } from 'node:url';
import { redisStore } from '@mcp-auth/cache';
import {
  createServer,
  OAuthProvider,
  type SessionContext,
  type SseServer,
} from '@mcp-auth/sse-transport';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

export interface ExampleOptions {
  /** The authorization server's issuer (its metadata is discovered). */
  issuer: string;
  /** This server's public MCP URL: the audience its tokens must carry. */
  resource: string;
  port?: number;
  host?: string;
  /** Several instances: the token cache and used sign-in states in Redis. Optional. */
  redisUrl?: string;
  /** The browser sign-in at /oauth/authorize (a client registered with the callback URL). */
  clientId?: string;
  clientSecret?: string;
  /** Local development only (an http: issuer or resource on 127.0.0.1). */
  allowInsecureHttpForLoopback?: boolean;
}

/** One McpServer per session; `authInfo` is the principal that opened it. */
function createMcpServer({ authInfo }: SessionContext): McpServer {
  const server = new McpServer({ name: 'example', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling' }, async (extra) => ({
    content: [
      {
        type: 'text',
        text: JSON.stringify({
          // Per request: the token of this very request (re-validated every time).
          subject: extra.authInfo?.extra?.['subject'],
          clientId: extra.authInfo?.clientId,
          scopes: extra.authInfo?.scopes,
          // Per session: who opened it (the same principal: sessions are bound to it).
          openedBy: authInfo?.extra?.['subject'],
        }),
      },
    ],
  }));
  server.registerTool(
    'add',
    { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
  );
  // Needs mcp:admin on top of mcp:tools (toolScopes below).
  server.registerTool('server_stats', { description: 'Process statistics' }, async () => ({
    content: [{ type: 'text', text: JSON.stringify({ rss: process.memoryUsage().rss }) }],
  }));
  return server;
}

/** Builds the provider and the server (not listening yet). */
export function createExampleServer(o: ExampleOptions): {
  server: SseServer;
  provider: OAuthProvider;
  close(): Promise<void>;
} {
  // Redis only when asked for: without REDIS_URL everything stays in this process.
  const cache = o.redisUrl ? redisStore({ url: o.redisUrl, prefix: 'example:' }) : undefined;
  const provider = new OAuthProvider({
    authorizationServer: o.issuer,
    resourceUri: o.resource,
    requiredScopes: ['mcp:tools'],
    scopesSupported: ['mcp:tools', 'mcp:admin'],
    resourceName: 'Example MCP server',
    ...(o.clientId ? { clientId: o.clientId } : {}),
    ...(o.clientSecret ? { clientSecret: o.clientSecret } : {}),
    ...(cache ? { cache } : {}),
    allowInsecureHttpForLoopback: o.allowInsecureHttpForLoopback === true,
  });
  const server = createServer({
    port: o.port ?? 3000,
    host: o.host ?? '127.0.0.1',
    auth: {
      provider,
      // A tools/call of server_stats without mcp:admin: 403 insufficient_scope naming
      // "mcp:tools mcp:admin", nothing reaches the McpServer, the client steps up.
      toolScopes: { server_stats: ['mcp:admin'] },
    },
    createMcpServer,
    // Streamable HTTP (the default endpoint /mcp, sessions on). The deprecated HTTP+SSE endpoints
    // go under /mcp so the resource https://…/mcp is a path prefix of both: clients refuse
    // metadata whose resource does not cover their URL. `sse: false` turns them off.
    streamableHttp: { endpoint: '/mcp' },
    endpoint: '/mcp/sse',
    messageEndpoint: '/mcp/messages',
    // Browser clients of another origin (the Origin check refuses every other one with 403).
    allowedOrigins: ['https://app.example.com'],
    cors: { allowOrigin: ['https://app.example.com'] },
  });
  return {
    server,
    provider,
    async close() {
      await server.close(); // ends every stream and session, then the HTTP server
      await provider.close();
      await cache?.close();
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const resource = process.env['RESOURCE'] ?? 'http://127.0.0.1:3000/mcp';
  const loopback = new URL(resource).hostname === '127.0.0.1';
  const example = createExampleServer({
    issuer: process.env['ISSUER'] ?? 'http://127.0.0.1:9000',
    resource,
    port: Number(process.env['PORT'] ?? (new URL(resource).port || 3000)),
    host: process.env['HOST'] ?? '127.0.0.1',
    ...(process.env['REDIS_URL'] ? { redisUrl: process.env['REDIS_URL'] } : {}),
    ...(process.env['CLIENT_ID'] ? { clientId: process.env['CLIENT_ID'] } : {}),
    ...(process.env['CLIENT_SECRET'] ? { clientSecret: process.env['CLIENT_SECRET'] } : {}),
    allowInsecureHttpForLoopback: loopback,
  });
  const { url } = await example.server.listen();
  console.log(`MCP server: ${url}/mcp (Streamable HTTP), ${url}/mcp/sse (HTTP+SSE, deprecated)`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      example.close().then(() => process.exit(0));
    });
  }
}
