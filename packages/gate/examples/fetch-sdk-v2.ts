/**
 * The gate around the v2 SDK's web-standard handler (`createMcpHandler`), as one Fetch function:
 * `export default { fetch }` for Cloudflare Workers, Deno, Bun; `app.all('/mcp', (c) => fetch(c.req.raw))`
 * plus the two well-known paths for Hono.
 */
import { createGate } from '@mcp-auth/gate';
import { withMcpAuth } from '@mcp-auth/gate/fetch';
import { createTokenValidator } from '@mcp-auth/validator';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';

export interface ExampleOptions {
  issuer: string;
  resource: string;
  /** Local development only (an http: issuer or resource on 127.0.0.1). */
  allowInsecureHttpForLoopback?: boolean;
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'example', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling' }, async (ctx) => {
    const auth = ctx.http?.authInfo;
    return {
      content: [
        {
          type: 'text',
          text: JSON.stringify({
            subject: auth?.extra?.subject,
            clientId: auth?.clientId,
            scopes: auth?.scopes,
          }),
        },
      ],
    };
  });
  server.registerTool('admin_stats', { description: 'Admin only' }, async () => ({
    content: [{ type: 'text', text: 'all good' }],
  }));
  return server;
}

export function createFetchHandler(o: ExampleOptions): (request: Request) => Promise<Response> {
  const insecure = o.allowInsecureHttpForLoopback === true;
  const gate = createGate({
    validator: createTokenValidator({
      issuer: o.issuer,
      resource: o.resource,
      allowInsecureHttpForLoopback: insecure,
    }),
    requiredScopes: ['mcp:read'],
    toolScopes: { admin_stats: ['mcp:admin'] },
    scopeHierarchy: { 'mcp:admin': ['mcp:read'] },
    allowInsecureHttpForLoopback: insecure,
  });
  // One fresh server per request (revision 2026-07-28 is stateless; 2025 clients get the SDK's
  // stateless fallback).
  const mcp = createMcpHandler(() => buildServer());
  // The gate read and parsed the body: hand both the token and the parsed body on.
  return withMcpAuth(gate, (request, { auth, body }) =>
    mcp.fetch(request, { authInfo: auth, parsedBody: body }),
  );
}
