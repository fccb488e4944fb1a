/**
 * hashKey: the portable SHA-256 (what runs on workerd) against node:crypto (what runs on Node, Bun
 * and Deno through process.getBuiltinModule), same process, same inputs. `pnpm bench` here.
 */
import { createHash, hash } from 'node:crypto';
import { hashKey } from '@mcp-auth/cache';
// Not exported by the package: the portable implementation itself, for this comparison only.
import { sha256Base64url } from '../../cache/src/hash-key.ts';

const inputs: [string, string][] = [
  ['opaque token (43 chars)', 'Xk2d9Qm1vP0aZ7bNcR4tY8uW3eF6gH5jK_-L2oI9sD1'],
  [
    'JWT (1,000 chars)',
    `eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.${'e'.repeat(615)}.${'s'.repeat(342)}`,
  ],
  [
    'JWT (4,000 chars)',
    `eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.${'e'.repeat(3615)}.${'s'.repeat(342)}`,
  ],
];

const candidates: [string, (s: string) => string][] = [
  ['node:crypto hash()', (s) => hash('sha256', s, 'base64url')],
  ['node:crypto createHash()', (s) => createHash('sha256').update(s, 'utf8').digest('base64url')],
  ['portable (pure TS)', sha256Base64url],
  ['hashKey (as shipped)', hashKey],
];

const ROUNDS = 15;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Microseconds per call over `n` calls. */
function time(fn: (s: string) => string, input: string, n: number): number {
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sink += fn(input).length;
  const us = ((performance.now() - t0) * 1000) / n;
  if (sink === 0) throw new Error('unreachable');
  return us;
}

const rows: Record<string, string>[] = [];
for (const [label, input] of inputs) {
  const expected = candidates[0]![1](input);
  for (const [name, fn] of candidates)
    if (fn(input) !== expected) throw new Error(`${name} differs`);
  const n = Math.max(2_000, Math.floor(2_000_000 / (input.length + 100)));
  for (const [, fn] of candidates) time(fn, input, n); // warm-up
  // Rounds interleave the candidates, so load on a shared machine hits all of them alike; the
  // ratio is the median of the per-round ratios.
  const samples = candidates.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, [, fn]] of candidates.entries()) samples[i]!.push(time(fn, input, n));
  }
  const row: Record<string, string> = { input: label };
  candidates.forEach(([name], i) => {
    row[`${name} µs`] = median(samples[i]!).toFixed(2);
  });
  const ratios = samples[2]!.map((t, r) => t / samples[0]![r]!);
  row['portable / hash()'] = `${median(ratios).toFixed(1)}×`;
  rows.push(row);
}
console.log(`hashKey on Node ${process.version}: median of ${ROUNDS} interleaved rounds`);
console.table(rows);
