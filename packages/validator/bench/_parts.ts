import { extractBearerToken } from '../src/bearer.js';
import { createTokenValidator } from '../src/index.js';
import { startLocalIssuer } from './local-issuer.js';

const iss = await startLocalIssuer();
const R = 'http://127.0.0.1:3000/mcp';
const token = iss.mint('RS256', R);
const v = createTokenValidator({
  issuer: iss.issuer,
  resource: R,
  requiredScopes: ['mcp:read'],
  allowInsecureHttpForLoopback: true,
});
await v.validate(token);
const bytes = Array.from({ length: 64 }, () => Buffer.from(`Bearer ${token}`, 'latin1'));
const other = ['Host', '127.0.0.1:3000', 'Content-Type', 'application/json'];
const map = new Map([[token, 1]]);
const N = 300000;
const res: Record<string, number[]> = {};
const rec = (k: string, ms: number) => {
  (res[k] ??= []).push((ms * 1e6) / N);
};
for (let r = 0; r < 7; r++) {
  let t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const s = bytes[i & 63]!.toString('latin1');
    const req = { rawHeaders: [...other, 'Authorization', s] };
    if (req.rawHeaders.length !== 6) throw 1;
  }
  rec('fresh header string + req', performance.now() - t0);
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const s = bytes[i & 63]!.toString('latin1');
    const req = { rawHeaders: [...other, 'Authorization', s] };
    extractBearerToken(req);
  }
  rec('+ extractBearerToken', performance.now() - t0);
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const s = bytes[i & 63]!.toString('latin1');
    map.get(s.slice(7));
  }
  rec('+ slice + Map.get (hash)', performance.now() - t0);
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const s = bytes[i & 63]!.toString('latin1');
    const req = { rawHeaders: [...other, 'Authorization', s] };
    v.authenticate(req);
  }
  rec('+ authenticate (no await)', performance.now() - t0);
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const s = bytes[i & 63]!.toString('latin1');
    const req = { rawHeaders: [...other, 'Authorization', s] };
    await v.authenticate(req);
  }
  rec('+ await authenticate', performance.now() - t0);
}
for (const [k, x] of Object.entries(res))
  console.log(k.padEnd(30), 'median ns', [...x].sort((a, b) => a - b)[3]!.toFixed(0));
await v.close();
await iss.stop();
