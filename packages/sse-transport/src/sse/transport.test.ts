import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { generateSessionId, SseServerTransport } from './transport.js';

/** A ServerResponse stand-in whose write buffer never drains (a client that stopped reading). */
function stuckResponse() {
  const res = new EventEmitter() as EventEmitter & {
    frames: string[];
    writableLength: number;
    writableEnded: boolean;
    destroyed: boolean;
    headersSent: boolean;
    status?: number;
    headers?: Record<string, unknown>;
    socket: { setNoDelay(): void };
    writeHead(status: number, headers: Record<string, unknown>): void;
    write(frame: string): boolean;
    end(): void;
    destroy(): void;
    cork(): void;
    uncork(): void;
  };
  res.frames = [];
  res.writableLength = 0;
  res.writableEnded = false;
  res.destroyed = false;
  res.headersSent = false;
  res.socket = { setNoDelay() {} };
  res.cork = () => {};
  res.uncork = () => {};
  res.writeHead = (status, headers) => {
    res.status = status;
    res.headers = headers;
    res.headersSent = true;
  };
  res.write = (frame) => {
    res.frames.push(frame);
    res.writableLength += Buffer.byteLength(frame);
    return false;
  };
  res.end = () => {
    res.writableEnded = true;
    res.emit('close');
  };
  res.destroy = () => {
    res.destroyed = true;
    res.emit('close');
  };
  return res;
}

describe('SseServerTransport', () => {
  it('writes the stream headers and the endpoint event on start', async () => {
    const res = stuckResponse();
    const t = new SseServerTransport(res as unknown as ServerResponse, {
      messageEndpoint: '/messages',
      sessionId: 'abc',
      headers: { 'access-control-allow-origin': '*' },
    });
    await t.start();
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'access-control-allow-origin': '*',
      'x-accel-buffering': 'no',
    });
    expect(res.frames).toEqual(['event: endpoint\ndata: /messages?sessionId=abc\n\n']);
    await expect(t.start()).rejects.toThrow(/already started/);
  });

  it('keeps an absolute message endpoint absolute', () => {
    const t = new SseServerTransport(stuckResponse() as unknown as ServerResponse, {
      messageEndpoint: 'https://mcp.example/base/messages?x=1',
      sessionId: 's',
    });
    expect(t.endpointUrl).toBe('https://mcp.example/base/messages?x=1&sessionId=s');
  });

  it('sends each message as one event frame, with newlines in strings escaped', async () => {
    const res = stuckResponse();
    const t = new SseServerTransport(res as unknown as ServerResponse, { messageEndpoint: '/m' });
    await t.start();
    await t.send({ jsonrpc: '2.0', id: 1, result: { text: 'a\nb\r\n\ndata: x' } });
    expect(res.frames[1]).toBe(
      'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"text":"a\\nb\\r\\n\\ndata: x"}}\n\n',
    );
  });

  it('drops the session when the write buffer passes maxBufferedBytes', async () => {
    const res = stuckResponse();
    const t = new SseServerTransport(res as unknown as ServerResponse, {
      messageEndpoint: '/m',
      maxBufferedBytes: 1000,
    });
    const reasons: string[] = [];
    const onclose = vi.fn();
    t.onclosereason = (r) => reasons.push(r);
    t.onclose = onclose;
    await t.start();
    const big = {
      jsonrpc: '2.0' as const,
      method: 'notifications/message',
      params: { data: 'x'.repeat(300) },
    };
    await t.send(big);
    await t.send(big);
    expect(t.isOpen).toBe(true);
    await t.send(big);
    expect(res.destroyed).toBe(true);
    expect(t.isOpen).toBe(false);
    expect(reasons).toEqual(['buffer-overflow']);
    expect(onclose).toHaveBeenCalledTimes(1);
    await expect(t.send(big)).rejects.toThrow('Not connected');
  });

  it('fires onclose exactly once, whatever closes it', async () => {
    const res = stuckResponse();
    const t = new SseServerTransport(res as unknown as ServerResponse, { messageEndpoint: '/m' });
    const onclose = vi.fn();
    t.onclose = onclose;
    await t.start();
    await t.close();
    res.emit('close');
    await t.close();
    expect(onclose).toHaveBeenCalledTimes(1);
  });

  it.each([
    [{}],
    [{ jsonrpc: '1.0', method: 'x', id: 1 }],
    [[{ jsonrpc: '2.0', method: 'ping', id: 1 }]],
    ['string'],
    [null],
  ])('handleMessage rejects %j and delivers nothing', async (message) => {
    const t = new SseServerTransport(stuckResponse() as unknown as ServerResponse, {
      messageEndpoint: '/m',
    });
    const onmessage = vi.fn();
    t.onmessage = onmessage;
    await expect(t.handleMessage(message)).rejects.toThrow('Invalid JSON-RPC message');
    expect(onmessage).not.toHaveBeenCalled();
  });

  it('handleMessage passes authInfo through to onmessage', async () => {
    const t = new SseServerTransport(stuckResponse() as unknown as ServerResponse, {
      messageEndpoint: '/m',
    });
    const onmessage = vi.fn();
    t.onmessage = onmessage;
    const authInfo = { token: 't', clientId: 'c', scopes: ['a'] };
    await t.handleMessage({ jsonrpc: '2.0', method: 'ping', id: 1 }, { authInfo });
    expect(onmessage).toHaveBeenCalledWith({ jsonrpc: '2.0', method: 'ping', id: 1 }, { authInfo });
  });

  it.each([
    [{ messageEndpoint: '' }, /"messageEndpoint"/],
    [{ messageEndpoint: '/m', maxBufferedBytes: 0 }, /"maxBufferedBytes"/],
  ])('rejects bad options %j', (options, message) => {
    expect(
      () => new SseServerTransport(stuckResponse() as unknown as ServerResponse, options),
    ).toThrow(message);
  });

  it('generates distinct 256-bit base64url session ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, generateSessionId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('options', () => {
  it.each([0, -1, 1.5, 2 ** 53])('maxBufferedBytes %p is a TypeError naming it', (max) => {
    const res = new EventEmitter() as unknown as ServerResponse;
    expect(
      () => new SseServerTransport(res, { messageEndpoint: '/m', maxBufferedBytes: max }),
    ).toThrow(new TypeError('"maxBufferedBytes" must be a positive integer'));
  });
});
