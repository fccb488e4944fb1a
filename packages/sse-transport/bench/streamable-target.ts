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
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requireBearerAuth as requireBearerAuthV2 } from '@modelcontextprotocol/express';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpHandler, McpServer as McpServerV2 } from '@modelcontextprotocol/server';
import express from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { z } from 'zod';
import { createServer } from '../src/index.js';

const [kind, issuer, resource, portArg] = process.argv.slice(2) as [string, string, string, string];
const port = Number(portArg);

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

async function startOurs(stateful: boolean, auth: boolean, shared = false): Promise<number> {
  const common = {
    createMcpServer: echoServer,
    port,
    // Every target listens on a port of its own while tokens name one shared resource URI.
    allowedHosts: [`127.0.0.1:${port}`],
    maxSessions: 10_000,
    maxSessionsPerPrincipal: 10_000,
    streamableHttp: shared ? { sessions: false, server: echoServer() } : { sessions: stateful },
  };
  let server: ReturnType<typeof createServer>;
  if (auth) {
    const { OAuthProvider } = await import('../src/oauth/provider.js');
    const provider = new OAuthProvider({
      authorizationServer: issuer,
      resourceUri: resource,
      requiredScopes: ['mcp:read'],
      allowInsecureHttpForLoopback: true,
    });
    server = createServer({ ...common, auth: { provider } });
  } else {
    server = createServer({ ...common, insecureNoAuth: true });
  }
  return (await server.listen()).port;
}

function joseVerifier() {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  return {
    async verifyAccessToken(token: string) {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience: resource });
      return {
        token,
        clientId: String(payload['client_id']),
        scopes: typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [],
        expiresAt: payload.exp!,
        extra: { subject: payload.sub },
      };
    },
  };
}

function listen(app: express.Express): Promise<number> {
  return new Promise((resolve) => {
    const s: Server = app.listen(port, '127.0.0.1', () =>
      resolve((s.address() as AddressInfo).port),
    );
  });
}

async function startSdk1(stateful: boolean): Promise<number> {
  const app = express();
  app.use(express.json({ limit: '4mb' }));
  const bearer = requireBearerAuth({ verifier: joseVerifier(), requiredScopes: ['mcp:read'] });
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
  return listen(app);
}

async function startSdk2(): Promise<number> {
  const app = express();
  app.use(express.json({ limit: '4mb' }));
  const bearer = requireBearerAuthV2({ verifier: joseVerifier(), requiredScopes: ['mcp:read'] });
  const handler = toNodeHandler(createMcpHandler(() => echoServerV2()));
  app.post('/mcp', bearer, (req, res) => handler(req, res, req.body));
  return listen(app);
}

const starters: Record<string, () => Promise<number>> = {
  'ours-stateful': () => startOurs(true, true),
  'ours-stateless': () => startOurs(false, true),
  'ours-stateless-shared': () => startOurs(false, true, true),
  'ours-stateless-shared-noauth': () => startOurs(false, false, true),
  'ours-stateful-noauth': () => startOurs(true, false),
  'ours-stateless-noauth': () => startOurs(false, false),
  'sdk1-stateful': () => startSdk1(true),
  'sdk1-stateless': () => startSdk1(false),
  'sdk2-stateless': () => startSdk2(),
};
const start = starters[kind];
if (start === undefined) throw new Error(`unknown target ${kind}`);
const listening = await start();
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'cpu') {
    const c = process.cpuUsage();
    process.send!({ type: 'cpu', micros: c.user + c.system });
  }
  if (msg.type === 'memory') {
    for (let i = 0; i < 3; i++) globalThis.gc?.();
    const m = process.memoryUsage();
    process.send!({ type: 'memory', heapUsed: m.heapUsed, external: m.external, rss: m.rss });
  }
});
process.on('SIGTERM', () => process.exit(0));
process.send!({ type: 'ready', port: listening });
