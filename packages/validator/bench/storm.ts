/**
 * Token storm (issue 17, goal 4): 100,000 distinct valid EdDSA tokens handed to the validator at
 * once (many users after a restart), and the same storm to `jose.jwtVerify` with the same checks.
 * Reported: wall time and throughput (ratio against jose), latencies, how late any request
 * finished compared with a first-come-first-served queue, the peak heap during the storm, and
 * the heap the validator still holds afterwards (its cache is 10,000 entries).
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { jwtVerify } from 'jose';
import { createTokenValidator } from '../src/index.js';
import type { LocalIssuer } from './local-issuer.js';
import { percentile, type Row } from './util.js';

const RESOURCE = 'http://127.0.0.1:3000/mcp';
const STORM = Number(process.env.BENCH_STORM_TOKENS ?? 100_000);
const CACHE_ENTRIES = 10_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface StormResult {
  wallMs: number;
  p50: number;
  p99: number;
  max: number;
  /** Largest (finish time of the i-th arrival − the i-th finish time), ms: 0 is a FIFO queue. */
  lateness: number;
  peakHeapMb: number;
}

async function storm(tokens: string[], f: (t: string) => Promise<unknown>): Promise<StormResult> {
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  let peak = heap0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 5);
  const finished = new Float64Array(tokens.length);
  const t0 = performance.now();
  await Promise.all(
    tokens.map((t, i) =>
      f(t).then(() => {
        finished[i] = performance.now() - t0;
      }),
    ),
  );
  const wallMs = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  // First come, first served: the i-th arrival should be the i-th to finish. Lateness is how much
  // later than the i-th finish the i-th arrival finished (0 for a perfect FIFO queue).
  const sorted = Float64Array.from(finished).sort();
  let lateness = 0;
  for (let i = 0; i < finished.length; i++) {
    lateness = Math.max(lateness, finished[i]! - sorted[i]!);
  }
  return {
    wallMs,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
    lateness,
    peakHeapMb: (peak - heap0) / 2 ** 20,
  };
}

export async function tokenStorm(issuer: LocalIssuer): Promise<{ notes: string[]; rows: Row[] }> {
  const t0 = performance.now();
  const tokens = Array.from({ length: STORM }, () => issuer.mint('EdDSA', RESOURCE));
  const notes = [
    `storm: minted ${STORM} EdDSA tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  ];
  const checks = { issuer: issuer.issuer, audience: RESOURCE, typ: 'at+jwt' };
  const key = issuer.publicKey('EdDSA');
  const results: { jose: StormResult[]; validator: StormResult[]; retainedMb: number[] } = {
    jose: [],
    validator: [],
    retainedMb: [],
  };
  const runValidator = async () => {
    const v = createTokenValidator({
      issuer: issuer.issuer,
      resource: RESOURCE,
      requiredScopes: ['mcp:read'],
      allowInsecureHttpForLoopback: true,
      cache: { maxEntries: CACHE_ENTRIES },
    });
    await v.validate(issuer.mint('EdDSA', RESOURCE));
    gc();
    const before = process.memoryUsage().heapUsed;
    results.validator.push(await storm(tokens, (t) => v.validate(t)));
    gc();
    results.retainedMb.push((process.memoryUsage().heapUsed - before) / 2 ** 20);
    const stats = v.stats();
    if (stats.jwtVerifications !== STORM + 1) throw new Error('storm tokens were not all verified');
    await v.close();
  };
  const runJose = async () => {
    results.jose.push(await storm(tokens, (t) => jwtVerify(t, key, checks)));
  };
  // Interleaved: jose, validator, validator, jose.
  await runJose();
  await runValidator();
  await runValidator();
  await runJose();
  const ratios = results.jose.map((j, i) => j.wallMs / results.validator[i]!.wallMs);
  const fmt = (r: StormResult) =>
    `${(r.wallMs / 1000).toFixed(2)} s (${Math.round((STORM / r.wallMs) * 1000)}/s), p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, max ${r.max.toFixed(0)} ms, later than FIFO by ≤ ${r.lateness.toFixed(0)} ms, peak heap +${r.peakHeapMb.toFixed(0)} MB`;
  for (const r of results.jose) notes.push(`storm jose:      ${fmt(r)}`);
  for (const r of results.validator) notes.push(`storm validator: ${fmt(r)}`);
  notes.push(
    `storm: heap the validator holds afterwards (cache ${CACHE_ENTRIES} entries): ${results.retainedMb.map((m) => `${m.toFixed(1)} MB`).join(', ')}`,
  );
  const worst = Math.min(...ratios);
  const maxRetained = Math.max(...results.retainedMb);
  const v = results.validator;
  // Answered in arrival order, give or take 5% of the storm (the pool runs a few side by side).
  const fifoOk = v.every((r) => r.lateness <= r.wallMs * 0.05);
  return {
    notes,
    rows: [
      {
        benchmark: `storm: ${STORM} new EdDSA tokens at once, validate vs jose.jwtVerify (same storm)`,
        baseline: `${Math.round((STORM / results.jose[0]!.wallMs) * 1000)} tokens/s`,
        validator: `${Math.round((STORM / v[0]!.wallMs) * 1000)} tokens/s, p50 ${v[0]!.p50.toFixed(0)} ms of ${v[0]!.wallMs.toFixed(0)}, out of FIFO ≤ ${v[0]!.lateness.toFixed(0)} ms`,
        ratio: `${ratios.map((r) => r.toFixed(2)).join(', ')}x throughput`,
        target: '(report); FIFO within 5% of the storm',
        ok: fifoOk && worst > 0 ? 'yes' : 'NO',
      },
      {
        benchmark: `storm: heap held by the validator afterwards, cache of ${CACHE_ENTRIES}`,
        baseline: `${CACHE_ENTRIES} entries`,
        validator: `${maxRetained.toFixed(1)} MB`,
        ratio: `${((maxRetained * 2 ** 20) / CACHE_ENTRIES / 1024).toFixed(2)} KB/entry`,
        target: 'bounded by the cache',
        // 10,000 entries of a few hundred bytes of claims each: a few MB; the 100,000 tokens are
        // held by the benchmark itself, not counted.
        ok: maxRetained < (CACHE_ENTRIES * 4096) / 2 ** 20 ? 'yes' : 'NO',
      },
    ],
  };
}
