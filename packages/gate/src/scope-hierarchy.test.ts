import { describe, expect, it } from 'vitest';
import { createScopeHierarchy } from './scope-hierarchy.js';

describe('createScopeHierarchy', () => {
  const scopes = createScopeHierarchy({
    'mcp:admin': ['mcp:write'],
    'mcp:write': ['mcp:read'],
    'loop:a': ['loop:b'],
    'loop:b': ['loop:a'],
  });

  it.each([
    [['mcp:admin'], ['mcp:read'], []],
    [['mcp:admin'], ['mcp:read', 'mcp:write', 'mcp:admin'], []],
    [['mcp:write'], ['mcp:read'], []],
    [['mcp:write'], ['mcp:admin'], ['mcp:admin']],
    [['mcp:read'], ['mcp:write', 'mcp:read', 'other'], ['mcp:write', 'other']],
    [[], ['mcp:read'], ['mcp:read']],
    [['loop:a'], ['loop:b'], []],
    [['x'], [], []],
  ])('granted %j, needed %j → missing %j', (granted, needed, missing) => {
    expect(scopes.missing(granted, needed)).toEqual(missing);
  });

  it('expands transitively and knows which scopes are implied', () => {
    expect([...scopes.expand(['mcp:admin'])].sort()).toEqual([
      'mcp:admin',
      'mcp:read',
      'mcp:write',
    ]);
    expect(scopes.isImplied('mcp:read')).toBe(true);
    expect(scopes.isImplied('mcp:admin')).toBe(false);
  });

  it('is plain inclusion without a hierarchy', () => {
    const plain = createScopeHierarchy(undefined);
    expect(plain.missing(['mcp:admin'], ['mcp:read'])).toEqual(['mcp:read']);
    expect(plain.missing(['mcp:read'], ['mcp:read'])).toEqual([]);
  });

  it.each([
    [[]],
    [{ 'a b': ['c'] }],
    [{ a: 'b' }],
    [{ a: ['b c'] }],
    [{ offline_access: ['a'] }],
    [{ a: ['offline_access'] }],
  ])('%j → TypeError naming scopeHierarchy', (h) => {
    expect(() => createScopeHierarchy(h as never)).toThrow('"scopeHierarchy"');
  });
});
