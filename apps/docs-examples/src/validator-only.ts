/**
 * The validator alone in front of the official SDK's Streamable HTTP transport, on `node:http`
 * (the guide's "validator only" shape): tokens checked on every request, the protected resource
 * metadata served, the 401/403 challenges rendered. Stateless on purpose: with SDK sessions you
 * would also have to bind each `Mcp-Session-Id` to the principal that created it, which is what
 * `@mcp-auth/gate` does (with Origin/Host checks, CORS and per-tool scopes).
 *
 * Run: ISSUER=https://auth.example.com RESOURCE=https://mcp.example.com/mcp tsx src/validator-only.ts
 */
import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createMetadataHandler, createProtectedResourceMetadata } from '@mcp-auth/discovery';
import { createTokenValidator } from '@mcp-auth/validator';
import { requireAuth } from '@mcp-auth/validator/node';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export interface ValidatorOnlyOptions {
  issuer: string;
  /** The public URL of the MCP endpoint: the audience tokens must carry. */
  resource: string;
  /** Local development only (an http: issuer or resource on 127.0.0.1). */
  allowInsecureHttpForLoopback?: boolean;
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'validator-only', version: '1.0.0' });
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
  return server;
}

/** A `node:http` server: metadata, then the token check, then the SDK transport. */
export function createValidatorOnlyServer(o: ValidatorOnlyOptions): {
  server: Server;
  close(): Promise<void>;
} {
  const insecure = o.allowInsecureHttpForLoopback === true;
  const validator = createTokenValidator({
    issuer: o.issuer,
    resource: o.resource,
    requiredScopes: ['mcp:tools'],
    allowInsecureHttpForLoopback: insecure,
  });
  // RFC 9728 at both well-known URLs (path-suffixed and root): public, CORS open.
  const metadata = createMetadataHandler(
    createProtectedResourceMetadata({
      resource: validator.resource,
      authorizationServers: [validator.issuer],
      scopesSupported: ['mcp:tools'],
      allowInsecureHttpForLoopback: insecure,
    }),
  );
  // 401 (no `error` without a token), 401 invalid_token, 403 insufficient_scope, 400, 503: each
  // with its WWW-Authenticate challenge. Sets req.auth, which the SDK transport hands to tools.
  const auth = requireAuth(validator);
  const mcpPath = new URL(validator.resource).pathname;

  const server = createServer(async (req, res) => {
    if (metadata(req, res)) return;
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== mcpPath) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not_found"}');
      return;
    }
    if (req.method !== 'POST') {
      // Stateless: no GET stream, no session to DELETE.
      res.writeHead(405, { allow: 'POST' });
      res.end();
      return;
    }
    if ((await auth(req, res)) === undefined) return; // answered with the challenge
    const mcp = buildServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      transport.close().catch(() => undefined);
      mcp.close().catch(() => undefined);
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res); // reads req.auth: tools get extra.authInfo
  });
  return {
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await validator.close();
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const resource = process.env['RESOURCE'] ?? 'http://127.0.0.1:3000/mcp';
  const { server } = createValidatorOnlyServer({
    issuer: process.env['ISSUER'] ?? 'http://127.0.0.1:9000',
    resource,
    allowInsecureHttpForLoopback: new URL(resource).hostname === '127.0.0.1',
  });
  server.listen(Number(new URL(resource).port || 3000), '127.0.0.1');
}
