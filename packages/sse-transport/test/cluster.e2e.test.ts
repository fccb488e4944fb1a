/**
 * Three instances of the server on one Redis (real redis-server, real tokens from the local
 * authorization server, real HTTP on loopback): sessions of both transports are used through any
 * instance, bound to their principal, and fail with the documented status when their holder is
 * dead or Redis is down.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort, type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import { openStream, rawRequest, whoamiServer } from './helpers.js';

let redis: RedisProcess;
let das: DevAuthServer;
let resource: string;
const servers: SseServer[] = [];
const providers: OAuthProvider[] = [];
const bases: string[] = [];
const received: (AuthInfo | undefined)[] = [];
let alice: string;
let bob: string;
let inspector: ReturnType<typeof createClient>;
const PREFIX = 'cluster-e2e:';

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
const WHOAMI = {
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/call',
  params: { name: 'whoami', arguments: {} },
};
const ACCEPT = 'application/json, text/event-stream';

function mcpPost(i: number, body: unknown, headers: Record<string, string>) {
  return rawRequest(`${bases[i]}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
    body: JSON.stringify(body),
  });
}

async function openSession(i: number, token: string): Promise<string> {
  const res = await mcpPost(i, INIT, { authorization: `Bearer ${token}` });
  expect(res.status).toBe(200);
  const id = res.headers['mcp-session-id'] as string;
  const done = await mcpPost(
    i,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    {
      authorization: `Bearer ${token}`,
      'mcp-session-id': id,
    },
  );
  expect(done.status).toBe(202);
  return id;
}

function subjectOf(body: string): string {
  const text = (JSON.parse(body) as { result: { content: [{ text: string }] } }).result.content[0]
    .text;
  return (JSON.parse(text) as { subject: string }).subject;
}

beforeAll(async () => {
  redis = await startRedis();
  inspector = createClient({ url: redis.url });
  inspector.on('error', () => undefined);
  await inspector.connect();
  const ports = await Promise.all([getFreePort(), getFreePort(), getFreePort()]);
  for (const port of ports) bases.push(`http://127.0.0.1:${port}`);
  resource = `${bases[0]}/mcp`;
  das = await startAuthServer({
    resources: [{ uri: resource, scopes: ['mcp:read'] }],
    users: [
      { sub: 'alice', password: 'p' },
      { sub: 'bob', password: 'p' },
    ],
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
      createMcpServer: () => {
        const mcp = whoamiServer(received as unknown[]);
        mcp.server.registerCapabilities({ logging: {} });
        mcp.registerTool(
          'slow',
          { description: 'Reports progress, then answers' },
          async (extra) => {
            await extra.sendNotification({
              method: 'notifications/message',
              params: { level: 'info', data: 'working' },
            });
            return { content: [{ type: 'text', text: 'done' }] };
          },
        );
        return mcp;
      },
      cluster: {
        redis: redis.url,
        instanceId: `i${i}`,
        prefix: PREFIX,
        heartbeatMs: 200,
        forwardTimeoutMs: 1_000,
        commandTimeoutMs: 200,
      },
      keepAliveMs: 0,
    });
    servers.push(server);
    await server.listen();
    await server.handler.ready();
  }
  [alice, bob] = (await Promise.all(
    ['alice', 'bob'].map((user) =>
      das.authorizationCodeFlow({ resource, user, scope: 'mcp:read' }).then((t) => t.access_token),
    ),
  )) as [string, string];
});

afterAll(async () => {
  for (const server of servers) await server.close();
  for (const provider of providers) await provider.close();
  await inspector?.destroy();
  await das?.stop();
  await redis?.stop();
});

describe('Streamable HTTP sessions across instances', () => {
  it('a session opened on one instance serves tool calls through the others, without the token', async () => {
    const id = await openSession(0, alice);
    const entry = JSON.parse((await inspector.get(`${PREFIX}s:${id}`)) as string);
    expect(entry).toEqual({ o: expect.stringContaining('alice'), i: 'i0', t: 'streamable-http' });
    for (const i of [1, 2, 0]) {
      const before = received.length;
      const res = await mcpPost(i, WHOAMI, {
        authorization: `Bearer ${alice}`,
        'mcp-session-id': id,
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['mcp-session-id']).toBe(id);
      expect(subjectOf(res.body)).toBe('alice');
      const seen = received[before]!;
      expect(seen.extra?.['subject']).toBe('alice');
      // The instance holding the session never saw the token of a relayed request.
      expect(seen.token).toBe(i === 0 ? alice : '');
      expect(seen.resource).toBeInstanceOf(URL);
    }
  });

  it('an answer that streams (a notification before the result) is relayed as SSE frames', async () => {
    const id = await openSession(0, alice);
    const slow = {
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'slow', arguments: {} },
    };
    const res = await mcpPost(2, slow, { authorization: `Bearer ${alice}`, 'mcp-session-id': id });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const frames = res.body
      .split('\n\n')
      .filter((f) => f.startsWith('event: message'))
      .map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)));
    expect(frames).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'info', data: 'working' },
      },
      { jsonrpc: '2.0', id: 9, result: { content: [{ type: 'text', text: 'done' }] } },
    ]);
  });

  it('another principal gets 403 on any instance and nothing is delivered', async () => {
    const id = await openSession(0, alice);
    const before = received.length;
    for (const i of [0, 1, 2]) {
      const res = await mcpPost(i, WHOAMI, {
        authorization: `Bearer ${bob}`,
        'mcp-session-id': id,
      });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'access_denied' });
    }
    expect(received.length).toBe(before);
  });

  it('an unknown session is 404 everywhere; a token is still required first (401)', async () => {
    const res = await mcpPost(1, WHOAMI, {
      authorization: `Bearer ${alice}`,
      'mcp-session-id': 'x'.repeat(43),
    });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body).error.code).toBe(-32001);
    const id = await openSession(0, alice);
    const anonymous = await mcpPost(2, WHOAMI, { 'mcp-session-id': id });
    expect(anonymous.status).toBe(401);
  });

  it('GET stream through another instance, DELETE through a third: the stream ends, then 404', async () => {
    const id = await openSession(0, alice);
    const stream = await openStreamRaw(`${bases[1]}/mcp`, {
      authorization: `Bearer ${alice}`,
      'mcp-session-id': id,
      accept: 'text/event-stream',
    });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['mcp-session-id']).toBe(id);
    const second = await rawRequest(`${bases[2]}/mcp`, {
      headers: {
        authorization: `Bearer ${alice}`,
        'mcp-session-id': id,
        accept: 'text/event-stream',
      },
    });
    expect(second.status).toBe(409);
    const del = await rawRequest(`${bases[2]}/mcp`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${alice}`, 'mcp-session-id': id },
    });
    expect(del.status).toBe(204);
    await stream.closed;
    expect(await inspector.get(`${PREFIX}s:${id}`)).toBeNull();
    const after = await mcpPost(1, WHOAMI, {
      authorization: `Bearer ${alice}`,
      'mcp-session-id': id,
    });
    expect(after.status).toBe(404);
  });

  it('a session whose instance has no heartbeat is 404 (until a heartbeat shows it alive again); a live but silent one is 503', async () => {
    const dead = 'd'.repeat(43);
    const silent = 's'.repeat(43);
    const owner = JSON.parse(
      (await inspector.get(`${PREFIX}s:${await openSession(0, alice)}`)) as string,
    ).o;
    await inspector.set(
      `${PREFIX}s:${dead}`,
      JSON.stringify({ o: owner, i: 'gone', t: 'streamable-http' }),
    );
    await inspector.set(
      `${PREFIX}s:${silent}`,
      JSON.stringify({ o: owner, i: 'mute', t: 'streamable-http' }),
    );
    await inspector.set(`${PREFIX}hb:mute`, '1', { expiration: { type: 'PX', value: 60_000 } });
    const gone = await mcpPost(1, WHOAMI, {
      authorization: `Bearer ${alice}`,
      'mcp-session-id': dead,
    });
    expect(gone.status).toBe(404);
    expect(JSON.parse(gone.body).error.code).toBe(-32001);
    const mute = await mcpPost(1, WHOAMI, {
      authorization: `Bearer ${alice}`,
      'mcp-session-id': silent,
    });
    expect(mute.status).toBe(503);
    expect(mute.headers['retry-after']).toBe('2');
    await inspector.del(`${PREFIX}hb:mute`);
  });
});

describe('legacy SSE sessions across instances', () => {
  it('messages posted to another instance reach the stream; another principal gets 403', async () => {
    const stream = await openStream(`${bases[0]}/sse`, { authorization: `Bearer ${alice}` });
    expect(stream.status).toBe(200);
    const url = (i: number) => `${bases[i]}${stream.endpoint}`;
    const post = (i: number, token: string, body: unknown) =>
      rawRequest(url(i), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post(1, alice, INIT)).status).toBe(202);
    await stream.next('message');
    expect(
      (await post(2, alice, { jsonrpc: '2.0', method: 'notifications/initialized' })).status,
    ).toBe(202);
    const before = received.length;
    const refused = await post(1, bob, WHOAMI);
    expect(refused.status).toBe(403);
    expect(received.length).toBe(before);
    const accepted = await post(2, alice, WHOAMI);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toBe('Accepted');
    const answer = await stream.next('message');
    expect(subjectOf(answer.data)).toBe('alice');
    expect(received[before]!.token).toBe('');
    stream.close();
    await expect.poll(async () => (await post(1, alice, WHOAMI)).status).toBe(404);
  });
});

describe('Redis down', () => {
  it('local sessions keep working, sessions held elsewhere get 503 with Retry-After; after the restart both work', async () => {
    const id = await openSession(0, alice);
    await redis.kill();
    try {
      const local = await mcpPost(0, WHOAMI, {
        authorization: `Bearer ${alice}`,
        'mcp-session-id': id,
      });
      expect(local.status).toBe(200);
      const remote = await mcpPost(1, WHOAMI, {
        authorization: `Bearer ${alice}`,
        'mcp-session-id': id,
      });
      expect(remote.status).toBe(503);
      expect(remote.headers['retry-after']).toBe('2');
      expect(JSON.parse(remote.body).error.code).toBe(-32000);
      // Not ready (Redis down), still alive.
      await expect
        .poll(async () => (await rawRequest(`${bases[0]}/health/ready`)).status, { timeout: 5_000 })
        .toBe(503);
      const ready = await rawRequest(`${bases[0]}/health/ready`);
      expect(ready.headers['retry-after']).toBe('5');
      expect(JSON.parse(ready.body)).toMatchObject({
        status: 'not_ready',
        checks: { redis: 'down' },
      });
      expect((await rawRequest(`${bases[0]}/health`)).status).toBe(200);
    } finally {
      await redis.restart();
    }
    // Redis came back empty: each instance writes its sessions' entries again.
    await expect
      .poll(
        async () =>
          (await mcpPost(1, WHOAMI, { authorization: `Bearer ${alice}`, 'mcp-session-id': id }))
            .status,
        {
          timeout: 15_000,
          interval: 250,
        },
      )
      .toBe(200);
    const ready = await rawRequest(`${bases[0]}/health/ready`);
    expect(JSON.parse(ready.body)).toEqual({
      status: 'ready',
      checks: { redis: 'ok', authorizationServer: 'ok' },
    });
  }, 30_000);
});

/** A GET that resolves at the response head (the stream has no `endpoint` event). */
function openStreamRaw(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; closed: Promise<void> }>(
    (resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request(url, { headers, agent: false });
        req.on('error', reject);
        req.on('response', (res) => {
          res.resume();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            closed: new Promise((r) => res.on('close', () => r())),
          });
        });
        req.end();
      }, reject);
    },
  );
}
