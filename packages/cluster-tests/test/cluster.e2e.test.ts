/**
 * Three server instances (separate processes) behind HAProxy (round-robin, no stickiness) on one
 * redis-server, with the local authorization server: SDK v1 clients over Streamable HTTP and the
 * legacy SSE transport call tools through whichever instance HAProxy picks, while the signing key
 * is rotated, one instance is killed (SIGKILL) and Redis is restarted. Counted and asserted: no
 * request authorized that should not be, no answer for another principal, every failure one of the
 * documented statuses, and the JWKS fetches and introspection calls of the whole cluster bounded.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort, type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  type Instance,
  type InstanceStats,
  type LoadBalancer,
  startHaproxy,
  startInstance,
} from '../src/cluster.js';
import { type Counters, newCounters, runWorker } from '../src/workload.js';

const RUN_MS = 18_000;
/**
 * Later than `jwt.jwksRefetchCooldownSeconds` (5 s) after the first JWKS fetch (at the first
 * validation): a token with an unknown `kid` within the cooldown is refused (401) until it passes.
 */
const ROTATE_AT = 6_000;
const KILL_AT = 8_000;
const REDIS_DOWN_AT = 11_000;
const REDIS_DOWN_MS = 1_000;
/** After the last fault settles, every kind of client must be served again. */
const RECOVERED_FROM_S = 15;

/**
 * The statuses a client may see while instances die and Redis restarts (the README's table):
 * 404 (the session's instance died: open a new one), 503 (Redis down, or the holder unreachable;
 * Retry-After), 502 (HAProxy: the instance died with the request in flight), and streams or
 * requests ended by the same events (closed, network, timeout).
 */
const DOCUMENTED = new Set(['http-404', 'http-503', 'http-502', 'closed', 'network', 'timeout']);
/**
 * A token signed by the new key presented within `jwt.jwksRefetchCooldownSeconds` (5 s) of an
 * instance's previous JWKS fetch is refused (401 `invalid_token`) until the cooldown allows the
 * refetch (the validator's documented behaviour): 401 is expected only in that window.
 */
const ROTATION_401_WINDOW_MS = 6_000;

let redis: RedisProcess;
let das: DevAuthServer;
let lb: LoadBalancer;
const instances: Instance[] = [];

const USERS = [
  { user: 'alice', kind: 'streamable', format: 'jwt' },
  { user: 'bob', kind: 'streamable', format: 'opaque' },
  { user: 'carol', kind: 'streamable', format: 'jwt' },
  { user: 'dave', kind: 'sse', format: 'jwt' },
  { user: 'erin', kind: 'sse', format: 'opaque' },
  { user: 'frank', kind: 'sse', format: 'jwt' },
] as const;

beforeAll(async () => {
  ensureBuilt();
  redis = await startRedis();
  const [lbPort, ...ports] = await Promise.all([
    getFreePort(),
    getFreePort(),
    getFreePort(),
    getFreePort(),
  ]);
  const resource = `http://127.0.0.1:${lbPort}/mcp`;
  das = await startAuthServer({
    resources: [{ uri: resource, scopes: ['mcp:read'] }],
    users: [
      ...USERS.map((u) => ({ sub: u.user, password: 'p' })),
      { sub: 'mallory', password: 'p' },
    ],
  });
  const started = await Promise.all(
    ports.map((port, i) =>
      startInstance({
        id: `i${i}`,
        port: port!,
        resource,
        issuer: das.issuer,
        introspector: das.clients.introspector,
        redisUrl: redis.url,
        heartbeatMs: 300,
      }),
    ),
  );
  instances.push(...started);
  lb = await startHaproxy(
    lbPort!,
    started.map((s) => ({ id: s.id, port: s.port })),
  );
}, 90_000);

afterAll(async () => {
  await lb?.stop();
  await Promise.all(instances.map((i) => (i.alive ? i.stop() : undefined)));
  await das?.stop();
  await redis?.stop();
});

async function token(user: string, format: 'jwt' | 'opaque'): Promise<string> {
  const t = await das.authorizationCodeFlow({
    resource: `${lb.url}/mcp`,
    user,
    scope: 'mcp:read',
    format,
  });
  return t.access_token;
}

interface Probes {
  sent: number;
  /** Answers 2xx to a request that must be refused (must stay 0). */
  authorized: number;
  statuses: Record<string, number>;
}

/**
 * Requests that must never be served, sent through the load balancer during the run: no token,
 * a forged token, and a valid token of another user on a live session of a worker.
 */
async function probe(
  url: string,
  mallory: string,
  sessions: string[],
  probes: Probes,
): Promise<void> {
  const call = {
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'whoami', arguments: {} },
  };
  const attempts: [string, Record<string, string>, number[]][] = [
    ['no-token', {}, [401]],
    ['forged', { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.' }, [401]],
  ];
  const victim = sessions[sessions.length - 1];
  if (victim !== undefined) {
    attempts.push([
      'hijack',
      { authorization: `Bearer ${mallory}`, 'mcp-session-id': victim },
      [403, 404],
    ]);
  }
  for (const [name, headers, expected] of attempts) {
    probes.sent++;
    let status: number;
    try {
      const res = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify(call),
      });
      status = res.status;
      await res.body?.cancel();
    } catch {
      continue;
    }
    if (status >= 200 && status < 300) probes.authorized++;
    // 503 (Redis down) and 502 (an instance died) are documented for any request.
    const key =
      expected.includes(status) || status === 503 || status === 502
        ? `${name}-${status}`
        : `${name}-UNEXPECTED-${status}`;
    probes.statuses[key] = (probes.statuses[key] ?? 0) + 1;
  }
}

describe('three instances behind HAProxy on one Redis', () => {
  it('serve every client as itself through instance death, Redis restart and key rotation', async () => {
    const tokens = new Map<string, string>();
    await Promise.all(USERS.map(async (u) => tokens.set(u.user, await token(u.user, u.format))));
    const mallory = await token('mallory', 'jwt');
    const startedAt = Date.now();
    const until = startedAt + RUN_MS;
    const counters = new Map<string, Counters>(USERS.map((u) => [u.user, newCounters()]));
    const sessions: string[] = [];
    const probes: Probes = { sent: 0, authorized: 0, statuses: {} };
    const events: string[] = [];
    let rotatedAt = Number.POSITIVE_INFINITY;
    let killedStats: InstanceStats | undefined;
    const workers = USERS.map((u) =>
      runWorker({
        kind: u.kind,
        user: u.user,
        token: () => tokens.get(u.user)!,
        url: lb.url,
        until,
        callsPerSession: 15,
        startedAt,
        counters: counters.get(u.user)!,
        onSession: (id) => sessions.push(id),
      }),
    );
    const faults = (async () => {
      const at = (ms: number) =>
        new Promise((r) => setTimeout(r, Math.max(0, startedAt + ms - Date.now())));
      await at(ROTATE_AT);
      const kid = await das.keys.rotate('RS256');
      rotatedAt = Date.now() - startedAt;
      // New tokens are signed with the new key; workers pick them up with their next session.
      for (const u of USERS) tokens.set(u.user, await token(u.user, u.format));
      events.push(`rotated to ${kid} at ${Date.now() - startedAt} ms`);
      await at(KILL_AT);
      killedStats = await instances[2]!.stats();
      await instances[2]!.kill();
      events.push(`killed i2 at ${Date.now() - startedAt} ms`);
      await at(REDIS_DOWN_AT);
      await redis.kill();
      events.push(`redis down at ${Date.now() - startedAt} ms`);
      await new Promise((r) => setTimeout(r, REDIS_DOWN_MS));
      await redis.restart();
      events.push(`redis back at ${Date.now() - startedAt} ms`);
    })();
    const prober = (async () => {
      while (Date.now() < until) {
        await probe(lb.url, mallory, sessions, probes);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    await Promise.all([...workers, faults, prober]);

    const survivors: InstanceStats[] = await Promise.all(
      instances.filter((i) => i.alive).map((i) => i.stats()),
    );
    // The killed instance's counters as they were just before it died, plus the survivors'.
    const stats = killedStats === undefined ? survivors : [...survivors, killedStats];
    const total = (name: 'jwksFetches' | 'introspections') =>
      stats.reduce((sum, s) => sum + s.validator[name], 0);
    const summary = {
      events,
      perUser: Object.fromEntries(
        [...counters].map(([user, c]) => [
          user,
          {
            ok: c.ok,
            sessions: c.sessions,
            failures: c.failures,
            instances: c.instances,
            other: c.otherMessages,
          },
        ]),
      ),
      probes,
      jwksFetches: total('jwksFetches'),
      introspections: total('introspections'),
    };
    console.log(JSON.stringify(summary, null, 2));

    // No request authorized that should not be; no answer for another principal.
    expect(probes.authorized).toBe(0);
    expect(probes.sent).toBeGreaterThan(50);
    expect(Object.keys(probes.statuses).filter((k) => k.includes('UNEXPECTED'))).toEqual([]);
    expect(probes.statuses['hijack-403'] ?? 0).toBeGreaterThan(0);
    for (const [user, c] of counters) {
      expect(c.wrongPrincipal, user).toBe(0);
      // Every failure has a documented status.
      expect(
        Object.keys(c.failures).filter((k) => !DOCUMENTED.has(k) && k !== 'http-401'),
        user,
      ).toEqual([]);
      const late401 = (c.failuresAt['http-401'] ?? []).filter(
        (t) => t < rotatedAt || t > rotatedAt + ROTATION_401_WINDOW_MS,
      );
      expect(late401, `${user}: 401 outside the rotation window`).toEqual([]);
      expect(c.ok, user).toBeGreaterThan(20);
      // Served again once the faults are over.
      const after = c.okAt.slice(RECOVERED_FROM_S).reduce((a, b) => a + (b ?? 0), 0);
      expect(after, `${user} recovered`).toBeGreaterThan(0);
    }
    // The load balancer spread the calls over every instance (sessions held on one, served by all).
    const seen = new Set([...counters.values()].flatMap((c) => Object.keys(c.instances)));
    expect([...seen].sort()).toEqual(['i0', 'i1', 'i2']);
    // Bounded: each instance fetched the JWKS at most at start, after the rotation, and once more
    // (refresh), and introspected each opaque token (4: two users, before and after the rotation)
    // at most a few times (results shared in Redis, re-done after the Redis restart emptied it).
    expect(summary.jwksFetches).toBeLessThanOrEqual(3 * 3);
    expect(summary.introspections).toBeLessThanOrEqual(3 * 4 * 4);
  }, 60_000);
});
