import { describe, expect, it } from 'vitest';
import { isValidSessionId, memorySessionStore, principalKey } from './session-binding.js';

describe('memorySessionStore', () => {
  it('expires an entry ttl after its last use (sliding)', () => {
    let now = 0;
    const store = memorySessionStore({ now: () => now });
    store.set('s', 'p', 10);
    now = 9_000;
    expect(store.get('s')).toBe('p');
    now = 18_000;
    expect(store.get('s')).toBe('p');
    now = 28_001;
    expect(store.get('s')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('is bounded: the least recently used binding goes first', () => {
    const store = memorySessionStore({ maxEntries: 3 });
    store.set('a', '1', 60);
    store.set('b', '2', 60);
    store.set('c', '3', 60);
    expect(store.get('a')).toBe('1'); // a is now the most recent
    store.set('d', '4', 60);
    expect(store.size).toBe(3);
    expect(store.get('b')).toBeUndefined();
    expect(store.get('a')).toBe('1');
    expect(store.get('d')).toBe('4');
    store.delete('a');
    expect(store.get('a')).toBeUndefined();
  });

  it.each([[0], [-1], [1.5], ['10']])('maxEntries %j → TypeError', (maxEntries) => {
    expect(() => memorySessionStore({ maxEntries: maxEntries as number })).toThrow('"maxEntries"');
  });
});

describe('principalKey / isValidSessionId', () => {
  it('keys on issuer, subject and client, unambiguously', () => {
    const key = (issuer: string, subject: string, clientId: string) =>
      principalKey({
        token: 't',
        clientId,
        scopes: [],
        extra: { issuer, subject, tokenType: 'jwt', claims: {} },
      });
    expect(key('https://as', 'user-1', 'c')).toBe('["https://as","user-1","c"]');
    expect(key('https://as', 'a","b', 'c')).not.toBe(key('https://as', 'a', 'b","c'));
    expect(key('https://as', 'user-1', 'c')).not.toBe(key('https://as', 'user-2', 'c'));
    expect(key('https://as', 'user-1', 'c')).not.toBe(key('https://other', 'user-1', 'c'));
  });

  it.each([
    ['0b5c-4a', true],
    ['x'.repeat(256), true],
    ['x'.repeat(257), false],
    ['', false],
    ['a b', false],
    ['a\nb', false],
    ['ä', false],
  ])('%j → %s', (id, ok) => {
    expect(isValidSessionId(id)).toBe(ok);
  });
});
