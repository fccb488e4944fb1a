import { describe, expect, it } from 'vitest';
import { parseScope, selectScope, unionScopes, withOfflineAccess } from './scope.js';

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

describe('withOfflineAccess', () => {
  it.each<[string[], boolean, unknown[] | undefined, string[]]>([
    [['a', 'offline_access'], false, ['offline_access'], ['a']],
    [['a'], true, ['openid', 'offline_access'], ['a', 'offline_access']],
    [['a'], true, ['openid'], ['a']],
    [['a'], true, undefined, ['a']],
    [['offline_access', 'a'], true, ['offline_access'], ['a', 'offline_access']],
    [[], true, ['offline_access'], ['offline_access']],
  ])('%j wanted=%s AS lists %j: %j', (scopes, wanted, asScopesSupported, expected) => {
    expect(withOfflineAccess(scopes, { wanted, asScopesSupported })).toEqual(expected);
  });
});
