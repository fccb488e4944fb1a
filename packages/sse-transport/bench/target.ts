/**
 * One server under test, run in its own process by bench/run.ts so it gets a core of its own:
 *   ours-auth    createServer + OAuthProvider (validator with its token cache)
 *   ours-noauth  createServer with insecureNoAuth (the same transport, auth off)
 *   sdk          the official SDK's SSEServerTransport + Express + requireBearerAuth, with a
 *                verifier that calls jose.jwtVerify against a remote JWKS on every request (no
 *                result cache): what a typical user writes.
 * Talks to the parent over IPC: sends { ready, port }, answers { memory } with memoryUsage after GC.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import express from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createServer } from '../src/server.js';

const [kind, issuer, resource, portArg] = process.argv.slice(2) as [string, string, string, string];
const port = Number(portArg);

function mcpServer(): McpServer {
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
  server.registerTool('whoami', { description: 'who am I' }, async (extra) => ({
    content: [{ type: 'text', text: String(extra.authInfo?.extra?.['subject'] ?? '') }],
  }));
  return server;
}

async function startOurs(auth: boolean): Promise<number> {
  const common = {
    createMcpServer: mcpServer,
    port,
    // Every target listens on a port of its own while tokens name one shared resource URI.
    allowedHosts: [`127.0.0.1:${port}`],
    maxSessions: 10_000,
    maxSessionsPerPrincipal: 10_000,
  };
  let server: ReturnType<typeof createServer>;
  if (auth) {
    // Imported only here, so the auth-off target does not even load the validator.
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

async function startSdk(): Promise<number> {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const verifier = {
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
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  return (server.address() as AddressInfo).port;
}

const listening = kind === 'sdk' ? await startSdk() : await startOurs(kind === 'ours-auth');
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
// Exit normally on SIGTERM, so --cpu-prof (BENCH_PROFILE=1) can write its profile.
process.on('SIGTERM', () => process.exit(0));
process.send!({ type: 'ready', port: listening });
