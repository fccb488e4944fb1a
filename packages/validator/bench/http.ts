/**
 * The cached path in a real server (issue 17, goal 3): node:http answering `200 ok`, without auth
 * (the floor) and through `await validator.authenticate(req)` with one reused token. The load
 * comes from a pipelining client in a child process (http-load.ts) so the server's core is the
 * bottleneck; floor and auth rounds alternate, the ratio is per pair of rounds.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TokenValidator } from '../src/index.js';
import { median, type Row } from './util.js';

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 2);

export async function httpCached(
  newValidator: () => TokenValidator,
  token: string,
  rounds: number,
): Promise<{ perRound: string; row: Row }> {
  const validator = newValidator();
  await validator.validate(token);
  const server = createServer((req, res) => {
    if (req.url === '/auth') {
      validator.authenticate(req).then(
        () => res.end('ok'),
        () => {
          res.statusCode = 401;
          res.end();
        },
      );
    } else {
      res.end('ok');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'http-load.ts')],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const answers = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const measure = async (path: string, authorization?: string) => {
    child.stdin!.write(`${JSON.stringify({ port, path, authorization, seconds: SECONDS })}\n`);
    const { value } = await answers.next();
    const r = JSON.parse(value as string) as { requests: number; seconds: number; non200: number };
    if (r.non200 !== 0) throw new Error(`${r.non200} answers were not 200`);
    return r.requests / r.seconds;
  };
  const auth = `Bearer ${token}`;
  try {
    await measure('/', undefined); // warm-up, both paths
    await measure('/auth', auth);
    const ratios: number[] = [];
    const floors: number[] = [];
    const auths: number[] = [];
    for (let round = 0; round < rounds; round++) {
      let floor: number;
      let withAuth: number;
      if (round % 2 === 0) {
        floor = await measure('/');
        withAuth = await measure('/auth', auth);
      } else {
        withAuth = await measure('/auth', auth);
        floor = await measure('/');
      }
      floors.push(floor);
      auths.push(withAuth);
      ratios.push(withAuth / floor);
    }
    if (validator.stats().jwtVerifications !== 1) throw new Error('the server verified signatures');
    const ratio = median(ratios);
    return {
      perRound: `http: ${ratios.map((r) => r.toFixed(3)).join(' ')}`,
      row: {
        benchmark: `node:http, one reused ${token.length}-char token: authenticate(req) vs no auth`,
        baseline: `${Math.round(median(floors))} req/s`,
        validator: `${Math.round(median(auths))} req/s`,
        ratio: `${ratio.toFixed(3)}x throughput`,
        target: '>= 0.9x',
        ok: ratio >= 0.9 ? 'yes' : 'NO',
      },
    };
  } finally {
    child.stdin!.end();
    server.close();
    await validator.close();
  }
}
