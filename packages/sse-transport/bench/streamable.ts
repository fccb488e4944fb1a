/**
 * Streamable HTTP: an authenticated `tools/call` of an echo tool, one cached token, 50 connections
 * (autocannon), against the official SDKs' own stacks behind their own `requireBearerAuth` with a
 * jose verifier (v1 StreamableHTTPServerTransport + Express, stateful and stateless; v2
 * createMcpHandler + toNodeHandler, stateless), and against our server with auth off. Each server
 * runs in its own process; rounds interleave the targets and the best round of each counts, so the
 * ratios hold on a shared machine. Then the memory of 2,000 idle stateful sessions on our server.
 *
 * `pnpm --filter @mcp-auth/sse-transport bench` runs it after bench/run.ts (the SSE bench).
 */
import { fileURLToPath } from 'node:url';
import { start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort, openMcpSession } from '@mcp-auth/test-utils';
import autocannon from 'autocannon';
import { cpuOf, memoryOf, startTargetProcess, stopTarget, type Target } from './targets.js';

const DURATION_S = Number(process.env['BENCH_DURATION'] ?? 3);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CONNECTIONS = 50;
const SESSIONS = Number(process.env['BENCH_SESSIONS'] ?? 2000);
const TARGET_FILE = fileURLToPath(new URL('./streamable-target.ts', import.meta.url));
const ACCEPT = 'application/json, text/event-stream';

const KINDS = [
  'sdk1-stateful',
  'sdk1-stateless',
  'sdk2-stateless',
  'ours-stateful',
  'ours-stateless',
  'ours-stateless-shared',
  'ours-stateful-noauth',
  'ours-stateless-shared-noauth',
  'ours-stateless-noauth',
] as const;
type Kind = (typeof KINDS)[number];

interface Result {
  requestsPerSec: number;
  cpuMicrosPerRequest: number;
  latencyP99: number;
  non2xx: number;
  errors: number;
}

async function measure(
  target: Target,
  token: string,
  sessionId: string | undefined,
  warmUp: boolean,
): Promise<Result> {
  let next = 1;
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: ACCEPT,
    'mcp-protocol-version': '2025-11-25',
  };
  if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
  const opts = {
    url: `${target.url}/mcp`,
    method: 'POST' as const,
    connections: CONNECTIONS,
    headers,
    // A fresh JSON-RPC id per request: requests in flight in one session must not share one.
    requests: [
      {
        setupRequest: (req: autocannon.Request) => ({
          ...req,
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: next++,
            method: 'tools/call',
            params: { name: 'echo', arguments: { text: 'hello' } },
          }),
        }),
      },
    ],
  };
  if (warmUp) await autocannon({ ...opts, duration: 1 });
  const cpuBefore = await cpuOf(target);
  const result = await autocannon({ ...opts, duration: DURATION_S });
  const cpu = (await cpuOf(target)) - cpuBefore;
  return {
    requestsPerSec: result.requests.average,
    cpuMicrosPerRequest: cpu / Math.max(1, result.requests.total),
    latencyP99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

function keepBest(results: Map<Kind, Result>, kind: Kind, r: Result): void {
  const best = results.get(kind);
  if (best === undefined) {
    results.set(kind, r);
    return;
  }
  const merged = r.requestsPerSec > best.requestsPerSec ? { ...r } : best;
  merged.cpuMicrosPerRequest = Math.min(best.cpuMicrosPerRequest, r.cpuMicrosPerRequest);
  merged.non2xx = best.non2xx + r.non2xx;
  merged.errors = best.errors + r.errors;
  results.set(kind, merged);
}

async function idleSessionMemory(issuer: string, resource: string, token: string): Promise<number> {
  const target = await startTargetProcess(
    TARGET_FILE,
    'ours-stateful',
    issuer,
    resource,
    await getFreePort(),
  );
  try {
    await openMcpSession(target.url, token); // warm: validator, JWKS, caches
    const before = await memoryOf(target);
    for (let i = 0; i < SESSIONS; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => openMcpSession(target.url, token)));
    }
    const after = await memoryOf(target);
    return (after.heapUsed + after.external - before.heapUsed - before.external) / SESSIONS;
  } finally {
    await stopTarget(target);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const resourcePort = await getFreePort();
  const resource = `http://127.0.0.1:${resourcePort}/mcp`;
  const das = await startAuthServer({ resources: [{ uri: resource, scopes: ['mcp:read'] }] });
  const token = await das.getToken({ resource, scope: 'mcp:read' });
  const only = process.env['BENCH_ONLY']?.split(',');
  const kinds = KINDS.filter((k) => !only || only.includes(k));
  const results = new Map<Kind, Result>();
  try {
    const targets = await Promise.all(
      kinds.map(async (kind) => {
        const target = await startTargetProcess(
          TARGET_FILE,
          kind,
          das.issuer,
          resource,
          await getFreePort(),
        );
        const sessionId = kind.includes('stateful')
          ? await openMcpSession(target.url, token)
          : undefined;
        return { kind, target, sessionId };
      }),
    );
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (const { kind, target, sessionId } of targets) {
          keepBest(results, kind, await measure(target, token, sessionId, round === 0));
        }
      }
    } finally {
      for (const { target } of targets) await stopTarget(target);
    }
    const perSession = await idleSessionMemory(das.issuer, resource, token);
    report(results, perSession);
    console.log(`bench finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await das.stop();
  }
}

function report(results: Map<Kind, Result>, perSession: number): void {
  const rps = (k: Kind) => results.get(k)?.requestsPerSec ?? Number.NaN;
  const fasterSdkStateful = rps('sdk1-stateful');
  const fasterSdkStateless = Math.max(rps('sdk1-stateless'), rps('sdk2-stateless'));
  console.log(
    `\nStreamable HTTP tools/call (echo), ${CONNECTIONS} connections, best of ${ROUNDS} interleaved ${DURATION_S}s runs, one cached token\n`,
  );
  console.table(
    Object.fromEntries(
      [...results].map(([name, r]) => [
        name,
        {
          'req/s': Math.round(r.requestsPerSec),
          'server CPU µs/req': r.cpuMicrosPerRequest.toFixed(1),
          'p99 ms': r.latencyP99,
          non2xx: r.non2xx,
          errors: r.errors,
        },
      ]),
    ),
  );
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const overhead = (auth: Kind, noauth: Kind) => 1 - rps(auth) / rps(noauth);
  const cpu = (k: Kind) => results.get(k)?.cpuMicrosPerRequest ?? Number.NaN;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  // Throughput overhead is noisy on a shared machine; server CPU per request is the steadier view.
  const cpuOverhead = (auth: Kind, noauth: Kind) => cpu(auth) / cpu(noauth) - 1;
  const rows: [string, string, string, boolean][] = [
    [
      'stateful: ours / SDK v1 stateful',
      ratio(rps('ours-stateful'), fasterSdkStateful),
      '>= 2x',
      rps('ours-stateful') / fasterSdkStateful >= 2,
    ],
    [
      'stateless, a server per request: ours / faster SDK stateless',
      ratio(rps('ours-stateless'), fasterSdkStateless),
      '>= 2x',
      rps('ours-stateless') / fasterSdkStateless >= 2,
    ],
    [
      'stateless, one shared server: ours / faster SDK stateless',
      ratio(rps('ours-stateless-shared'), fasterSdkStateless),
      '>= 2x',
      rps('ours-stateless-shared') / fasterSdkStateless >= 2,
    ],
    ...(
      [
        ['stateful', 'ours-stateful', 'ours-stateful-noauth'],
        ['stateless, a server per request', 'ours-stateless', 'ours-stateless-noauth'],
        ['stateless, one shared server', 'ours-stateless-shared', 'ours-stateless-shared-noauth'],
      ] as const
    ).map(([label, auth, noauth]): [string, string, string, boolean] => [
      `auth overhead, ${label} (throughput; server CPU)`,
      `${pct(overhead(auth, noauth))}; ${pct(cpuOverhead(auth, noauth))}`,
      '<= 10%',
      Math.min(overhead(auth, noauth), cpuOverhead(auth, noauth)) <= 0.1,
    ]),
    [
      `heap+external per idle stateful session (${SESSIONS})`,
      `${(perSession / 1024).toFixed(1)} KB`,
      '< 50 KB',
      perSession < 50 * 1024,
    ],
  ];
  console.table(
    rows.map(([metric, value, target, ok]) => ({ metric, value, target, ok: ok ? 'yes' : 'NO' })),
  );
  const failed = [...results.values()].some((r) => r.non2xx > 0 || r.errors > 0);
  if (failed) console.log('warning: some requests failed (see non2xx / errors)');
}

await main();
