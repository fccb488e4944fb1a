import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonRpcErrorBody, parseJsonRpcBody } from './jsonrpc.js';

const o = { maxBatchLength: 3 };
const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };

describe('parseJsonRpcBody', () => {
  it.each([
    ['{"jsonrpc":"2.0","id":1,"method":"ping"}', false, 1],
    [new TextEncoder().encode('{"jsonrpc":"2.0","method":"notifications/initialized"}'), false, 1],
    [ping, false, 1],
    [[ping, ping, ping], true, 3],
    ['{"jsonrpc":"2.0","id":1,"result":{}}', false, 1],
    ['{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}}', false, 1],
  ])('accepts %j', (body, batch, count) => {
    const parsed = parseJsonRpcBody(body, o);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.batch).toBe(batch);
      expect(parsed.messages).toHaveLength(count);
    }
  });

  it.each([
    ['', -32700, 'parse'],
    ['{', -32700, 'parse'],
    [new Uint8Array([0xff, 0xfe]), -32700, 'parse'],
    ['null', -32600, 'invalid'],
    ['[]', -32600, 'invalid'],
    ['"x"', -32600, 'invalid'],
    ['{"jsonrpc":"1.0","id":1,"method":"ping"}', -32600, 'invalid'],
    ['{"jsonrpc":"2.0","id":1,"method":5}', -32600, 'invalid'],
    ['{"jsonrpc":"2.0","id":1}', -32600, 'invalid'],
    ['{"jsonrpc":"2.0","id":1,"result":1,"error":{}}', -32600, 'invalid'],
    [[ping, 'x'], -32600, 'invalid'],
    [[ping, ping, ping, ping], -32600, 'batch_too_large'],
    ['[1,2,3,4]', -32600, 'batch_too_large'],
  ])('refuses %j with %i (%s)', (body, code, reason) => {
    expect(parseJsonRpcBody(body, o)).toMatchObject({ ok: false, code, reason });
  });

  it('says the limit in the batch error', () => {
    const parsed = parseJsonRpcBody(new Array(101).fill(ping), { maxBatchLength: 100 });
    expect(parsed).toEqual({
      ok: false,
      code: -32600,
      message: 'Invalid Request: a batch may hold at most 100 messages',
      reason: 'batch_too_large',
    });
  });

  it('never throws on any JSON value or text (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.string(), fc.uint8Array()), (body) => {
        const parsed = parseJsonRpcBody(body, { maxBatchLength: 5 });
        if (parsed.ok) {
          expect(parsed.messages.length).toBeGreaterThan(0);
          expect(parsed.messages.length).toBeLessThanOrEqual(5);
          for (const m of parsed.messages) expect(m.jsonrpc).toBe('2.0');
        } else {
          expect([-32700, -32600]).toContain(parsed.code);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('jsonRpcErrorBody', () => {
  it('renders the error object', () => {
    expect(jsonRpcErrorBody(-32020, 'x', 7)).toBe(
      '{"jsonrpc":"2.0","id":7,"error":{"code":-32020,"message":"x"}}',
    );
    expect(jsonRpcErrorBody(-32700, 'Parse error')).toBe(
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}',
    );
  });
});
