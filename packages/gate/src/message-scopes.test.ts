import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from './jsonrpc.js';
import { createMessageScopeResolver } from './message-scopes.js';

const call = (name: unknown, id = 1): JsonRpcMessage => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name },
});

describe('createMessageScopeResolver', () => {
  it('is undefined when nothing is configured (no work per request)', () => {
    expect(createMessageScopeResolver(undefined, undefined)).toBeUndefined();
    expect(createMessageScopeResolver({ a: [] }, undefined)).toBeUndefined();
  });

  it('reads the tools/call name, batches included (union, no duplicates)', () => {
    const resolve = createMessageScopeResolver(
      { admin_tool: ['mcp:admin'], write_tool: ['mcp:write', 'mcp:admin'] },
      undefined,
    )!;
    expect(resolve([call('admin_tool')])).toEqual(['mcp:admin']);
    expect(resolve([call('whoami')])).toEqual([]);
    expect(resolve([call('whoami'), call('write_tool', 2), call('admin_tool', 3)])).toEqual([
      'mcp:write',
      'mcp:admin',
    ]);
    expect(resolve([{ jsonrpc: '2.0', id: 1, method: 'tools/list' }])).toEqual([]);
  });

  it.each([
    [call('constructor')],
    [call('__proto__')],
    [call('toString')],
    [call(42)],
    [{ jsonrpc: '2.0', id: 1, method: 'tools/call' }],
    [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: 'admin_tool' }],
    [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: null }],
  ] as JsonRpcMessage[][])('finds nothing inherited or mistyped in %j', (message) => {
    const resolve = createMessageScopeResolver({ admin_tool: ['mcp:admin'] }, undefined)!;
    expect(resolve([message])).toEqual([]);
  });

  it('adds scopesFor, per message', () => {
    const resolve = createMessageScopeResolver({ t: ['a'] }, (m: JsonRpcMessage) =>
      m.method === 'resources/read' ? ['res:read'] : undefined,
    )!;
    expect(resolve([call('t'), { jsonrpc: '2.0', id: 2, method: 'resources/read' }])).toEqual([
      'a',
      'res:read',
    ]);
  });

  it.each([[() => 'a'], [() => ['a b']], [() => [1]], [() => ['offline_access']]])(
    'throws (fail closed) when scopesFor returns %s',
    (scopesFor) => {
      const resolve = createMessageScopeResolver(undefined, scopesFor)!;
      expect(() => resolve([call('t')])).toThrow('"scopesFor" returned');
    },
  );

  it.each([
    [['a'], undefined, '"toolScopes"'],
    [{ t: 'a' }, undefined, '"toolScopes"'],
    [{ t: ['a b'] }, undefined, '"toolScopes"'],
    [{ t: ['offline_access'] }, undefined, 'offline_access'],
    [undefined, 'f', '"scopesFor"'],
  ])('%j, %j → TypeError %s', (toolScopes, scopesFor, message) => {
    expect(() => createMessageScopeResolver(toolScopes, scopesFor)).toThrow(message);
  });
});
