/**
 * One server instance, run as its own process by the cluster test and the bench: Streamable HTTP
 * and the legacy SSE transport with OAuth, a `whoami` tool, validation results in Redis, and the
 * `cluster` option. `GET /__stats` (before the handler, on the instance's own port) reports the
 * validator's counters (JWKS fetches, introspection calls) and the live sessions.
 *
 * Environment: PORT, RESOURCE, ISSUER, INSTANCE_ID, REDIS_URL (absent: a single instance without
 * Redis), INTROSPECTOR_ID and INTROSPECTOR_SECRET (opaque tokens), HEARTBEAT_MS.
 */
import { createServer as createHttpServer } from 'node:http';
import { redisStore } from '@mcp-auth/cache';
import { createHandler, OAuthProvider } from '@mcp-auth/sse-transport';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

const port = Number(env('PORT'));
const resource = env('RESOURCE');
const redisUrl = process.env['REDIS_URL'];
const instanceId = env('INSTANCE_ID');
const quiet = {};

const provider = new OAuthProvider({
  authorizationServer: env('ISSUER'),
  resourceUri: resource,
  requiredScopes: ['mcp:read'],
  allowInsecureHttpForLoopback: true,
  logger: quiet,
  ...(redisUrl
    ? { cache: redisStore({ url: redisUrl, prefix: 'cluster-tests:cache:', logger: quiet }) }
    : {}),
  validator: {
    introspection: {
      clientId: env('INTROSPECTOR_ID'),
      clientSecret: env('INTROSPECTOR_SECRET'),
    },
  },
});

function whoami(): McpServer {
  const server = new McpServer({ name: `instance-${instanceId}`, version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling, and where' }, async (extra) => ({
    content: [
      {
        type: 'text',
        text: JSON.stringify({
          subject: extra.authInfo?.extra?.['subject'],
          clientId: extra.authInfo?.clientId,
          instance: instanceId,
        }),
      },
    ],
  }));
  return server;
}

const handler = createHandler({
  auth: { provider },
  createMcpServer: () => whoami(),
  keepAliveMs: 5_000,
  // The chaos workload leaks sessions: a client whose call fails mid-session (instance killed, Redis
  // down) opens a new one without a DELETE, and the leaked ones count until their idle timeout. With
  // `cluster`, the per-user cap counts every instance's sessions, and only this instance's idle ones
  // can be ended to make room, so the default 100 would turn leaks into 429s here. The cap itself is
  // tested in packages/sse-transport/test/cluster-caps.e2e.test.ts.
  maxSessionsPerPrincipal: 10_000,
  logger: quiet,
  ...(redisUrl
    ? {
        cluster: {
          redis: redisUrl,
          instanceId,
          prefix: 'cluster-tests:',
          heartbeatMs: Number(process.env['HEARTBEAT_MS'] ?? 500),
        },
      }
    : {}),
});

const server = createHttpServer((req, res) => {
  if (req.url === '/__stats') {
    const body = JSON.stringify({
      instance: instanceId,
      sessions: handler.sessionCount,
      cpuMicros: (() => {
        const { user, system } = process.cpuUsage();
        return user + system;
      })(),
      validator: provider.validator.stats(),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  handler(req, res);
});
server.requestTimeout = 0;
server.listen(port, '127.0.0.1', () => {
  handler.ready().then(() => process.stdout.write(`ready ${port}\n`));
});

process.on('SIGTERM', () => {
  handler.close().finally(() => {
    server.close();
    server.closeAllConnections();
    void provider.close().finally(() => process.exit(0));
  });
});
