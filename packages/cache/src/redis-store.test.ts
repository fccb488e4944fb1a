import { describe, expect, it, vi } from 'vitest';
import { createCache, type RedisClientLike, redisStore } from './index.js';

/** A stand-in for a node-redis client whose replies the test scripts. Integration tests use the real one. */
function fakeClient(reply: (args: string[]) => Promise<unknown>) {
  const client = {
    isOpen: true,
    isReady: true,
    calls: [] as { args: string[]; options: unknown }[],
    sendCommand(args: string[], options?: { timeout?: number }) {
      client.calls.push({ args, options });
      return reply(args);
    },
  };
  return client;
}

const never = () => new Promise<never>(() => {});
const silent = { warn: () => {} };

describe('redisStore options', () => {
  const client = fakeClient(async () => null);
  it.each([
    [{}, 'redisStore needs exactly one of "url" and "client"'],
    [{ url: 'redis://127.0.0.1', client }, 'redisStore needs exactly one of "url" and "client"'],
    [{ url: 'http://127.0.0.1' }, '"url" must be a redis:// or rediss:// URL, got http://'],
    [{ url: 'not a url' }, '"url" must be a redis:// or rediss:// URL'],
    [{ client: {} }, '"client" must be a node-redis v5 client (createClient() from "redis")'],
    [{ client, prefix: '' }, '"prefix" must be a non-empty string, got ""'],
    [{ client, prefix: 7 }, '"prefix" must be a non-empty string, got 7'],
    [
      { client, commandTimeoutMs: 0 },
      '"commandTimeoutMs" must be a finite number of milliseconds > 0, got 0',
    ],
    [
      { client, connectTimeoutMs: Number.NaN },
      '"connectTimeoutMs" must be a finite number of milliseconds > 0, got NaN',
    ],
    [
      { client, logger: 1 },
      '"logger" must be an object with optional debug/info/warn/error methods',
    ],
  ])('rejects %j with a TypeError', (options, message) => {
    expect(() => redisStore(options as never)).toThrow(new TypeError(message));
  });
});

describe('redisStore commands (scripted client)', () => {
  it('puts every key under the prefix and uses SET PX, GET, DEL, GETDEL', async () => {
    const client = fakeClient(async (args) =>
      args[0] === 'GET' || args[0] === 'GETDEL' ? '{"a":1}' : 'OK',
    );
    const store = redisStore({ client, prefix: 'p:' });
    await store.set('k', { a: 1 }, 1500);
    expect(await store.get('k', false)).toEqual({ value: { a: 1 } });
    await store.delete('k');
    expect(await store.take('k')).toEqual({ value: { a: 1 } });
    expect(client.calls.map((c) => c.args)).toEqual([
      ['SET', 'p:k', '{"a":1}', 'PX', '1500'],
      ['GET', 'p:k'],
      ['DEL', 'p:k'],
      ['GETDEL', 'p:k'],
    ]);
    // node-redis also gets the deadline, so it drops timed-out commands from its queue
    expect(client.calls.every((c) => (c.options as { timeout: number }).timeout === 250)).toBe(
      true,
    );
  });

  it('reads Buffer replies (clients with a Buffer type mapping)', async () => {
    const client = fakeClient(async () => Buffer.from('"v"'));
    const store = redisStore({ client });
    expect(await store.get('k', false)).toEqual({ value: 'v' });
  });

  it.each([
    [[-1], 'no expiry in Redis: no ttl'],
    [[1234], 'remaining life'],
  ])('get with ttl: PTTL %j (%s)', async ([pttl]) => {
    const client = fakeClient(async () => ['"v"', pttl]);
    const store = redisStore({ client });
    const entry = await store.get('k', true);
    expect(entry).toEqual(pttl! > 0 ? { value: 'v', ttlMs: pttl } : { value: 'v' });
    expect(client.calls[0]!.args[0]).toBe('EVAL');
  });

  it('rejects a non-JSON value stored by someone else with ERR_CACHE_INVALID_VALUE', async () => {
    const store = redisStore({ client: fakeClient(async () => 'not json{') });
    await expect(store.get('k', false)).rejects.toMatchObject({
      name: 'CacheError',
      code: 'ERR_CACHE_INVALID_VALUE',
      operation: 'get',
    });
  });

  it('times out every call after commandTimeoutMs with ERR_CACHE_TIMEOUT', async () => {
    const store = redisStore({ client: fakeClient(never), commandTimeoutMs: 30 });
    const started = Date.now();
    for (const call of [
      () => store.get('k', false),
      () => store.set('k', 1, 1000),
      () => store.delete('k'),
      () => store.take('k'),
      () => store.clear(),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'ERR_CACHE_TIMEOUT' });
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(5 * 29);
    expect(elapsed).toBeLessThan(2_000);
  });

  it.each([
    [Object.assign(new Error('WRONGTYPE'), { name: 'ErrorReply' }), 'ERR_CACHE_COMMAND_FAILED'],
    [Object.assign(new Error('x'), { name: 'TimeoutError' }), 'ERR_CACHE_TIMEOUT'],
    [
      Object.assign(new Error('Socket closed unexpectedly'), {
        name: 'SocketClosedUnexpectedlyError',
      }),
      'ERR_CACHE_UNAVAILABLE',
    ],
    [new Error('The client is closed'), 'ERR_CACHE_UNAVAILABLE'],
  ])('maps %s to %s, keeping the cause', async (err, code) => {
    const store = redisStore({ client: fakeClient(() => Promise.reject(err)) });
    const failure = await store.take('k').catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'CacheError', code, operation: 'take', cause: err });
  });

  it('fails fast with ERR_CACHE_UNAVAILABLE once the client has been down longer than the deadline', async () => {
    const client = fakeClient(never);
    client.isReady = false;
    const store = redisStore({ client, commandTimeoutMs: 20 });
    // first call: queued behind the reconnect, bounded by the deadline
    await expect(store.get('k', false)).rejects.toMatchObject({ code: 'ERR_CACHE_TIMEOUT' });
    await new Promise((r) => setTimeout(r, 25));
    // ERR_CACHE_UNAVAILABLE, not ERR_CACHE_TIMEOUT: it did not wait for the deadline
    await expect(store.get('k', false)).rejects.toMatchObject({ code: 'ERR_CACHE_UNAVAILABLE' });
    // back up: commands flow again
    client.isReady = true;
    await expect(store.get('k', false)).rejects.toMatchObject({ code: 'ERR_CACHE_TIMEOUT' });
  });

  it('rejects at once when the client is closed', async () => {
    const client = fakeClient(never);
    client.isOpen = false;
    const store = redisStore({ client });
    await expect(store.get('k', false)).rejects.toMatchObject({ code: 'ERR_CACHE_UNAVAILABLE' });
  });

  it('clear walks SCAN with an escaped MATCH and UNLINKs only prefixed keys', async () => {
    let scans = 0;
    const client = fakeClient(async (args) => {
      if (args[0] === 'SCAN') {
        scans++;
        return scans === 1 ? ['7', ['a*[b]:x', 'a*[b]:y']] : ['0', []];
      }
      return 2;
    });
    await redisStore({ client, prefix: 'a*[b]:' }).clear();
    expect(client.calls.map((c) => c.args)).toEqual([
      ['SCAN', '0', 'MATCH', 'a\\*\\[b\\]:*', 'COUNT', '500'],
      ['UNLINK', 'a*[b]:x', 'a*[b]:y'],
      ['SCAN', '7', 'MATCH', 'a\\*\\[b\\]:*', 'COUNT', '500'],
    ]);
  });

  it('does not close a client it does not own, and rejects use after close', async () => {
    const client = fakeClient(async () => 'OK') as RedisClientLike & { close?: () => void };
    client.close = vi.fn();
    const store = redisStore({ client });
    await store.close();
    expect(client.close).not.toHaveBeenCalled();
    await expect(store.get('k', false)).rejects.toMatchObject({ code: 'ERR_CACHE_CLOSED' });
  });

  it.each([
    [new Date(0), 'value must be JSON-serialisable: got a Date (only plain objects and arrays)'],
    [{ n: 10n }, 'value.n must be JSON-serialisable: got a bigint'],
  ])(
    'cache.set on a redis store rejects %s with a TypeError before any command',
    async (value, message) => {
      const client = fakeClient(async () => 'OK');
      const cache = createCache<unknown>({ store: redisStore({ client }), logger: silent });
      await expect(cache.set('k', value)).rejects.toThrow(new TypeError(message));
      expect(client.calls).toEqual([]);
      await cache.close();
    },
  );
});

describe('cache over a failing remote store', () => {
  it('a failed read is a miss, a failed write is counted and dropped, a failed take rejects; logs are rate-limited', async () => {
    const warn = vi.fn();
    const client = fakeClient(() =>
      Promise.reject(Object.assign(new Error('down'), { name: 'SocketClosedUnexpectedlyError' })),
    );
    const cache = createCache<string>({
      store: redisStore({ client, logger: silent }),
      logger: { warn },
      logIntervalMs: 60_000,
    });
    for (let i = 0; i < 50; i++) {
      expect(await cache.get('k')).toBeUndefined();
      await expect(cache.set('k', 'v')).resolves.toBeUndefined();
      await expect(cache.delete('k')).resolves.toBeUndefined();
    }
    await expect(cache.take('k')).rejects.toMatchObject({
      name: 'CacheError',
      code: 'ERR_CACHE_UNAVAILABLE',
    });
    // a failed take is an error, not a miss
    expect(cache.stats()).toMatchObject({ readFailures: 50, writeFailures: 100, misses: 50 });
    // one line per kind (read, write, take), not one per failure
    expect(warn).toHaveBeenCalledTimes(3);
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      'cache: remote read failed; answered as a miss',
      'cache: remote set failed; dropped',
      'cache: remote take failed; rejected',
    ]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain('"k"');
    await cache.close();
  });

  it('logs again after the interval with the number of suppressed failures', async () => {
    let t = 0;
    const warn = vi.fn();
    const client = fakeClient(() => Promise.reject(new Error('down')));
    const cache = createCache<string>({
      store: redisStore({ client, logger: silent }),
      logger: { warn },
      logIntervalMs: 1_000,
      now: () => t,
    });
    await cache.get('a');
    await cache.get('a');
    await cache.get('a');
    t = 1_000;
    await cache.get('a');
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[1]![1]).toMatchObject({ suppressed: 2 });
    await cache.close();
  });

  it('a throwing logger never breaks a read', async () => {
    const client = fakeClient(() => Promise.reject(new Error('down')));
    const cache = createCache<string>({
      store: redisStore({ client, logger: silent }),
      logger: {
        warn: () => {
          throw new Error('logger broke');
        },
      },
    });
    expect(await cache.get('k')).toBeUndefined();
    await cache.close();
  });

  it('getOrLoad falls back to the loader when the remote read fails', async () => {
    const client = fakeClient(() => Promise.reject(new Error('down')));
    const cache = createCache<string>({
      store: redisStore({ client, logger: silent }),
      logger: silent,
    });
    expect(await cache.getOrLoad('k', async () => ({ value: 'loaded' }))).toBe('loaded');
    await cache.close();
  });
});
