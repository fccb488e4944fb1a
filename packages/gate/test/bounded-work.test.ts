import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGate } from '../src/gate.js';
import { mcpAuth } from '../src/node.js';
import type { Gate } from '../src/types.js';
import { fakeValidator } from './fake-validator.js';

/**
 * Issue 12, point 1: no single request may block the event loop for long. Maximal hostile bodies
 * (1 MiB batches of ~20,000 notifications, anonymous) while /health is polled.
 */
let server: Server;
let base: string;

beforeAll(async () => {
  let gate: Gate | undefined;
  const app = express();
  app.use((req, res, next) => void mcpAuth(gate!)(req, res, next));
  app.get('/health', (_req, res) => void res.json({ ok: true }));
  app.post('/mcp', (_req, res) => void res.json({}));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gate = createGate({
    validator: { ...fakeValidator(), resource: `${base}/mcp` },
    allowInsecureHttpForLoopback: true,
  });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function post(body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/mcp`,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function healthLatency(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${base}/health`);
  await res.text();
  expect(res.status).toBe(200);
  return performance.now() - started;
}

describe('bounded work per request', () => {
  it('/health stays responsive while maximal anonymous batches are refused', async () => {
    const note = '{"jsonrpc":"2.0","method":"notifications/x"}';
    const count = Math.floor((1024 * 1024 - 2) / (note.length + 1));
    const body = `[${new Array(count).fill(note).join(',')}]`;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1024 * 1024);

    const baseline: number[] = [];
    for (let i = 0; i < 10; i++) baseline.push(await healthLatency());

    const attacks = Array.from({ length: 16 }, () => post(body));
    const during: number[] = [];
    const polling = (async () => {
      for (let i = 0; i < 20; i++) during.push(await healthLatency());
    })();
    const statuses = await Promise.all(attacks);
    await polling;
    expect(new Set(statuses)).toEqual(new Set([400]));
    const max = Math.max(...during);
    const median = during.sort((a, b) => a - b)[Math.floor(during.length / 2)]!;
    console.log(
      `bounded-work: ${count} notifications per 1 MiB body, 16 in flight; /health median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms (idle median ${baseline.sort((a, b) => a - b)[5]!.toFixed(1)} ms)`,
    );
    // Generous: each refused body costs one JSON.parse of 1 MiB; a 4 MiB / 130k batch is 413 unread.
    expect(max).toBeLessThan(500);
    expect(await post(`[${new Array(130_000).fill(note).join(',')}]`)).toBe(413);
  });
});
