import { type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisSessionStore } from '../examples/redis-sessions.js';
import { createGate } from '../src/gate.js';
import type { Gate, GateProceed } from '../src/types.js';
import { fakeValidator } from './fake-validator.js';

/**
 * Two gates (two server processes) sharing session bindings through a real redis-server: a session
 * opened behind one is refused to another principal behind the other; a Redis outage fails closed.
 */
let redis: RedisProcess;
const closers: (() => Promise<void>)[] = [];

function gateOn(url: string): Gate {
  const sessions = redisSessionStore(url, {}); // silent: the outage test fails Redis on purpose
  closers.push(sessions.close);
  return createGate({ validator: fakeValidator(), sessions: { store: sessions.store } });
}

const req = (auth: string, o: { method?: string; session?: string } = {}) => ({
  method: o.method ?? 'POST',
  url: '/mcp',
  headers: {
    host: 'mcp.example.com',
    authorization: `Bearer ${auth}`,
    ...(o.session ? { 'mcp-session-id': o.session } : {}),
  },
  ...((o.method ?? 'POST') === 'POST' ? { body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' } : {}),
});

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await redis?.stop();
});

describe('session bindings in Redis, shared by two gates', () => {
  it('binds behind A, refuses another principal behind B, unbinds for both on DELETE', async () => {
    const a = gateOn(redis.url);
    const b = gateOn(redis.url);
    const init = (await a.check(req('u1'))) as GateProceed;
    await a.observeResponse(init, { status: 200, headers: { 'mcp-session-id': 'shared-1' } });

    expect(await b.check(req('u2', { session: 'shared-1' }))).toMatchObject({
      status: 403,
      reason: 'session_forbidden',
    });
    expect((await b.check(req('u1', { session: 'shared-1' }))).kind).toBe('proceed');

    const del = (await b.check(
      req('u1', { method: 'DELETE', session: 'shared-1' }),
    )) as GateProceed;
    await b.observeResponse(del, { status: 200, headers: {} });
    expect(await a.check(req('u1', { session: 'shared-1' }))).toMatchObject({
      status: 404,
      reason: 'session_not_found',
    });
  });

  it('a Redis outage fails closed (404), and bindings work again after it returns', async () => {
    const a = gateOn(redis.url);
    const init = (await a.check(req('u1'))) as GateProceed;
    await a.observeResponse(init, { status: 200, headers: { 'mcp-session-id': 'shared-2' } });
    expect((await a.check(req('u1', { session: 'shared-2' }))).kind).toBe('proceed');
    await redis.kill();
    expect(await a.check(req('u1', { session: 'shared-2' }))).toMatchObject({ status: 404 });
    expect(await a.check(req('u2', { session: 'shared-2' }))).toMatchObject({ status: 404 });
    await redis.restart();
    const again = (await a.check(req('u1'))) as GateProceed;
    let bound = false;
    for (let i = 0; i < 50 && !bound; i++) {
      await a.observeResponse(again, {
        status: 200,
        headers: { 'mcp-session-id': `shared-3-${i}` },
      });
      bound = (await a.check(req('u1', { session: `shared-3-${i}` }))).kind === 'proceed';
      if (!bound) await new Promise((r) => setTimeout(r, 100));
    }
    expect(bound).toBe(true);
  });
});
