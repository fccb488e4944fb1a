/**
 * Load generator for the node:http benchmark, in its own process (the server under test has the
 * other core). Cheap on purpose so the server is the bottleneck: raw TCP, HTTP/1.1 pipelining,
 * `CONNECTIONS` sockets each keeping `DEPTH` requests in flight; responses are counted by their
 * status line. Reads one JSON line per measurement from stdin, { port, path, authorization,
 * seconds }, and answers one JSON line { requests, seconds, non200 }.
 */
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const CONNECTIONS = 8;
const DEPTH = 16;
const OK = 'HTTP/1.1 200 ';
const STATUS = 'HTTP/1.1 ';

interface Job {
  port: number;
  path: string;
  authorization?: string;
  seconds: number;
}

function countOf(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const job = JSON.parse(line) as Job;
  let stop = false;
  const timer = setTimeout(() => {
    stop = true;
  }, job.seconds * 1000);
  const result = await runUntil(job, () => stop);
  clearTimeout(timer);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function runUntil(
  job: Job,
  stopped: () => boolean,
): Promise<{ requests: number; seconds: number; non200: number }> {
  const request =
    `GET ${job.path} HTTP/1.1\r\nHost: 127.0.0.1:${job.port}\r\n` +
    (job.authorization ? `Authorization: ${job.authorization}\r\n` : '') +
    '\r\n';
  const batch = request.repeat(DEPTH);
  let ok = 0;
  let statuses = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from(
      { length: CONNECTIONS },
      () =>
        new Promise<void>((resolve, reject) => {
          const socket = connect(job.port, '127.0.0.1');
          socket.setNoDelay(true);
          socket.setEncoding('latin1');
          // The tail of the previous chunk, for a status line split across two chunks.
          let carryStatus = '';
          let carryOk = '';
          let answered = 0;
          socket.on('connect', () => socket.write(batch));
          socket.on('data', (chunk: string) => {
            const withStatus = carryStatus + chunk;
            const withOk = carryOk + chunk;
            const n = countOf(withStatus, STATUS);
            statuses += n;
            ok += countOf(withOk, OK);
            answered += n;
            carryStatus = withStatus.slice(-(STATUS.length - 1));
            carryOk = withOk.slice(-(OK.length - 1));
            if (answered >= DEPTH) {
              answered -= DEPTH;
              if (stopped()) socket.end();
              else socket.write(batch);
            }
          });
          socket.on('close', () => resolve());
          socket.on('error', reject);
        }),
    ),
  );
  return { requests: ok, seconds: (performance.now() - t0) / 1000, non200: statuses - ok };
}
