/**
 * DPoP benchmark (RFC 9449): a request with a cached DPoP-bound token vs a request with a cached
 * Bearer token, on the same validator (`dpop.mode: 'allowed'`), and the cost of one signature
 * verification of a proof (`jose.compactVerify` with the key imported once) as the unit. Target:
 * a DPoP request costs at most one signature verification more than a Bearer one.
 *
 * Proofs are made before timing (each request needs its own: `jti` is single use). Tokens come from
 * the real local authorization server. Rounds alternate the three loops; medians are reported.
 *
 * Run: pnpm --filter @mcp-auth/validator exec tsx bench/dpop.ts
 */
import { performance } from 'node:perf_hooks';
import { createDpopProof, start } from '@mcp-auth/dev-auth-server';
import { compactVerify, exportJWK, generateKeyPair, importJWK } from 'jose';
import { createTokenValidator } from '../src/index.js';
import { median } from './util.js';

const RESOURCE = 'http://127.0.0.1:3000/mcp';
const N = Number(process.env.BENCH_DPOP_REQUESTS ?? 2000);
const ROUNDS = 5;

const as = await start({ resources: [{ uri: RESOURCE, scopes: ['mcp:read'] }] });
const keyPair = await generateKeyPair('ES256');
const dpopToken = (await as.getDpopToken({ keyPair, resource: RESOURCE, scope: 'mcp:read' }))
  .access_token as string;
const bearerToken = await as.getToken({
  resource: RESOURCE,
  scope: 'mcp:read',
  clientId: as.clients.service.clientId,
  clientSecret: as.clients.service.clientSecret,
});
const validator = createTokenValidator({
  issuer: as.issuer,
  resource: RESOURCE,
  allowInsecureHttpForLoopback: true,
  dpop: { mode: 'allowed' },
});
const publicKey = await importJWK(await exportJWK(keyPair.publicKey), 'ES256');

const proofs = (count: number) =>
  Promise.all(
    Array.from({ length: count }, () =>
      createDpopProof(keyPair, { htm: 'POST', htu: RESOURCE, accessToken: dpopToken }),
    ),
  );
const dpopReq = (proof: string) => ({
  method: 'POST',
  url: '/mcp',
  headers: { authorization: `DPoP ${dpopToken}`, dpop: proof },
});
const bearerReq = {
  method: 'POST',
  url: '/mcp',
  headers: { authorization: `Bearer ${bearerToken}` },
};

// Warm up: token results cached, JIT warm.
await validator.authenticate(bearerReq);
for (const p of await proofs(200)) await validator.authenticate(dpopReq(p));

async function timed(f: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await f(i);
  return ((performance.now() - t0) * 1000) / N; // µs per request
}

const bearer: number[] = [];
const dpop: number[] = [];
const verify: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const round = await proofs(N);
  bearer.push(await timed(() => validator.authenticate(bearerReq)));
  verify.push(await timed((i) => compactVerify(round[i]!, publicKey)));
  dpop.push(await timed((i) => validator.authenticate(dpopReq(round[i]!))));
}
const b = median(bearer);
const d = median(dpop);
const v = median(verify);
const stats = validator.stats();
console.table([
  { benchmark: 'Bearer, cached token (authenticate)', 'µs/request': b.toFixed(2) },
  { benchmark: 'DPoP, cached token + proof (authenticate)', 'µs/request': d.toFixed(2) },
  { benchmark: 'one proof signature check (jose.compactVerify)', 'µs/request': v.toFixed(2) },
]);
console.log(
  `DPoP / Bearer: ${(d / b).toFixed(1)}x; DPoP - Bearer = ${(d - b).toFixed(1)} µs = ${((d - b) / v).toFixed(2)} signature verifications (target <= 1 verification + small constant work); token verifications: ${stats.jwtVerifications}`,
);
await validator.close();
await as.stop();
