import { describe, expect, it } from 'vitest';
import { parseScope, selectScope, unionScopes } from './scope.js';

describe('selectScope', () => {
  it.each([
    [{ option: 'a b', challenge: 'c', scopesSupported: ['d'] }, ['a', 'b'], 'option'],
    [{ challenge: 'c  e', scopesSupported: ['d'] }, ['c', 'e'], 'challenge'],
    [{ option: '', challenge: 'c' }, ['c'], 'challenge'],
    [{ scopesSupported: ['d', 'f', 'd'] }, ['d', 'f'], 'scopes_supported'],
    [{ challenge: '   ', scopesSupported: [] }, [], 'none'],
    [{}, [], 'none'],
  ])('%j → %j from %s', (input, scopes, source) => {
    expect(selectScope(input)).toEqual({ scopes, source });
  });
});

describe('unionScopes and parseScope', () => {
  it('keeps first-seen order without duplicates', () => {
    expect(unionScopes(['a', 'b'], ['b', 'c'], undefined, ['a'])).toEqual(['a', 'b', 'c']);
  });
  it('splits on spaces and tabs', () => {
    expect(parseScope('a\tb  c a')).toEqual(['a', 'b', 'c']);
    expect(parseScope(undefined)).toEqual([]);
  });
});
