/**
 * Issue 12, item 2: anonymous `GET /oauth/authorize` traffic cannot evict a real user's pending
 * browser sign-in. A user starts a flow, 20,000 anonymous starts follow, and the user's callback
 * (real local authorization server, real callback) still completes.
 */
import { execFileSync } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { redisStore } from '@mcp-auth/cache';
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort, type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import { followAuthorization, rawRequest } from './helpers.js';

let das: DevAuthServer;
let provider: OAuthProvider;
let server: SseServer;
let base: string;

beforeAll(async () => {
  const port = await getFreePort();
  base = `http://127.0.0.1:${port}`;
  das = await startAuthServer({ resources: [{ uri: `${base}/sse`, scopes: ['mcp:read'] }] });
  provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: `${base}/sse`,
    requiredScopes: ['mcp:read'],
    clientId: das.clients.confidential.clientId,
    clientSecret: das.clients.confidential.clientSecret,
    allowInsecureHttpForLoopback: true,
    logger: {},
  });
  server = createServer({
    port,
    auth: { provider },
    createMcpServer: () => new McpServer({ name: 'flood', version: '1' }),
    logger: {},
  });
  await server.listen();
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await das?.stop();
});

/** `count` anonymous `GET /oauth/authorize` over keep-alive connections; returns the statuses seen. */
async function anonymousStarts(
  count: number,
  concurrency = 32,
  base_ = base,
  host = new URL(base_).host,
): Promise<Map<number, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = new Map<number, number>();
  let sent = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${base_}/oauth/authorize`, { agent, headers: { host } }, (res) => {
        statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
        res.resume();
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  const worker = async () => {
    while (sent < count) {
      sent++;
      await one();
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return statuses;
}

describe('a flood of anonymous authorization starts', () => {
  it('does not evict a flow started before it: 20,000 anonymous starts, then the user completes', async () => {
    const start = await rawRequest(`${base}/oauth/authorize`);
    expect(start.status).toBe(302);
    const cookie = String(start.headers['set-cookie']).split(';')[0]!;

    const statuses = await anonymousStarts(20_000);
    expect([...statuses]).toEqual([[302, 20_000]]);

    const callbackUrl = await followAuthorization(start.headers.location!, base);
    const done = await rawRequest(callbackUrl, { headers: { cookie } });
    expect(done.body).toContain('Authorization complete');
    expect(done.status).toBe(200);
  }, 120_000);
});

describe('with a shared Redis store (and no flowSecret: the secret is kept in the store)', () => {
  let redis: RedisProcess;
  let das2: DevAuthServer;
  let instances: { provider: OAuthProvider; server: SseServer; base: string }[] = [];
  const dbsize = () =>
    Number(execFileSync('redis-cli', ['-p', String(redis.port), 'DBSIZE'], { encoding: 'utf8' }));
  const keys = (pattern: string) =>
    execFileSync('redis-cli', ['-p', String(redis.port), '--scan', '--pattern', pattern], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);

  beforeAll(async () => {
    redis = await startRedis();
    const ports = [await getFreePort(), await getFreePort()];
    const publicBase = `http://127.0.0.1:${ports[0]}`;
    das2 = await startAuthServer({
      resources: [{ uri: `${publicBase}/sse`, scopes: ['mcp:read'] }],
    });
    for (const port of ports) {
      const p = new OAuthProvider({
        authorizationServer: das2.issuer,
        resourceUri: `${publicBase}/sse`,
        requiredScopes: ['mcp:read'],
        clientId: das2.clients.confidential.clientId,
        clientSecret: das2.clients.confidential.clientSecret,
        cache: redisStore({ url: redis.url, prefix: 'flood:', logger: {} }),
        allowInsecureHttpForLoopback: true,
        logger: {},
      });
      const s = createServer({
        port,
        auth: { provider: p },
        createMcpServer: () => new McpServer({ name: 'flood', version: '1' }),
        logger: {},
      });
      await s.listen();
      instances.push({ provider: p, server: s, base: `http://127.0.0.1:${port}` });
    }
  });

  afterAll(async () => {
    for (const i of instances) {
      await i.server.close();
      await i.provider.close();
    }
    instances = [];
    await das2?.stop();
    await redis?.stop();
  });

  it('anonymous starts write nothing; a flow started on one instance completes on the other after the flood', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const start = await rawRequest(`${a.base}/oauth/authorize`);
    expect(start.status).toBe(302);
    const cookie = String(start.headers['set-cookie']).split(';')[0]!;
    // The first start created the shared flow secret: the only key a start ever writes.
    expect(keys('*')).toEqual(['flood:sse-transport:oauth-flow-secret']);

    // b serves the same public origin as a (a load balancer keeps the public Host).
    const publicHost = new URL(a.base).host;
    const statuses = await anonymousStarts(5_000, 32, b.base, publicHost);
    expect([...statuses]).toEqual([[302, 5_000]]);
    expect(dbsize()).toBe(1);

    const callbackUrl = new URL(await followAuthorization(start.headers.location!, a.base));
    const done = await rawRequest(`${b.base}${callbackUrl.pathname}${callbackUrl.search}`, {
      headers: { host: publicHost, cookie },
    });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Authorization complete');
    // Only the successful callback wrote its used state (and the validator its token cache entry).
    expect(keys('flood:sse-transport:oauth-used:*')).toHaveLength(1);
    // The replay, on the instance that started the flow, is refused from the shared set.
    const replay = await rawRequest(callbackUrl.href, { headers: { cookie } });
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('Unknown, expired or already used state');
  }, 120_000);
});
