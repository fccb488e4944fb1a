/**
 * `pnpm bench`: throughput of an authenticated Streamable HTTP `tools/call` (one stateful session,
 * 32 connections, autocannon) against, in the same run and interleaved rounds (best round counts):
 *
 * - `single`: one instance, no Redis (memory caches, local sessions): the baseline;
 * - `single+redis`: one instance with the Redis tier (validation cache in Redis, `cluster` on);
 * - `cluster`: three instances behind HAProxy (round-robin) on Redis: two requests in three land
 *   on an instance that does not hold the session and are relayed over Redis pub/sub.
 *
 * Prints requests/s, the ratio to `single`, p99 latency, and the CPU µs per request summed over the
 * instances (the cost per request of the Redis tier is `single+redis` − `single`). On the 2-core
 * machine the three instances, HAProxy, Redis and the load generator share two cores: the ratio
 * measures the overhead of scaling out, not the gain of more hardware.
 */
import { start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort, openMcpSession, startRedis } from '@mcp-auth/test-utils';
import autocannon from 'autocannon';
import {
  ensureBuilt,
  type Instance,
  type LoadBalancer,
  startHaproxy,
  startInstance,
} from '../src/cluster.js';

const DURATION_S = Number(process.env['BENCH_DURATION'] ?? 3);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CONNECTIONS = 32;
const ACCEPT = 'application/json, text/event-stream';
let nextId = 1;
/** A fresh JSON-RPC id per request: requests in flight in one session must not share one. */
function call(): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: nextId++,
    method: 'tools/call',
    params: { name: 'whoami', arguments: {} },
  });
}

interface Target {
  name: 'single' | 'single+redis' | 'cluster';
  url: string;
  instances: Instance[];
  token: string;
  sessionId: string;
}

interface Result {
  rps: number;
  p99: number;
  cpuMicrosPerRequest: number;
  non2xx: number;
}

async function cpu(instances: Instance[]): Promise<number> {
  const stats = await Promise.all(instances.map((i) => i.stats()));
  return stats.reduce((sum, s) => sum + s.cpuMicros, 0);
}

async function measure(t: Target, duration: number): Promise<Result> {
  const before = await cpu(t.instances);
  const r = await autocannon({
    url: `${t.url}/mcp`,
    method: 'POST',
    connections: CONNECTIONS,
    duration,
    headers: {
      authorization: `Bearer ${t.token}`,
      'content-type': 'application/json',
      accept: ACCEPT,
      'mcp-session-id': t.sessionId,
      'mcp-protocol-version': '2025-11-25',
    },
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: call() }),
      },
    ],
  });
  const used = (await cpu(t.instances)) - before;
  return {
    rps: r.requests.average,
    p99: r.latency.p99,
    cpuMicrosPerRequest: used / Math.max(1, r.requests.total),
    non2xx: r.non2xx,
  };
}

async function main(): Promise<void> {
  ensureBuilt();
  const redis = await startRedis();
  const ports = await Promise.all(Array.from({ length: 6 }, () => getFreePort()));
  const [singlePort, redisPort, lbPort, ...clusterPorts] = ports as [
    number,
    number,
    number,
    ...number[],
  ];
  const resources = {
    single: `http://127.0.0.1:${singlePort}/mcp`,
    'single+redis': `http://127.0.0.1:${redisPort}/mcp`,
    cluster: `http://127.0.0.1:${lbPort}/mcp`,
  } as const;
  const das = await startAuthServer({
    resources: Object.values(resources).map((uri) => ({ uri, scopes: ['mcp:read'] })),
    users: [{ sub: 'bench', password: 'p' }],
  });
  const common = { issuer: das.issuer, introspector: das.clients.introspector, heartbeatMs: 1_000 };
  const all: Instance[] = [];
  let lb: LoadBalancer | undefined;
  try {
    const single = await startInstance({
      ...common,
      id: 'single',
      port: singlePort,
      resource: resources.single,
    });
    const withRedis = await startInstance({
      ...common,
      id: 'single-redis',
      port: redisPort,
      resource: resources['single+redis'],
      redisUrl: redis.url,
    });
    const cluster = await Promise.all(
      clusterPorts.map((port, i) =>
        startInstance({
          ...common,
          id: `c${i}`,
          port,
          resource: resources.cluster,
          redisUrl: redis.url,
        }),
      ),
    );
    all.push(single, withRedis, ...cluster);
    lb = await startHaproxy(
      lbPort,
      cluster.map((c) => ({ id: c.id, port: c.port })),
    );
    const targets: Target[] = [];
    for (const [name, url, instances] of [
      ['single', single.url, [single]],
      ['single+redis', withRedis.url, [withRedis]],
      ['cluster', lb.url, cluster],
    ] as const) {
      const token = (
        await das.authorizationCodeFlow({
          resource: resources[name],
          user: 'bench',
          scope: 'mcp:read',
        })
      ).access_token;
      targets.push({
        name,
        url,
        instances: [...instances],
        token,
        sessionId: await openMcpSession(url, token),
      });
    }
    const best = new Map<Target['name'], Result>();
    for (const t of targets) await measure(t, 1); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const r = await measure(t, DURATION_S);
        const previous = best.get(t.name);
        if (previous === undefined || r.rps > previous.rps) best.set(t.name, r);
      }
    }
    const base = best.get('single')!;
    console.log(
      `\nStreamable HTTP tools/call, one session, ${CONNECTIONS} connections, best of ${ROUNDS} × ${DURATION_S}s\n`,
    );
    console.table(
      targets.map((t) => {
        const r = best.get(t.name)!;
        return {
          target: t.name,
          'req/s': Math.round(r.rps),
          'ratio to single': Number((r.rps / base.rps).toFixed(2)),
          'p99 ms': r.p99,
          'CPU µs/req (all instances)': Math.round(r.cpuMicrosPerRequest),
          non2xx: r.non2xx,
        };
      }),
    );
    const redisTier = best.get('single+redis')!;
    console.log(
      `Redis tier: ${Math.round(redisTier.cpuMicrosPerRequest - base.cpuMicrosPerRequest)} µs CPU per request ` +
        `(${Math.round(1e6 / redisTier.rps - 1e6 / base.rps)} µs wall per request at ${CONNECTIONS} connections).`,
    );
  } finally {
    await lb?.stop();
    await Promise.all(all.map((i) => i.stop()));
    await das.stop();
    // The redis-server child is unref'd: keep the loop alive until it has exited.
    const keepAlive = setInterval(() => undefined, 1_000);
    await redis.stop();
    clearInterval(keepAlive);
  }
}

await main();
