/**
 * Bounded work per request (issue 12 item 1): the attack that stalled the server (a 4 MB batch of
 * 130,000 notifications) is refused by the batch limit, and `/health` stays responsive while
 * maximal bodies are read and parsed.
 */
import { request } from 'node:http';
import { CancelledNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type SseServer } from '../src/index.js';
import { whoamiServer } from './helpers.js';

let server: SseServer;
let base: string;
let delivered = 0;

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${base}${path}`, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'content-length': Buffer.byteLength(body),
        ...headers,
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.end(body);
  });
}

/** Milliseconds a GET /health takes. */
async function healthLatency(): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = request(`${base}/health`, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
  return performance.now() - started;
}

beforeAll(async () => {
  server = createServer({
    insecureNoAuth: true,
    sse: false,
    createMcpServer: () => {
      const mcp = whoamiServer();
      // Counts every cancellation the MCP server receives.
      mcp.server.setNotificationHandler(CancelledNotificationSchema, async () => {
        delivered++;
      });
      return mcp;
    },
  });
  ({ url: base } = await server.listen());
});

afterAll(async () => {
  await server?.close();
});

describe('bounded work per request', () => {
  it('a 4 MB batch of 130,000 notifications is refused unread (413) by the default 1 MiB limit', async () => {
    const note = '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}';
    const batch = `[${Array.from({ length: 52_000 }, () => note).join(',')}]`;
    delivered = 0;
    const res = await post('/mcp', batch);
    expect(res.status).toBe(413);
    expect(delivered).toBe(0);
  });

  it('a 1 MiB batch of 13,000 notifications is refused whole (400): at most 100 per batch, nothing delivered', async () => {
    const note = '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}';
    const batch = `[${Array.from({ length: 13_000 }, () => note).join(',')}]`;
    expect(Buffer.byteLength(batch)).toBeLessThanOrEqual(1024 * 1024);
    delivered = 0;
    const res = await post('/mcp', batch);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toEqual({
      code: -32600,
      message: 'Invalid Request: a batch may hold at most 100 messages',
    });
    expect(delivered).toBe(0);
  });

  it('GET /health answers within 100 ms while four maximal (1 MiB, the default limit) bodies are read and parsed', async () => {
    // 100 messages (the batch limit) of ~10 KB each: the most a single request may ask of the server.
    const padding = 'x'.repeat(10_300);
    const message = `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"reason":"${padding}"}}`;
    const maximal = `[${Array.from({ length: 100 }, () => message).join(',')}]`;
    expect(Buffer.byteLength(maximal)).toBeGreaterThan(1_000_000);
    expect(Buffer.byteLength(maximal)).toBeLessThanOrEqual(1024 * 1024);
    // Warm up the health path and the JSON parser.
    await healthLatency();
    const inFlight = Array.from({ length: 4 }, () => post('/mcp', maximal));
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) latencies.push(await healthLatency());
    const answers = await Promise.all(inFlight);
    // Stateless by default here (insecureNoAuth, no session): notifications only → 400 for the
    // missing session or 202 when accepted; never a 5xx.
    for (const a of answers) expect(a.status).toBeLessThan(500);
    expect(Math.max(...latencies)).toBeLessThan(100);
  });
});
