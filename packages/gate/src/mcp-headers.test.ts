import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from './jsonrpc.js';
import { checkMcpHeaders, decodeMcpHeaderValue, requiresMcpHeaders } from './mcp-headers.js';

const call = (name: string): JsonRpcMessage => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name, arguments: {} },
});
const MODERN = '2026-07-28';
const b64 = (s: string) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;

describe('checkMcpHeaders', () => {
  it.each([
    // [messages, Mcp-Method, Mcp-Name, MCP-Protocol-Version, expected header at fault, reason]
    [[call('whoami')], 'tools/call', 'whoami', MODERN, undefined, undefined],
    [[call('whoami')], undefined, undefined, '2025-11-25', undefined, undefined],
    [[call('whoami')], undefined, undefined, undefined, undefined, undefined],
    [[call('whoami')], 'tools/call', undefined, '2025-11-25', undefined, undefined],
    [[call('whoami')], 'tools/list', undefined, '2025-11-25', 'Mcp-Method', 'mismatch'],
    [[call('whoami')], 'tools/call', 'delete_all', '2025-11-25', 'Mcp-Name', 'mismatch'],
    [[call('whoami')], undefined, 'whoami', MODERN, 'Mcp-Method', 'missing'],
    [[call('whoami')], 'tools/call', undefined, MODERN, 'Mcp-Name', 'missing'],
    [[call('whoami')], 'tools/call', 'delete_all', MODERN, 'Mcp-Name', 'mismatch'],
    [[call('whoami')], 'TOOLS/CALL', 'whoami', MODERN, 'Mcp-Method', 'mismatch'],
    [[call('whoami')], 'tools/call', 'whoami', '2027-01-01', undefined, undefined],
    [[call('whoami')], undefined, undefined, 'garbage', undefined, undefined],
    [[call('ünï')], 'tools/call', b64('ünï'), MODERN, undefined, undefined],
    [[call('ünï')], 'tools/call', 'ünï', MODERN, undefined, undefined],
    [
      [call('ünï')],
      'tools/call',
      Buffer.from('ünï', 'utf8').toString('latin1'),
      MODERN,
      'Mcp-Name',
      'mismatch',
    ],
    [[call('whoami')], 'tools/call', '=?base64?!!!?=', MODERN, 'Mcp-Name', 'mismatch'],
    [
      [{ jsonrpc: '2.0', method: 'notifications/initialized' }],
      undefined,
      undefined,
      MODERN,
      undefined,
      undefined,
    ],
    [
      [{ jsonrpc: '2.0', id: 2, method: 'tools/list' }],
      undefined,
      undefined,
      MODERN,
      'Mcp-Method',
      'missing',
    ],
    [
      [{ jsonrpc: '2.0', id: 2, method: 'tools/list' }],
      'tools/list',
      'x',
      MODERN,
      'Mcp-Name',
      'mismatch',
    ],
    [
      [{ jsonrpc: '2.0', id: 2, method: 'resources/read', params: { uri: 'file:///a' } }],
      'resources/read',
      'file:///a',
      MODERN,
      undefined,
      undefined,
    ],
    [
      [{ jsonrpc: '2.0', id: 2, result: {} }],
      'tools/call',
      undefined,
      MODERN,
      'Mcp-Method',
      'mismatch',
    ],
    [[call('a'), call('b')], 'tools/call', 'a', '2025-11-25', 'Mcp-Name', 'mismatch'],
    [
      [call('a'), { jsonrpc: '2.0', id: 3, method: 'ping' }],
      'tools/call',
      undefined,
      '2025-11-25',
      'Mcp-Method',
      'mismatch',
    ],
  ] as const)(
    '%j Mcp-Method %j Mcp-Name %j version %j → %s %s',
    (messages, method, name, version, header, reason) => {
      const result = checkMcpHeaders(messages as unknown as JsonRpcMessage[], {
        method,
        name,
        protocolVersion: version,
      });
      if (header === undefined) expect(result).toBeUndefined();
      else expect(result).toMatchObject({ header, reason });
    },
  );

  it('accepts exactly the header the SDK client would send, for any tool name (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), (name) => {
        const printable =
          /^[\x20-\x7e\t]+$/.test(name) && name === name.trim() && !name.startsWith('=?base64?');
        const header = printable ? name : b64(name);
        expect(
          checkMcpHeaders([call(name)], {
            method: 'tools/call',
            name: header,
            protocolVersion: MODERN,
          }),
        ).toBeUndefined();
        expect(
          checkMcpHeaders([call(name)], {
            method: 'tools/call',
            name: `${header}x`,
            protocolVersion: MODERN,
          }),
        ).toMatchObject({ header: 'Mcp-Name', reason: 'mismatch' });
      }),
      { numRuns: 500 },
    );
  });
});

describe('decodeMcpHeaderValue / requiresMcpHeaders', () => {
  it.each([
    ['whoami', 'whoami'],
    [b64(''), ''],
    [b64(' padded '), ' padded '],
    ['=?base64?AA?=', undefined],
    ['=?base64?/w==?=', undefined],
    ['=?base64??=', ''],
  ])('%j → %j', (value, expected) => {
    expect(decodeMcpHeaderValue(value)).toBe(expected);
  });

  it.each([
    ['2026-07-28', true],
    ['2026-12-01', true],
    ['2025-11-25', false],
    ['2025-06-18', false],
    ['9999', false],
    [undefined, false],
  ])('%j → %s', (v, expected) => {
    expect(requiresMcpHeaders(v)).toBe(expected);
  });
});
