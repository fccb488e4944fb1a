import { describe, expect, it } from 'vitest';
import { isScopeToken, unionScopes } from './scopes.js';

describe('unionScopes', () => {
  it('keeps each scope once, in the order first seen, skipping undefined lists', () => {
    expect(unionScopes(['b', 'a'], undefined, ['a', 'c', 'b'], [])).toEqual(['b', 'a', 'c']);
    expect(unionScopes()).toEqual([]);
  });

  it('returns a new array', () => {
    const list = ['a'];
    expect(unionScopes(list)).not.toBe(list);
  });
});

describe('isScopeToken', () => {
  it.each([
    ['mcp:read', true],
    ['!#[]~', true],
    ['', false],
    ['a b', false],
    ['a"b', false],
    ['a\\b', false],
    ['é', false],
    [1, false],
  ])('%s -> %s', (value, expected) => {
    expect(isScopeToken(value)).toBe(expected);
  });
});
