/**
 * Benchmarks of @mcp-auth/cache. Run: `pnpm --filter @mcp-auth/cache bench`
 * (`node --expose-gc --import tsx bench/run.ts`).
 *
 * Every timing is a RATIO against a baseline measured side by side in the same run (absolute
 * times drift on shared machines): a bare `Map.get` on the same keys, in the same loop shape.
 * Each pair is measured in alternating rounds; the table shows the median ratio.
 */
import { type Cache, createCache } from '../src/index.js';

const ROUNDS = 9;
const silent = { warn: () => {} };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function ns(start: bigint): number {
  return Number(process.hrtime.bigint() - start);
}

function makeKeys(n: number, tag: string): string[] {
  // Realistic keys: hashKey() output is 43 base64url characters.
  return Array.from({ length: n }, (_, i) =>
    `${tag}${i.toString(36)}`.padEnd(43, 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_'),
  );
}

// Monomorphic loops, one per subject, identical shape.
function loopMap(map: Map<string, unknown>, keys: string[], reps: number): number {
  let found = 0;
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < keys.length; i++) if (map.get(keys[i]!) !== undefined) found++;
  }
  return found;
}

function loopPeek(cache: Cache<unknown>, keys: string[], reps: number): number {
  let found = 0;
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < keys.length; i++) if (cache.peek(keys[i]!) !== undefined) found++;
  }
  return found;
}

async function loopAwaitMap(map: Map<string, unknown>, keys: string[], reps: number) {
  let found = 0;
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < keys.length; i++) if ((await map.get(keys[i]!)) !== undefined) found++;
  }
  return found;
}

async function loopAwaitGet(cache: Cache<unknown>, keys: string[], reps: number) {
  let found = 0;
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < keys.length; i++) if ((await cache.get(keys[i]!)) !== undefined) found++;
  }
  return found;
}

interface Row {
  benchmark: string;
  baseline: string;
  'baseline ns/op': string;
  'subject ns/op': string;
  ratio: string;
  target: string;
  pass: string;
}
const rows: Row[] = [];

async function hitScenario(
  name: string,
  cacheSize: number,
  workingSet: number,
  order: 'sequential' | 'shuffled',
) {
  const keys = makeKeys(workingSet, name);
  if (order === 'shuffled') {
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
    }
  }
  const map = new Map<string, unknown>();
  const cache = createCache<unknown>({ maxEntries: cacheSize, ttlSeconds: 3600, logger: silent });
  for (const k of keys) {
    const v = { sub: k.slice(0, 8), scopes: ['read'] };
    map.set(k, v);
    await cache.set(k, v);
  }
  const ops = 2_000_000;
  const reps = Math.max(1, Math.round(ops / keys.length));
  // warm-up: let the JIT settle both loops
  for (let i = 0; i < 3; i++) {
    loopMap(map, keys, reps);
    loopPeek(cache, keys, reps);
  }
  const syncRatios: number[] = [];
  const syncBase: number[] = [];
  const syncSub: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t = process.hrtime.bigint();
    const a = loopMap(map, keys, reps);
    const base = ns(t);
    t = process.hrtime.bigint();
    const b = loopPeek(cache, keys, reps);
    const sub = ns(t);
    if (a !== b) throw new Error(`peek missed: ${b} of ${a}`);
    syncBase.push(base / (reps * keys.length));
    syncSub.push(sub / (reps * keys.length));
    syncRatios.push(sub / base);
  }
  const ratio = median(syncRatios);
  rows.push({
    benchmark: `peek hit, ${workingSet.toLocaleString('en')} keys ${order} in a ${cacheSize.toLocaleString('en')}-entry cache`,
    baseline: 'Map.get, same keys',
    'baseline ns/op': median(syncBase).toFixed(1),
    'subject ns/op': median(syncSub).toFixed(1),
    ratio: `${ratio.toFixed(2)}x`,
    target: '<= 3x',
    pass: ratio <= 3 ? 'yes' : 'NO',
  });

  const asyncReps = Math.max(1, Math.round(ops / 4 / keys.length));
  for (let i = 0; i < 2; i++) {
    await loopAwaitMap(map, keys, asyncReps);
    await loopAwaitGet(cache, keys, asyncReps);
  }
  const asyncRatios: number[] = [];
  const asyncBase: number[] = [];
  const asyncSub: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t = process.hrtime.bigint();
    await loopAwaitMap(map, keys, asyncReps);
    const base = ns(t);
    t = process.hrtime.bigint();
    await loopAwaitGet(cache, keys, asyncReps);
    const sub = ns(t);
    asyncBase.push(base / (asyncReps * keys.length));
    asyncSub.push(sub / (asyncReps * keys.length));
    asyncRatios.push(sub / base);
  }
  const aRatio = median(asyncRatios);
  rows.push({
    benchmark: `await get hit, ${workingSet.toLocaleString('en')} keys ${order} in a ${cacheSize.toLocaleString('en')}-entry cache`,
    baseline: 'await Map.get, same async loop',
    'baseline ns/op': median(asyncBase).toFixed(1),
    'subject ns/op': median(asyncSub).toFixed(1),
    ratio: `${aRatio.toFixed(2)}x`,
    target: 'report',
    pass: '-',
  });
  await cache.close();
}

/**
 * The miss path: every key new, 64 loads in flight, each loader an already-settled promise (the
 * cache's own cost, not the loader's). Baseline: the same pool awaiting the loader and `Map.set`.
 */
async function coldLoads() {
  const n = 20_000;
  const keys = makeKeys(n, 'cold');
  const value = { value: 1, ttlSeconds: 60 };
  const loader = () => Promise.resolve(value);
  async function pool(f: (key: string) => Promise<unknown>): Promise<number> {
    let next = 0;
    const t = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < n) await f(keys[next++]!);
      }),
    );
    return ns(t) / n;
  }
  const ratios: number[] = [];
  const base: number[] = [];
  const sub: number[] = [];
  for (let r = -2; r < ROUNDS; r++) {
    const map = new Map<string, unknown>();
    const b = await pool((k) => loader().then((v) => void map.set(k, v.value)));
    const cache = createCache<number>({ maxEntries: n, logger: silent });
    const c = await pool((k) => cache.getOrLoad(k, loader));
    if (cache.stats().loads !== n) throw new Error('getOrLoad did not load every key');
    await cache.close();
    if (r < 0) continue; // warm-up
    base.push(b);
    sub.push(c);
    ratios.push(c / b);
  }
  const ratio = median(ratios);
  rows.push({
    benchmark: 'getOrLoad miss (every key new, 64 in flight, settled loader)',
    baseline: 'await loader, Map.set',
    'baseline ns/op': median(base).toFixed(0),
    'subject ns/op': median(sub).toFixed(0),
    ratio: `${ratio.toFixed(2)}x`,
    target: 'report',
    pass: '-',
  });
}

async function singleFlight() {
  const cache = createCache<string>({ logger: silent });
  let loaderCalls = 0;
  const callers = 10_000;
  const t = process.hrtime.bigint();
  const results = await Promise.all(
    Array.from({ length: callers }, () =>
      cache.getOrLoad('one-key', async () => {
        loaderCalls++;
        await new Promise((r) => setTimeout(r, 10));
        return { value: 'loaded' };
      }),
    ),
  );
  const ms = ns(t) / 1e6;
  const allSame = results.every((r) => r === 'loaded');
  rows.push({
    benchmark: `getOrLoad, ${callers.toLocaleString('en')} concurrent callers, one key`,
    baseline: 'expected loader calls: 1',
    'baseline ns/op': '-',
    'subject ns/op': `${((ms * 1e6) / callers).toFixed(0)} (total ${ms.toFixed(1)} ms incl. 10 ms load)`,
    ratio: `${loaderCalls} loader call(s)`,
    target: 'exactly 1',
    pass: loaderCalls === 1 && allSame ? 'yes' : 'NO',
  });
  await cache.close();
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined)
    throw new Error('run with node --expose-gc (pnpm --filter @mcp-auth/cache bench)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function boundedMemory() {
  const distinct = 1_000_000;
  const maxEntries = 10_000;
  const before = heapAfterGc();
  const cache = createCache<unknown>({ maxEntries, ttlSeconds: 3600, logger: silent });
  const t = process.hrtime.bigint();
  for (let i = 0; i < distinct; i++) {
    const key = `key-${i}`.padEnd(43, 'x');
    await cache.set(key, { sub: `user-${i}`, scopes: ['read', 'write'], exp: 2_000_000_000 });
    // read some recent keys too, so second-chance bookkeeping is exercised
    if (i % 4 === 0) cache.peek(`key-${i - 100}`.padEnd(43, 'x'));
  }
  const ms = ns(t) / 1e6;
  const after = heapAfterGc();
  const growthMb = (after - before) / 1024 / 1024;
  const s = cache.stats();
  rows.push({
    benchmark: `${distinct.toLocaleString('en')} distinct keys through maxEntries ${maxEntries.toLocaleString('en')}`,
    baseline: 'heap after GC, before',
    'baseline ns/op': '-',
    'subject ns/op': `${((ms * 1e6) / distinct).toFixed(0)} per set`,
    ratio: `+${growthMb.toFixed(1)} MB heap (size ${s.size}, evictions ${s.evictions})`,
    target: '< 20 MB',
    pass: growthMb < 20 && s.size === maxEntries ? 'yes' : 'NO',
  });
  // keep the cache reachable until after the measurement
  await cache.close();
}

async function main() {
  const started = Date.now();
  console.log(
    `@mcp-auth/cache bench, node ${process.version}, ${ROUNDS} alternating rounds, medians\n`,
  );
  await hitScenario('hot', 10_000, 1_000, 'shuffled');
  await hitScenario('full', 10_000, 10_000, 'sequential');
  await hitScenario('fullr', 10_000, 10_000, 'shuffled');
  await coldLoads();
  await singleFlight();
  await boundedMemory();
  console.table(rows);
  console.log(`\nmarkdown:\n`);
  const cols = Object.keys(rows[0]!) as (keyof Row)[];
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`|${cols.map(() => ' --- ').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => r[c]).join(' | ')} |`);
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (rows.some((r) => r.pass === 'NO')) process.exitCode = 1;
}

await main();
