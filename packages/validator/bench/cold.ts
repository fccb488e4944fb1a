/**
 * Cold latency at concurrency 1 (issue 17, goal 1): a token new to the validator, awaited alone,
 * against a raw `node:crypto` `verify` of the same signature (signing input and signature decoded
 * beforehand, the `KeyObject` made once: the signature math and nothing else), and against
 * `jose.jwtVerify` with the same checks (issuer, audience, typ). Chunks of the three alternate;
 * each round uses a fresh validator, so every token is new to it. Each token is timed alone;
 * a round's figure is the median token.
 */
import { type KeyObject, verify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { jwtVerify } from 'jose';
import { createTokenValidator } from '../src/index.js';
import type { BenchAlg, LocalIssuer } from './local-issuer.js';
import { median, type Row } from './util.js';

const RESOURCE = 'http://127.0.0.1:3000/mcp';
// 1,500 per round: with 400 the first rounds still ran code V8 had not optimised yet (RS256 ratio
// 1.63 in round 1 falling to 1.28 by round 7); a server validates far more tokens than that.
const TOKENS = Number(process.env.BENCH_COLD1_TOKENS ?? 1500);
const CHUNK = 50;

interface Raw {
  data: Buffer;
  signature: Buffer;
}

function rawParts(token: string): Raw {
  const dot = token.lastIndexOf('.');
  return {
    data: Buffer.from(token.slice(0, dot), 'latin1'),
    signature: Buffer.from(token.slice(dot + 1), 'base64url'),
  };
}

function rawVerifier(alg: BenchAlg, key: KeyObject): (r: Raw) => boolean {
  if (alg === 'RS256') return (r) => verify('sha256', r.data, key, r.signature);
  if (alg === 'ES256') {
    const k = { key, dsaEncoding: 'ieee-p1363' as const };
    return (r) => verify('sha256', r.data, k, r.signature);
  }
  return (r) => verify(null, r.data, key, r.signature);
}

export async function coldLatency(
  issuer: LocalIssuer,
  rounds: number,
): Promise<{ perRound: string; row: Row }[]> {
  const out: { perRound: string; row: Row }[] = [];
  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    // Flat strings, as a server receives them (decoded from a request's bytes), not the
    // concatenation mint() built: V8 would flatten that on the first lookup, for both sides.
    const tokens = Array.from({ length: TOKENS }, () =>
      Buffer.from(issuer.mint(alg, RESOURCE), 'latin1').toString('latin1'),
    );
    const raws = tokens.map(rawParts);
    const raw = rawVerifier(alg, issuer.publicKey(alg));
    const checks = { issuer: issuer.issuer, audience: RESOURCE, typ: 'at+jwt' };
    const key = issuer.publicKey(alg);
    const ratios: number[] = [];
    const joseRatios: number[] = [];
    // Per round (µs per median token); the row shows their medians, like the ratio.
    const rawUs: number[] = [];
    const validatorUs: number[] = [];
    const joseUs: number[] = [];
    for (let round = -1; round < rounds; round++) {
      const v = createTokenValidator({
        issuer: issuer.issuer,
        resource: RESOURCE,
        requiredScopes: ['mcp:read'],
        allowInsecureHttpForLoopback: true,
        cache: { maxEntries: TOKENS * 2 },
      });
      await v.validate(issuer.mint(alg, RESOURCE)); // discovery and JWKS before timing
      // Every token is timed on its own: the median of a round is what a token typically waits,
      // and a preemption by another process on this shared machine moves it little.
      const rawT: number[] = [];
      const validatorT: number[] = [];
      const joseT: number[] = [];
      for (let c = 0; c < TOKENS; c += CHUNK) {
        const sides = [
          async () => {
            for (let i = c; i < c + CHUNK && i < TOKENS; i++) {
              const t0 = performance.now();
              if (!raw(raws[i]!)) throw new Error('raw verify failed');
              rawT.push(performance.now() - t0);
            }
          },
          async () => {
            for (let i = c; i < c + CHUNK && i < TOKENS; i++) {
              const t0 = performance.now();
              await v.validate(tokens[i]!);
              validatorT.push(performance.now() - t0);
            }
          },
          async () => {
            for (let i = c; i < c + CHUNK && i < TOKENS; i++) {
              const t0 = performance.now();
              await jwtVerify(tokens[i]!, key, checks);
              joseT.push(performance.now() - t0);
            }
          },
        ];
        // Rotate the order so each side runs first, second and third equally often.
        const k = (c / CHUNK) % 3;
        for (let j = 0; j < 3; j++) await sides[(k + j) % 3]!();
      }
      if (v.stats().jwtVerifications !== TOKENS + 1) throw new Error('tokens were not all new');
      await v.close();
      if (round < 0) continue; // JIT warm-up
      const [r, va, jo] = [median(rawT), median(validatorT), median(joseT)];
      ratios.push(va / r);
      joseRatios.push(jo / r);
      rawUs.push(r * 1000);
      validatorUs.push(va * 1000);
      joseUs.push(jo * 1000);
    }
    const ratio = median(ratios);
    out.push({
      perRound: `cold1 ${alg}: validator/raw ${ratios.map((r) => r.toFixed(2)).join(' ')}; jose/raw ${joseRatios.map((r) => r.toFixed(2)).join(' ')}`,
      row: {
        benchmark: `cold ${alg}, ${TOKENS} new tokens one at a time: validate vs raw node:crypto verify (jose.jwtVerify: ${median(joseRatios).toFixed(2)}x)`,
        baseline: `${median(rawUs).toFixed(1)} µs/token`,
        validator: `${median(validatorUs).toFixed(1)} µs/token (jose ${median(joseUs).toFixed(1)})`,
        ratio: `${ratio.toFixed(2)}x latency`,
        target: '<= 1.3x',
        ok: ratio <= 1.3 ? 'yes' : 'NO',
      },
    });
  }
  return out;
}
