/**
 * `maxSessionsPerPrincipal` across a cluster (real redis-server, real tokens from the local
 * authorization server, three instances on loopback): an account's sessions on every live
 * instance count, through a Redis hash keyed by a SHA-256 of issuer + subject.
 */
import { createHash } from 'node:crypto';
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort, type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import { rawRequest, whoamiServer } from './helpers.js';

let redis: RedisProcess;
let das: DevAuthServer;
const servers: SseServer[] = [];
const providers: OAuthProvider[] = [];
const bases: string[] = [];
const tokens: Record<string, string> = {};
let inspector: ReturnType<typeof createClient>;
const PREFIX = 'caps-e2e:';
const ACCEPT = 'application/json, text/event-stream';
const INIT = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
};

function initialize(i: number, user: string) {
  return rawRequest(`${bases[i]}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: ACCEPT,
      authorization: `Bearer ${tokens[user]}`,
    },
    body: JSON.stringify(INIT),
  });
}

async function open(i: number, user: string): Promise<string> {
  const res = await initialize(i, user);
  expect(res.status).toBe(200);
  return res.headers['mcp-session-id'] as string;
}

function expectCapRefusal(res: Awaited<ReturnType<typeof rawRequest>>): void {
  expect(res.status).toBe(429);
  expect(res.headers['retry-after']).toBe('5');
  expect(JSON.parse(res.body).error.message).toBe('Too many open sessions for this principal');
}

function accountKey(user: string): string {
  return `${PREFIX}a:${createHash('sha256').update(`${das.issuer}\u0000${user}`).digest('hex')}`;
}

beforeAll(async () => {
  redis = await startRedis();
  inspector = createClient({ url: redis.url });
  inspector.on('error', () => undefined);
  await inspector.connect();
  const ports = await Promise.all([getFreePort(), getFreePort(), getFreePort()]);
  for (const port of ports) bases.push(`http://127.0.0.1:${port}`);
  const resource = `${bases[0]}/mcp`;
  const users = ['alice', 'bob', 'carol'];
  das = await startAuthServer({
    resources: [{ uri: resource, scopes: ['mcp:read'] }],
    users: users.map((sub) => ({ sub, password: 'p' })),
  });
  for (const [i, port] of ports.entries()) {
    const provider = new OAuthProvider({
      authorizationServer: das.issuer,
      resourceUri: resource,
      requiredScopes: ['mcp:read'],
      allowInsecureHttpForLoopback: true,
    });
    providers.push(provider);
    const server = createServer({
      port,
      auth: { provider },
      allowedHosts: ports.map((p) => `127.0.0.1:${p}`),
      createMcpServer: () => whoamiServer([]),
      maxSessionsPerPrincipal: 2,
      cluster: {
        redis: redis.url,
        instanceId: `i${i}`,
        prefix: PREFIX,
        heartbeatMs: 200,
        // Generous: a command that times out falls back to the local count (by design).
        commandTimeoutMs: 1_000,
      },
      keepAliveMs: 0,
    });
    servers.push(server);
    await server.listen();
    await server.handler.ready();
  }
  for (const user of users) {
    tokens[user] = (
      await das.authorizationCodeFlow({ resource, user, scope: 'mcp:read' })
    ).access_token;
  }
});

afterAll(async () => {
  for (const server of servers) await server.close();
  for (const provider of providers) await provider.close();
  await inspector?.destroy();
  await das?.stop();
  await redis?.stop();
});

describe('maxSessionsPerPrincipal across instances', () => {
  it('two sessions on A refuse a third on B with 429; after a DELETE on A, B opens', async () => {
    const first = await open(0, 'alice');
    await open(0, 'alice');
    // The count is keyed by a hash of issuer + subject, per instance, never the raw subject.
    expect(await inspector.hGetAll(accountKey('alice'))).toEqual({ i0: '2' });
    expect(await inspector.keys(`${PREFIX}*alice*`)).toEqual([]);
    expectCapRefusal(await initialize(1, 'alice'));
    // Another account is not affected.
    await open(1, 'bob');
    const del = await rawRequest(`${bases[0]}/mcp`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tokens['alice']}`, 'mcp-session-id': first },
    });
    expect(del.status).toBe(204);
    await expect.poll(() => inspector.hGetAll(accountKey('alice'))).toEqual({ i0: '1' });
    const onB = await open(1, 'alice');
    expect(await inspector.hGetAll(accountKey('alice'))).toEqual({ i0: '1', i1: '1' });
    // At the cluster-wide cap, B's own idle session makes room (as the local cap does today).
    await open(1, 'alice');
    await expect.poll(() => inspector.hGetAll(accountKey('alice'))).toEqual({ i0: '1', i1: '1' });
    const evicted = await rawRequest(`${bases[1]}/mcp`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tokens['alice']}`, 'mcp-session-id': onB },
    });
    expect(evicted.status).toBe(404);
  });

  it('counts of an instance without a heartbeat are ignored', async () => {
    // A crashed instance leaves its field behind; it has no heartbeat key, so it does not count.
    await inspector.hSet(accountKey('bob'), 'ghost', '5');
    await open(1, 'bob'); // bob's second session (the first is from the previous test)
    expect(await inspector.hGetAll(accountKey('bob'))).toEqual({ ghost: '5', i1: '2' });
    expectCapRefusal(await initialize(0, 'bob'));
  });

  it('an instance that stopped stops counting', async () => {
    await open(2, 'carol');
    await open(2, 'carol');
    expectCapRefusal(await initialize(0, 'carol'));
    await servers[2]!.close();
    expect(await inspector.hGetAll(accountKey('carol'))).toEqual({});
    await open(0, 'carol');
    await open(1, 'carol');
    expect(await inspector.hGetAll(accountKey('carol'))).toEqual({ i0: '1', i1: '1' });
  });

  it('Redis down: the local count applies; once it is back, the heartbeat writes the counts again', async () => {
    // bob holds 2 sessions on i1 (the tests above): the cluster-wide cap refuses him on i0.
    expectCapRefusal(await initialize(0, 'bob'));
    await redis.kill();
    await expect
      .poll(async () => (await initialize(0, 'bob')).status, { timeout: 5_000, interval: 100 })
      .toBe(200);
    await redis.restart();
    await expect
      .poll(() => inspector.hGetAll(accountKey('bob')).catch(() => null), { timeout: 10_000 })
      .toEqual({ i0: '1', i1: '2' });
  });
});
