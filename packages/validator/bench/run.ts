/**
 * Benchmarks of @mcp-auth/validator, each against a baseline measured side by side in the same run
 * (ratios, because absolute times on a shared machine drift):
 *
 * 1. cached token: `await validator.validate(t)` vs `await map.get(t)` in identical async loops;
 *    and `await validator.authenticate(req)` on a freshly received header string (info).
 * 2. cold RS256 JWTs (every token new to the validator) at concurrency 64 vs `jose.jwtVerify`
 *    called directly with the same public key. Tokens are minted by the real local authorization
 *    server (client_credentials) before timing.
 * 3. 1,000 concurrent validate() calls with one new token: signature verifications counted.
 * 4. cold latency at concurrency 1, RS256 / ES256 / EdDSA: `await validate(t)` of a new token vs a
 *    raw `node:crypto` `verify` of the same signature (data and signature decoded beforehand,
 *    `KeyObject` imported once), and `jose.jwtVerify` with the same checks (cold.ts).
 * 5. token storm: 100,000 new EdDSA tokens at once vs `jose.jwtVerify` on the same storm: wall
 *    time, latencies, heap (storm.ts).
 * 6. node:http with one reused token: requests/s through `authenticate(req)` vs the same server
 *    without auth (the floor), a pipelining load generator in a child process (http.ts).
 *
 * Run: pnpm --filter @mcp-auth/validator bench   (BENCH_ONLY=hot,cold64,sf,cold1,storm,http to
 * run a subset)
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { importJWK, type JWK, jwtVerify } from 'jose';
import { createTokenValidator } from '../src/index.js';
import { coldLatency } from './cold.js';
import { httpCached } from './http.js';
import { startLocalIssuer } from './local-issuer.js';
import { tokenStorm } from './storm.js';
import { median, type Row } from './util.js';

const ONLY = new Set((process.env.BENCH_ONLY ?? 'hot,cold64,sf,cold1,storm,http').split(','));
const rows: Row[] = [];
const perRound: string[] = [];

const RESOURCE = 'http://127.0.0.1:3000/mcp';
const COLD_TOKENS = Number(process.env.BENCH_COLD_TOKENS ?? 3000);
const CONCURRENCY = 64;
const ROUNDS = 7;
const HOT_ITERATIONS = Number(process.env.BENCH_HOT_ITERATIONS ?? 1_000_000);

async function pool<T>(
  items: T[],
  concurrency: number,
  f: (item: T) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        await f(item);
      }
    }),
  );
  return performance.now() - t0;
}

// The authorization server runs in a child process: only the validator and jose run in this one.
const child = spawn(
  process.execPath,
  ['--import', 'tsx', join(import.meta.dirname, 'auth-server.ts'), String(COLD_TOKENS + 10)],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
console.log(
  `minting ${COLD_TOKENS} RS256 access tokens from the local authorization server (child process)…`,
);
const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
const as = JSON.parse(line) as {
  issuer: string;
  jwksUri: string;
  resource: string;
  tokens: string[];
};
const newValidator = () =>
  createTokenValidator({
    issuer: as.issuer,
    resource: RESOURCE,
    requiredScopes: ['mcp:read'],
    allowInsecureHttpForLoopback: true,
    cache: { maxEntries: COLD_TOKENS * 2 },
  });

/** Every signature check, whatever the backend: node:crypto (sync or pool) and WebCrypto. */
function countSignatureChecks(): { count: () => number; restore: () => void } {
  const nodeCrypto = process.getBuiltinModule('node:crypto') as typeof import('node:crypto');
  const subtle = globalThis.crypto.subtle;
  const originals = { node: nodeCrypto.verify, subtle: subtle.verify };
  let n = 0;
  nodeCrypto.verify = function (this: unknown, ...args: unknown[]) {
    n++;
    return (originals.node as (...a: unknown[]) => unknown).apply(nodeCrypto, args);
  } as typeof nodeCrypto.verify;
  subtle.verify = function (this: unknown, ...args: unknown[]) {
    n++;
    return (originals.subtle as (...a: unknown[]) => unknown).apply(subtle, args);
  } as typeof subtle.verify;
  return {
    count: () => n,
    restore: () => {
      nodeCrypto.verify = originals.node;
      subtle.verify = originals.subtle;
    },
  };
}

const local = await startLocalIssuer();
try {
  const tokens = as.tokens;
  const warmup = tokens.splice(0, 10);
  const jwks = (await (await fetch(as.jwksUri)).json()) as { keys: JWK[] };

  // ---- 1. cached token --------------------------------------------------------------------------
  if (ONLY.has('hot')) {
    const hot = newValidator();
    const token = warmup[0]!;
    const authInfo = await hot.validate(token);
    const map = new Map([[token, authInfo]]);
    const hotRatios: number[] = [];
    let mapNs = 0;
    let validateNs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      let t0 = performance.now();
      for (let i = 0; i < HOT_ITERATIONS; i++) {
        if ((await map.get(token)) === undefined) throw new Error('miss');
      }
      const mapMs = performance.now() - t0;
      t0 = performance.now();
      for (let i = 0; i < HOT_ITERATIONS; i++) {
        if ((await hot.validate(token)) === undefined) throw new Error('miss');
      }
      const validateMs = performance.now() - t0;
      hotRatios.push(validateMs / mapMs);
      mapNs = (mapMs * 1e6) / HOT_ITERATIONS;
      validateNs = (validateMs * 1e6) / HOT_ITERATIONS;
    }
    // authenticate(req) with the cached token, as a server sees it: a node-style request whose
    // Authorization value is a freshly received string (decoded from bytes each time, like node's
    // HTTP parser does). Baseline: the same loop extracting nothing, just `await map.get` on the
    // token sliced from that fresh string (what any token-keyed cache would pay).
    const headerBytes = Array.from({ length: 64 }, () => Buffer.from(`Bearer ${token}`, 'latin1'));
    const otherHeaders = ['Host', '127.0.0.1:3000', 'Content-Type', 'application/json'];
    const AUTH_ITERATIONS = Math.max(1, Math.floor(HOT_ITERATIONS / 5));
    const authRatios: number[] = [];
    let authBaseNs = 0;
    let authNs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      let t0 = performance.now();
      for (let i = 0; i < AUTH_ITERATIONS; i++) {
        const value = headerBytes[i & 63]!.toString('latin1');
        const req = { rawHeaders: [...otherHeaders, 'Authorization', value] };
        if ((await map.get(req.rawHeaders[5]!.slice(7))) === undefined) throw new Error('miss');
      }
      const baseMs = performance.now() - t0;
      t0 = performance.now();
      for (let i = 0; i < AUTH_ITERATIONS; i++) {
        const value = headerBytes[i & 63]!.toString('latin1');
        const req = { rawHeaders: [...otherHeaders, 'Authorization', value] };
        if ((await hot.authenticate(req)) === undefined) throw new Error('miss');
      }
      const authMs = performance.now() - t0;
      authRatios.push(authMs / baseMs);
      authBaseNs = (baseMs * 1e6) / AUTH_ITERATIONS;
      authNs = (authMs * 1e6) / AUTH_ITERATIONS;
    }
    if (hot.stats().jwtVerifications !== 1) throw new Error('the hot loop verified signatures');
    await hot.close();
    const hotRatio = median(hotRatios);
    perRound.push(`hot: ${hotRatios.map((r) => r.toFixed(2)).join(' ')}`);
    perRound.push(`authenticate: ${authRatios.map((r) => r.toFixed(2)).join(' ')}`);
    rows.push(
      {
        benchmark: 'cached token: await validate(t) vs await map.get(t)',
        baseline: `${mapNs.toFixed(0)} ns/op`,
        validator: `${validateNs.toFixed(0)} ns/op`,
        ratio: `${hotRatio.toFixed(2)}x cost`,
        target: '<= 5x',
        ok: hotRatio <= 5 ? 'yes' : 'NO',
      },
      {
        benchmark: `cached token: await authenticate(req), fresh ${token.length}-char header vs await map.get(slice)`,
        baseline: `${authBaseNs.toFixed(0)} ns/op`,
        validator: `${authNs.toFixed(0)} ns/op`,
        ratio: `${median(authRatios).toFixed(2)}x cost`,
        target: '(info)',
        ok: 'yes',
      },
    );
  }

  // ---- 2. cold RS256 at concurrency 64 ----------------------------------------------------------
  if (ONLY.has('cold64')) {
    const header = JSON.parse(Buffer.from(tokens[0]!.split('.')[0]!, 'base64url').toString()) as {
      kid: string;
    };
    const key = await importJWK(jwks.keys.find((k) => k.kid === header.kid)!, 'RS256');
    // The same checks the validator makes (issuer, audience, explicit typing).
    const joseChecks = { issuer: as.issuer, audience: RESOURCE, typ: 'at+jwt' };
    const coldRatios: number[] = [];
    let joseOps = 0;
    let validatorOps = 0;
    let joseCpu = 0; // µs of process CPU (all threads), summed over rounds
    let validatorCpu = 0;
    // Interleaved: chunks of jose and of the validator alternate, so load from other processes on
    // the machine hits both sides alike. Each round uses a fresh validator: every token is new to it.
    const CHUNK = 250;
    // Round -1 warms up the JIT on both sides and is not counted.
    for (let round = -1; round < ROUNDS; round++) {
      const v = newValidator();
      await v.validate(warmup[1]!); // discovery and JWKS fetched before timing
      let joseMs = 0;
      let validatorMs = 0;
      for (let c = 0; c < tokens.length; c += CHUNK) {
        const chunk = tokens.slice(c, c + CHUNK);
        const runJose = async () => {
          const cpu = process.cpuUsage();
          joseMs += await pool(chunk, CONCURRENCY, (t) => jwtVerify(t, key, joseChecks));
          const d = process.cpuUsage(cpu);
          joseCpu += d.user + d.system;
        };
        const runValidator = async () => {
          const cpu = process.cpuUsage();
          validatorMs += await pool(chunk, CONCURRENCY, (t) => v.validate(t));
          const d = process.cpuUsage(cpu);
          validatorCpu += d.user + d.system;
        };
        if ((c / CHUNK) % 2 === 0) {
          await runJose();
          await runValidator();
        } else {
          await runValidator();
          await runJose();
        }
      }
      const verified = v.stats().jwtVerifications - 1;
      if (verified !== tokens.length)
        throw new Error(`expected ${tokens.length} verifications, got ${verified}`);
      await v.close();
      if (round < 0) {
        joseCpu = 0;
        validatorCpu = 0;
        continue;
      }
      joseOps = (tokens.length / joseMs) * 1000;
      validatorOps = (tokens.length / validatorMs) * 1000;
      coldRatios.push(joseMs / validatorMs); // throughput ratio
    }
    const coldRatio = median(coldRatios);
    const perOp = (us: number) => (us / (tokens.length * ROUNDS)).toFixed(1);
    perRound.push(`cold64: ${coldRatios.map((r) => r.toFixed(2)).join(' ')}`);
    perRound.push(
      `cold64 CPU per token (process, all threads): jose ${perOp(joseCpu)} µs, validator ${perOp(validatorCpu)} µs`,
    );
    rows.push({
      benchmark: `cold RS256, ${tokens.length} new tokens, concurrency ${CONCURRENCY}: validate vs jose.jwtVerify (iss, aud, typ)`,
      baseline: `${joseOps.toFixed(0)} ops/s`,
      validator: `${validatorOps.toFixed(0)} ops/s`,
      ratio: `${coldRatio.toFixed(2)}x throughput`,
      target: '>= 1.0x',
      ok: coldRatio >= 1 ? 'yes' : 'NO',
    });
  }

  // ---- 3. single flight -------------------------------------------------------------------------
  if (ONLY.has('sf')) {
    const sf = newValidator();
    await sf.validate(warmup[2]!);
    const fresh = warmup[3]!;
    // Counted independently of the validator's own stats: every signature check, any backend.
    const checks = countSignatureChecks();
    const before = sf.stats().jwtVerifications;
    const results = await Promise.all(Array.from({ length: 1000 }, () => sf.validate(fresh)));
    checks.restore();
    const sfVerifications = sf.stats().jwtVerifications - before;
    await sf.close();
    if (new Set(results).size !== 1) throw new Error('single flight returned different results');
    rows.push({
      benchmark: '1,000 concurrent validate() with one new token',
      baseline: '1 verification',
      validator: `${sfVerifications} JWT verification(s), ${checks.count()} signature check(s)`,
      ratio: `${sfVerifications}`,
      target: '== 1',
      ok: sfVerifications === 1 && checks.count() === 1 ? 'yes' : 'NO',
    });
  }

  // ---- 4. cold latency at concurrency 1 ---------------------------------------------------------
  if (ONLY.has('cold1')) {
    for (const r of await coldLatency(local, ROUNDS)) {
      perRound.push(r.perRound);
      rows.push(r.row);
    }
  }

  // ---- 5. token storm ---------------------------------------------------------------------------
  if (ONLY.has('storm')) {
    const r = await tokenStorm(local);
    perRound.push(...r.notes);
    rows.push(...r.rows);
  }

  // ---- 6. node:http, cached token ---------------------------------------------------------------
  if (ONLY.has('http')) {
    const r = await httpCached(newValidator, warmup[4]!, ROUNDS);
    perRound.push(r.perRound);
    rows.push(r.row);
  }

  console.log(`\nnode ${process.version}, ${ROUNDS} rounds each, medians; per round:`);
  for (const p of perRound) console.log(`  ${p}`);
  console.table(rows);
  if (rows.some((r) => r.ok !== 'yes')) process.exitCode = 1;
} finally {
  child.stdin!.end();
  await local.stop();
}
