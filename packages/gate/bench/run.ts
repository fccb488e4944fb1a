/**
 * What the gate costs per request on top of token validation, measured side by side in one run
 * (a ratio: absolute times on a shared machine drift). Same cached token, same request headers:
 *
 *   baseline: `await validator.authenticate(req)`
 *   gate:     `await gate.check({ method: 'POST', url: '/mcp', headers, rawHeaders, body })`
 *             with a tools/call body (raw text: size check, JSON.parse, batch limit, Mcp-Method /
 *             Mcp-Name, per-tool scopes, hierarchy, Origin/Host, CORS headers, session lookup).
 *
 * Run: pnpm --filter @mcp-auth/gate bench
 */
import { performance } from 'node:perf_hooks';
import { start } from '@mcp-auth/dev-auth-server';
import { createTokenValidator } from '@mcp-auth/validator';
import { createGate } from '../src/gate.js';

const RESOURCE = 'http://127.0.0.1:3000/mcp';
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200_000);
const ROUNDS = 7;

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const as = await start({ resources: [{ uri: RESOURCE, scopes: ['mcp:read', 'mcp:admin'] }] });
try {
  const token = await as.getToken({ resource: RESOURCE, scope: 'mcp:read mcp:admin' });
  const validator = createTokenValidator({
    issuer: as.issuer,
    resource: RESOURCE,
    allowInsecureHttpForLoopback: true,
  });
  const gate = createGate({
    validator,
    requiredScopes: ['mcp:read'],
    toolScopes: { admin_stats: ['mcp:admin'] },
    scopeHierarchy: { 'mcp:admin': ['mcp:read'] },
    allowInsecureHttpForLoopback: true,
  });
  const headers = {
    host: '127.0.0.1:3000',
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': 'admin_stats',
  };
  const rawHeaders = Object.entries(headers).flat();
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'admin_stats', arguments: {} },
  });
  const req = { headers, rawHeaders };

  const first = await gate.check({ method: 'POST', url: '/mcp', headers, rawHeaders, body });
  if (first.kind !== 'proceed')
    throw new Error(`gate refused the bench request: ${JSON.stringify(first)}`);

  async function baseline(): Promise<number> {
    const t0 = performance.now();
    for (let i = 0; i < ITERATIONS; i++) await validator.authenticate(req);
    return ((performance.now() - t0) * 1000) / ITERATIONS;
  }
  async function gated(): Promise<number> {
    const t0 = performance.now();
    for (let i = 0; i < ITERATIONS; i++)
      await gate.check({ method: 'POST', url: '/mcp', headers, rawHeaders, body });
    return ((performance.now() - t0) * 1000) / ITERATIONS;
  }
  await baseline();
  await gated();
  const b: number[] = [];
  const g: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const x = await baseline();
    const y = await gated();
    b.push(x);
    g.push(y);
    ratios.push(y / x);
  }
  console.log('| measure | µs per request (median of 7) |');
  console.log('|---|---|');
  console.log(`| validator.authenticate(req), cached token | ${median(b).toFixed(2)} |`);
  console.log(`| gate.check(POST tools/call), same token | ${median(g).toFixed(2)} |`);
  console.log(`| gate − validator (what the gate adds) | ${(median(g) - median(b)).toFixed(2)} |`);
  console.log(
    `| ratio gate / validator | ${median(ratios).toFixed(2)}× (rounds ${ratios.map((r) => r.toFixed(2)).join(', ')}) |`,
  );
} finally {
  await as.stop();
}
