import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createGate } from '../src/gate.js';
import { mcpAuth, withMcpAuth } from '../src/node.js';
import type { Gate } from '../src/types.js';
import { fakeValidator } from './fake-validator.js';
import { send, sendRaw } from './helpers.js';

/** The node adapter's own behaviour: body reading, body parsers, errors, response observation. */
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function anyPortGate(url: string, o: Record<string, unknown> = {}): Gate {
  const validator = { ...fakeValidator(), resource: `${url}/mcp` };
  return createGate({ validator, allowInsecureHttpForLoopback: true, ...o });
}

const POST = (auth: string, body: string, extra: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}`, ...extra },
  body,
});

describe('@mcp-auth/gate/node', () => {
  it('408 for a body that does not arrive in time (and closes the connection)', async () => {
    let gate: Gate | undefined;
    const url = await listen((req, res) =>
      withMcpAuth(gate!, (_r, s) => void s.end('never'), { bodyTimeoutMs: 200 })(req, res),
    );
    gate = anyPortGate(url);
    const port = Number(new URL(url).port);
    const started = Date.now();
    const text = await sendRaw(
      port,
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer u1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"jsonrpc"`,
      { keepOpen: true },
    );
    expect(text.startsWith('HTTP/1.1 408 ')).toBe(true);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.each([
    ['abc', 400],
    ['-1', 400],
  ])('Content-Length %j → %i', async (length, status) => {
    let gate: Gate | undefined;
    const url = await listen((req, res) =>
      withMcpAuth(gate!, (_r, s) => void s.end('never'))(req, res),
    );
    gate = anyPortGate(url);
    const port = Number(new URL(url).port);
    const text = await sendRaw(
      port,
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer u1\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`,
    );
    // node's own parser may refuse the request line first (400 as well).
    expect(text.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
  });

  it('uses a body already parsed by express.json() (batch limit still applies) and sets req.auth', async () => {
    let gate: Gate | undefined;
    const app = express();
    app.use(express.json());
    app.use((req, res, next) => void mcpAuth(gate!)(req, res, next));
    app.post('/mcp', (req, res) => {
      res.json({ sub: req.auth?.extra?.subject, body: req.body });
    });
    const url = await listen(app);
    gate = anyPortGate(url, { maxBatchLength: 2 });
    const ok = await send(`${url}/mcp`, POST('u1', '{"jsonrpc":"2.0","id":1,"method":"ping"}'));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({
      sub: 'u1',
      body: { jsonrpc: '2.0', id: 1, method: 'ping' },
    });
    const ping = '{"jsonrpc":"2.0","method":"notifications/x"}';
    const big = await send(`${url}/mcp`, POST('u1', `[${ping},${ping},${ping}]`));
    expect(big.status).toBe(400);
    expect(JSON.parse(big.body).error.code).toBe(-32600);
  });

  it('hands other errors to next(err) (Express error handler), and answers 500 without next', async () => {
    const broken = { ...fakeValidator(), authenticate: () => Promise.reject(new Error('bug')) };
    let gate: Gate | undefined;
    let caught: unknown;
    const app = express();
    app.use((req, res, next) => void mcpAuth(gate!)(req, res, next));
    app.use(
      (err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        caught = err;
        res.status(500).end();
      },
    );
    const url = await listen(app);
    gate = createGate({
      validator: { ...broken, resource: `${url}/mcp` },
      allowInsecureHttpForLoopback: true,
    });
    const r = await send(`${url}/mcp`, POST('u1', '{"jsonrpc":"2.0","id":1,"method":"ping"}'));
    expect(r.status).toBe(500);
    expect((caught as Error).message).toBe('bug');

    let bare: Gate | undefined;
    const url2 = await listen((req, res) => void mcpAuth(bare!)(req, res));
    bare = createGate({
      validator: { ...broken, resource: `${url2}/mcp` },
      allowInsecureHttpForLoopback: true,
    });
    const r2 = await send(`${url2}/mcp`, POST('u1', '{"jsonrpc":"2.0","id":1,"method":"ping"}'));
    expect(r2.status).toBe(500);
    expect(JSON.parse(r2.body)).toEqual({
      error: 'server_error',
      error_description: 'Internal Server Error',
    });
  });

  it.each([
    [
      'writeHead(status, object)',
      (res: ServerResponse) => res.writeHead(200, { 'Mcp-Session-Id': 'abc' }).end('{}'),
    ],
    [
      'writeHead(status, array)',
      (res: ServerResponse) => res.writeHead(200, ['Mcp-Session-Id', 'abc']).end('{}'),
    ],
    [
      'writeHead(status, reason, object)',
      (res: ServerResponse) => res.writeHead(200, 'OK', { 'mcp-session-id': 'abc' }).end('{}'),
    ],
    [
      'setHeader then implicit head',
      (res: ServerResponse) => {
        res.setHeader('mcp-session-id', 'abc');
        res.end('{}');
      },
    ],
  ])('binds the session id the handler issues via %s', async (_, answer) => {
    let gate: Gate | undefined;
    const url = await listen((req, res) =>
      withMcpAuth(gate!, (r, s) => {
        if ((r.body as { method?: string }).method === 'initialize') answer(s);
        else s.end(JSON.stringify({ sub: r.auth.extra?.subject }));
      })(req, res),
    );
    gate = anyPortGate(url);
    const init = await send(
      `${url}/mcp`,
      POST('u1', '{"jsonrpc":"2.0","id":1,"method":"initialize"}'),
    );
    expect(init.headers['mcp-session-id']).toBe('abc');
    const other = await send(
      `${url}/mcp`,
      POST('u2', '{"jsonrpc":"2.0","id":2,"method":"ping"}', { 'mcp-session-id': 'abc' }),
    );
    expect(other.status).toBe(403);
    const owner = await send(
      `${url}/mcp`,
      POST('u1', '{"jsonrpc":"2.0","id":2,"method":"ping"}', { 'mcp-session-id': 'abc' }),
    );
    expect(owner.status).toBe(200);
  });

  it('refuses bad options with a TypeError naming them', () => {
    const gate = createGate({ validator: fakeValidator() });
    expect(() => mcpAuth(gate, { bodyTimeoutMs: 0 })).toThrow('"bodyTimeoutMs"');
    expect(() => withMcpAuth({} as Gate, () => {})).toThrow('"gate"');
    expect(() => withMcpAuth(gate, 'x' as never)).toThrow('"handler"');
  });
});
