/**
 * The gate around the official SDK's v1 Streamable HTTP transport on Express: your transport,
 * your sessions, our authorization. Run: `ISSUER=https://auth.example.com RESOURCE=https://mcp.example.com/mcp tsx examples/express-sdk-v1.ts`
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createGate } from '@mcp-auth/gate';
import { mcpAuth } from '@mcp-auth/gate/node';
import { createTokenValidator } from '@mcp-auth/validator';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';

export interface ExampleOptions {
  issuer: string;
  resource: string;
  /** Local development only (an http: issuer or resource on 127.0.0.1). */
  allowInsecureHttpForLoopback?: boolean;
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'example', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling' }, async (extra) => ({
    content: [
      {
        type: 'text',
        text: JSON.stringify({
          subject: extra.authInfo?.extra?.subject,
          clientId: extra.authInfo?.clientId,
          scopes: extra.authInfo?.scopes,
        }),
      },
    ],
  }));
  // Needs mcp:admin (toolScopes below): a token without it gets 403 insufficient_scope.
  server.registerTool('admin_stats', { description: 'Admin only' }, async () => ({
    content: [{ type: 'text', text: 'all good' }],
  }));
  return server;
}

export function createApp(o: ExampleOptions): express.Express {
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

  const transports = new Map<string, StreamableHTTPServerTransport>();
  const app = express();
  // Before the routes and at the app level, so it also serves /.well-known/oauth-protected-resource.
  // It reads and parses the JSON body itself (bounded): no express.json() needed.
  app.use(mcpAuth(gate));

  app.post('/mcp', async (req, res) => {
    // req.auth is typed (the SDK's AuthInfo) and set: the gate let this request through. The
    // transport hands it to tools as extra.authInfo.
    if (req.auth === undefined) throw new Error('unreachable: mount mcpAuth(gate) first');
    const sessionId = req.header('mcp-session-id');
    let transport = sessionId === undefined ? undefined : transports.get(sessionId);
    if (transport === undefined && isInitializeRequest(req.body)) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          transports.set(id, transport!);
        },
      });
      transport.onclose = () => {
        if (transport?.sessionId !== undefined) transports.delete(transport.sessionId);
      };
      await buildServer().connect(transport);
    }
    if (transport === undefined) {
      res
        .status(404)
        .json({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });
      return;
    }
    await transport.handleRequest(req, res, req.body);
  });

  const sessionRequest = async (req: express.Request, res: express.Response): Promise<void> => {
    const transport = transports.get(req.header('mcp-session-id') ?? '');
    if (transport === undefined) {
      res
        .status(404)
        .json({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });
      return;
    }
    await transport.handleRequest(req, res);
  };
  app.get('/mcp', sessionRequest);
  app.delete('/mcp', sessionRequest);
  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const resource = process.env.RESOURCE ?? 'http://127.0.0.1:3000/mcp';
  createApp({
    issuer: process.env.ISSUER ?? 'http://127.0.0.1:9000',
    resource,
    allowInsecureHttpForLoopback: resource.startsWith('http://127.0.0.1'),
  }).listen(Number(new URL(resource).port || 3000), '127.0.0.1');
}
