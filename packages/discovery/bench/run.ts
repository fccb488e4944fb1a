/**
 * Benchmarks of @mcp-auth/discovery. Run: `pnpm --filter @mcp-auth/discovery bench`.
 *
 * Every timing is a RATIO against a baseline measured side by side in the same run (absolute
 * times drift on shared machines). Subject and baseline run in alternating rounds of fixed
 * duration; the table shows the median ratio of their times per operation (1.0 = as fast as the
 * baseline, 3.0 = three times slower).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCache } from '@mcp-auth/cache';
import {
  type AuthorizationServerDiscovery,
  buildWwwAuthenticate,
  discoverAuthorizationServer,
  fetchWithLimits,
  parseWwwAuthenticate,
} from '../src/index.js';

const ROUNDS = 7;
const ROUND_MS = 150;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Nanoseconds per call of `fn`, over one round. */
async function perOp(fn: () => unknown | Promise<unknown>, isAsync: boolean): Promise<number> {
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ROUND_MS * 1e6);
  let now = start;
  while (now < end) {
    for (let i = 0; i < 50; i++) {
      if (isAsync) await fn();
      else fn();
    }
    ops += 50;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / ops;
}

interface Row {
  case: string;
  baseline: string;
  ratio: string;
  subject_ns: string;
  baseline_ns: string;
}
const rows: Row[] = [];

async function compare(
  name: string,
  baselineName: string,
  subject: () => unknown,
  baseline: () => unknown,
  isAsync = false,
) {
  // Warm-up, then alternating rounds.
  await perOp(subject, isAsync);
  await perOp(baseline, isAsync);
  const ratios: number[] = [];
  const s: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const tb = await perOp(baseline, isAsync);
    const ts = await perOp(subject, isAsync);
    ratios.push(ts / tb);
    s.push(ts);
    b.push(tb);
  }
  rows.push({
    case: name,
    baseline: baselineName,
    ratio: median(ratios).toFixed(2),
    subject_ns: median(s).toFixed(0),
    baseline_ns: median(b).toFixed(0),
  });
}

const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
const typical = `Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="${PRM}", error_description="Additional permission required"`;
// The regex most hand-written clients use to pull one parameter out (no grammar, no escapes).
const naive = /resource_metadata="([^"]*)"/;

const hostile = `Bearer ${Array.from({ length: (64 * 1024) / 10 }, (_, i) => `p${i}=v`).join(', ')}`
  .slice(0, 64 * 1024)
  .replace(/[, ]+[^,]*$/, '');
const escapes = `Bearer realm="${'\\"'.repeat(32 * 1024)}"`;

await compare(
  'parseWwwAuthenticate: typical MCP 403 challenge',
  'one regex exec for resource_metadata',
  () => parseWwwAuthenticate(typical),
  () => naive.exec(typical),
);
await compare(
  'parseWwwAuthenticate: 64 KiB of parameters',
  "split(',') of the same 64 KiB",
  () => parseWwwAuthenticate(hostile),
  () => hostile.split(',').map((p) => p.trim()),
);
await compare(
  'parseWwwAuthenticate: 64 KiB of escapes in one quoted string',
  'replace(/\\\\(.)/g) over the same 64 KiB',
  () => parseWwwAuthenticate(escapes),
  () => escapes.replace(/\\(.)/g, '$1'),
);
await compare(
  'buildWwwAuthenticate: 403 with scope and description',
  'template literal without validation or escaping',
  () =>
    buildWwwAuthenticate({
      error: 'insufficient_scope',
      scope: ['files:read', 'files:write'],
      resourceMetadata: PRM,
      errorDescription: 'Additional permission required',
    }),
  () =>
    `Bearer error="insufficient_scope", scope="${['files:read', 'files:write'].join(' ')}", resource_metadata="${PRM}", error_description="${'Additional permission required'}"`,
);

// A loopback authorization server for the network cases.
const doc = (issuer: string) =>
  JSON.stringify({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
  });
let issuer = '';
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' });
  res.end(doc(issuer));
  void req;
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const metadataUrl = `${issuer}/.well-known/oauth-authorization-server`;

await compare(
  'fetchWithLimits: 300-byte JSON over loopback HTTP',
  'bare fetch() + text()',
  () =>
    fetchWithLimits(metadataUrl, {
      timeoutMs: 5000,
      maxBytes: 64 * 1024,
      accept: 'application/json',
      allowInsecureHttpForLoopback: true,
    }),
  async () => (await fetch(metadataUrl)).text(),
  true,
);

const cache = createCache<AuthorizationServerDiscovery>({ ttlSeconds: 3600 });
const options = { allowInsecureHttpForLoopback: true, cache };
await discoverAuthorizationServer(issuer, options);
const key = `discovery:as:loopback-http:${issuer}`;
await compare(
  'discoverAuthorizationServer: cached (warm) result',
  'cache.get() of the same entry',
  () => discoverAuthorizationServer(issuer, options),
  () => cache.get(key),
  true,
);
await compare(
  'discoverAuthorizationServer: uncached (cache: false), loopback',
  'bare fetch() + JSON.parse of the same document',
  () => discoverAuthorizationServer(issuer, { allowInsecureHttpForLoopback: true, cache: false }),
  async () => JSON.parse(await (await fetch(metadataUrl)).text()),
  true,
);

await cache.close();
server.closeAllConnections();
server.close();

console.log(
  `@mcp-auth/discovery benchmarks (node ${process.version}; median of ${ROUNDS} alternating rounds of ${ROUND_MS} ms)`,
);
console.table(rows);
