import { describe, expect, it } from 'vitest';
import { extractScopes } from './scopes.js';

describe('extractScopes', () => {
  it.each([
    [{ scope: 'a b  c' }, [], ['a', 'b', 'c']],
    [{ scp: ['a', 'b'] }, [], ['a', 'b']],
    [{ scp: 'a b' }, [], ['a', 'b']],
    [{ scope: 'a', scp: ['a', 'b'] }, [], ['a', 'b']],
    [{ scope: 'a', permissions: ['p:1'] }, ['permissions'], ['a', 'p:1']],
    [{ roles: ['Tools.Run'] }, ['roles'], ['Tools.Run']],
    [{ roles: ['Tools.Run'] }, [], []],
    [{}, [], []],
    [{ scope: '' }, [], []],
  ])('%j (extras %j) → %j', (claims, extras, scopes) => {
    expect(extractScopes(claims, extras)).toEqual(scopes);
  });

  it.each([[{ scope: ['a'] }], [{ scope: 1 }], [{ scp: { a: 1 } }], [{ scp: ['a', 2] }]])(
    '%j is ERR_CLAIM_INVALID',
    (claims) => {
      expect(() => extractScopes(claims)).toThrow(
        expect.objectContaining({ code: 'ERR_CLAIM_INVALID' }),
      );
    },
  );
});
