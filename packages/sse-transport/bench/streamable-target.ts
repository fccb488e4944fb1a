/**
 * One Streamable HTTP server under test, run in its own process by bench/streamable.ts:
 *   ours-stateful[-noauth]   createServer, Mcp-Session-Id sessions (auth: OAuthProvider, cached token)
 *   ours-stateless[-noauth]  createServer with streamableHttp.sessions false (an McpServer per request)
 *   ours-stateless-shared    the same with streamableHttp.server (one McpServer for every request)
 *   sdk1-stateful            SDK v1 StreamableHTTPServerTransport per session + Express + requireBearerAuth
 *   sdk1-stateless           SDK v1 transport and McpServer per request + Express + requireBearerAuth
 *   sdk2-stateless           SDK v2 createMcpHandler (legacy stateless fallback) + toNodeHandler +
 *                            Express + the v2 requireBearerAuth
 * The SDK stacks verify with jose.jwtVerify against the remote JWKS on every request (no result
 * cache): what their documentation shows. IPC as in bench/target.ts.
 */
import { randomUUID } from 'node:crypto';
import { requireBearerAuth as requireBearerAuthV2 } from '@modelcontextprotocol/express';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpHandler, McpServer as McpServerV2 } from '@modelcontextprotocol/server';
import express from 'express';
import { z } from 'zod';
import { joseVerifier, listen, serveParent, startOurs, targetArgs } from './target-kit.js';

const args = targetArgs();

function echoServer(): McpServer {
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes its text', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

function echoServerV2(): McpServerV2 {
  const server = new McpServerV2({ name: 'bench', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes its text', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

function ours(stateful: boolean, auth: boolean, shared = false): Promise<number> {
  return startOurs(args, auth, {
    createMcpServer: echoServer,
    streamableHttp: shared ? { sessions: false, server: echoServer() } : { sessions: stateful },
  });
}

async function startSdk1(stateful: boolean): Promise<number> {
  const app = express();
  app.use(express.json({ limit: '4mb' }));
  const bearer = requireBearerAuth({ verifier: joseVerifier(args), requiredScopes: ['mcp:read'] });
  const transports = new Map<string, StreamableHTTPServerTransport>();
  app.post('/mcp', bearer, async (req, res) => {
    if (!stateful) {
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      const server = echoServer();
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
      return;
    }
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? transports.get(id) : undefined;
    if (transport === undefined) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        enableJsonResponse: true,
        onsessioninitialized: (sid) => {
          transports.set(sid, transport!);
        },
      });
      await echoServer().connect(transport);
    }
    await transport.handleRequest(req, res, req.body);
  });
  return listen(app, args.port);
}

async function startSdk2(): Promise<number> {
  const app = express();
  app.use(express.json({ limit: '4mb' }));
  const bearer = requireBearerAuthV2({
    verifier: joseVerifier(args),
    requiredScopes: ['mcp:read'],
  });
  const handler = toNodeHandler(createMcpHandler(() => echoServerV2()));
  app.post('/mcp', bearer, (req, res) => handler(req, res, req.body));
  return listen(app, args.port);
}

const starters: Record<string, () => Promise<number>> = {
  'ours-stateful': () => ours(true, true),
  'ours-stateless': () => ours(false, true),
  'ours-stateless-shared': () => ours(false, true, true),
  'ours-stateless-shared-noauth': () => ours(false, false, true),
  'ours-stateful-noauth': () => ours(true, false),
  'ours-stateless-noauth': () => ours(false, false),
  'sdk1-stateful': () => startSdk1(true),
  'sdk1-stateless': () => startSdk1(false),
  'sdk2-stateless': () => startSdk2(),
};
const start = starters[args.kind];
if (start === undefined) throw new Error(`unknown target ${args.kind}`);
serveParent(await start());
