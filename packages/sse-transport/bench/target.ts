/**
 * One server under test, run in its own process by bench/run.ts so it gets a core of its own:
 *   ours-auth    createServer + OAuthProvider (validator with its token cache)
 *   ours-noauth  createServer with insecureNoAuth (the same transport, auth off)
 *   sdk          the official SDK's SSEServerTransport + Express + requireBearerAuth, with a
 *                verifier that calls jose.jwtVerify against a remote JWKS on every request (no
 *                result cache): what a typical user writes.
 * Talks to the parent over IPC: sends { ready, port }, answers { memory } with memoryUsage after GC.
 */
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import express from 'express';
import { joseVerifier, listen, serveParent, startOurs, targetArgs } from './target-kit.js';

const args = targetArgs();

function mcpServer(): McpServer {
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
  server.registerTool('whoami', { description: 'who am I' }, async (extra) => ({
    content: [{ type: 'text', text: String(extra.authInfo?.extra?.['subject'] ?? '') }],
  }));
  return server;
}

async function startSdk(): Promise<number> {
  const verifier = joseVerifier(args);
  const app = express();
  const bearer = requireBearerAuth({ verifier, requiredScopes: ['mcp:read'] });
  const transports = new Map<string, SSEServerTransport>();
  app.get('/sse', bearer, async (_req, res) => {
    const transport = new SSEServerTransport('/messages', res);
    transports.set(transport.sessionId, transport);
    res.on('close', () => transports.delete(transport.sessionId));
    await mcpServer().connect(transport);
  });
  app.post('/messages', bearer, async (req, res) => {
    const transport = transports.get(String(req.query['sessionId']));
    if (!transport) {
      res.status(404).send('unknown session');
      return;
    }
    await transport.handlePostMessage(req, res);
  });
  return listen(app, args.port);
}

const listening =
  args.kind === 'sdk'
    ? await startSdk()
    : await startOurs(args, args.kind === 'ours-auth', { createMcpServer: mcpServer });
serveParent(listening);
