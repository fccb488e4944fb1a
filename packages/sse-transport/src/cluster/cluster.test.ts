import { createServer } from 'node:http';
import { getFreePort } from '@mcp-auth/test-utils';
import { describe, expect, it } from 'vitest';
import { fakeProvider } from '../../test/helpers.js';
import { createHandler } from '../handler.js';
import { relayedHeaders, withoutToken } from './relay-call.js';
import { type RelayFrame, RelayResponse } from './relay-response.js';

const base = { auth: { provider: fakeProvider() }, createMcpServer: () => ({}) as never };

describe('cluster options', () => {
  it.each([
    [
      { redis: 'http://127.0.0.1:6379' },
      '"cluster.redis" must be a redis:// or rediss:// URL, or a node-redis client',
    ],
    [{ redis: {} }, '"cluster.redis" must be a redis:// or rediss:// URL, or a node-redis client'],
    [
      { redis: 'redis://127.0.0.1:1', instanceId: 'a b' },
      '"cluster.instanceId" must be 1-64 characters of [A-Za-z0-9_.-]',
    ],
    [{ redis: 'redis://127.0.0.1:1', prefix: '' }, '"cluster.prefix" must be a non-empty string'],
    [
      { redis: 'redis://127.0.0.1:1', heartbeatMs: 0 },
      '"cluster.heartbeatMs" must be a positive integer',
    ],
    [
      { redis: 'redis://127.0.0.1:1', forwardTimeoutMs: 1.5 },
      '"cluster.forwardTimeoutMs" must be a positive integer',
    ],
    [
      { redis: 'redis://127.0.0.1:1', commandTimeoutMs: -1 },
      '"cluster.commandTimeoutMs" must be a positive integer',
    ],
  ])('%j is refused at construction', (cluster, message) => {
    expect(() => createHandler({ ...base, cluster: cluster as never })).toThrow(
      new TypeError(message),
    );
  });
});

describe('Redis unreachable from the start', () => {
  it('not ready (503), still alive, and close() does not wait for Redis', async () => {
    const redisPort = await getFreePort(); // nothing listens there
    const handler = createHandler({
      ...base,
      cluster: { redis: `redis://127.0.0.1:${redisPort}`, commandTimeoutMs: 100 },
    });
    const server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not_ready', checks: { redis: 'down' } });
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      const started = Date.now();
      await handler.close();
      expect(Date.now() - started).toBeLessThan(2_000);
      server.close();
    }
  });
});

describe('onAuthEvent', () => {
  it('must be a function', () => {
    expect(() => createHandler({ ...base, onAuthEvent: 'log' as never })).toThrow(
      new TypeError('"onAuthEvent" must be a function'),
    );
  });
});

describe('what a relayed call carries', () => {
  it('no credential header', () => {
    expect(
      relayedHeaders({
        authorization: 'Bearer secret',
        cookie: 'a=b',
        'proxy-authorization': 'Basic x',
        dpop: 'proof',
        'mcp-protocol-version': '2025-11-25',
      }),
    ).toEqual({ 'mcp-protocol-version': '2025-11-25' });
  });

  it('authInfo without its token', () => {
    const info = { token: 'secret', clientId: 'c', scopes: ['a'], extra: { subject: 's' } };
    expect(withoutToken(info)).toEqual({ ...info, token: '' });
    expect(JSON.stringify(withoutToken(info))).not.toContain('secret');
    expect(withoutToken(undefined)).toBeUndefined();
  });
});

describe('RelayResponse', () => {
  it('turns writeHead/write/end into ordered frames and closes once', () => {
    const frames: RelayFrame[] = [];
    const res = new RelayResponse((f) => frames.push(f));
    let closed = 0;
    res.on('close', () => closed++);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'X-N': 1 });
    res.write('a');
    res.end('b');
    res.end();
    res.destroy();
    expect(frames).toEqual([
      { k: 'head', st: 200, h: { 'content-type': 'text/event-stream', 'x-n': '1' } },
      { k: 'data', d: 'a' },
      { k: 'data', d: 'b' },
      { k: 'end' },
    ]);
    expect(closed).toBe(1);
    expect(res.write('c')).toBe(false);
  });

  it('destroy before the end sends abort; abandon sends nothing', () => {
    const frames: RelayFrame[] = [];
    const a = new RelayResponse((f) => frames.push(f));
    a.destroy();
    const b = new RelayResponse((f) => frames.push(f));
    b.abandon();
    expect(b.write('x')).toBe(false);
    expect(frames).toEqual([{ k: 'abort' }]);
  });
});
