import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { basicAuth } from './flows.js';
import { MemoryStore } from './internal/adapter.js';
import { consentPage, escapeHtml, loginPage } from './internal/views.js';
import { KeyRing } from './keys.js';

describe('escapeHtml', () => {
  it('leaves no markup-significant character (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(escapeHtml(s)).not.toMatch(/[<>"']/);
      }),
    );
  });

  it('round-trips through the five entities (property)', () => {
    const decodeEntities = (s: string) =>
      s
        .replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>')
        .replaceAll('&quot;', '"')
        .replaceAll('&#39;', "'")
        .replaceAll('&amp;', '&');
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(decodeEntities(escapeHtml(s))).toBe(s);
      }),
    );
  });

  it('pages built from hostile values contain no injected markup (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (clientId, login, scope) => {
        const pages = [
          loginPage({
            action: '/a',
            abortAction: '/b',
            clientId,
            issuer: 'http://i',
            login,
            error: scope,
          }),
          consentPage({
            action: '/a',
            abortAction: '/b',
            clientId,
            user: login,
            scopes: [scope],
            resources: [{ uri: login, scopes: [scope] }],
          }),
        ];
        for (const html of pages) {
          // every tag in the page is one of ours
          const tags = html.match(/<\/?([a-zA-Z0-9!]+)/g) ?? [];
          for (const tag of tags) {
            expect(tag.replace(/^<\/?/, '').toLowerCase()).toMatch(
              /^(!doctype|html|head|meta|title|style|body|main|h1|p|strong|code|form|label|input|button|a|ul|li)$/,
            );
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('basicAuth (RFC 6749 §2.3.1)', () => {
  it.each([
    ['client', 'secret', 'client:secret'],
    ['a:b', 'c d', 'a%3Ab:c+d'],
    ['ü', '%', '%C3%BC:%25'],
  ])('%s / %s is form-encoded before Base64 (%s)', (id, secret, encoded) => {
    expect(basicAuth(id, secret)).toBe(`Basic ${Buffer.from(encoded).toString('base64')}`);
  });
});

describe('MemoryStore', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires entries on their TTL', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const store = new MemoryStore();
    store.set('a', 1, 10);
    store.set('b', 2);
    vi.setSystemTime(1_000_000 + 9_999);
    expect(store.get('a')).toBe(1);
    vi.setSystemTime(1_000_000 + 10_000);
    expect(store.get('a')).toBeUndefined();
    expect(store.get('b')).toBe(2);
  });

  it('never holds more than maxEntries: expired first, then the oldest', () => {
    vi.useFakeTimers({ now: 0 });
    const store = new MemoryStore(100);
    for (let i = 0; i < 50; i++) store.set(`short${i}`, i, 1);
    vi.setSystemTime(2_000);
    for (let i = 0; i < 1_000; i++) store.set(`k${i}`, i);
    expect(store.size).toBeLessThanOrEqual(100);
    expect(store.get('k999')).toBe(999);
    expect(store.get('k0')).toBeUndefined();
  });
});

describe('KeyRing', () => {
  it('publishes public keys only, current keys first for oidc-provider', async () => {
    let changes = 0;
    const ring = new KeyRing(() => {
      changes++;
    });
    const first = await ring.add('ES256');
    const second = await ring.add('ES256');
    ring.setCurrent(second);
    expect(changes).toBe(3);
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual([second, first]);
    for (const k of ring.publicJwks().keys) expect(k).not.toHaveProperty('d');
    expect(ring.currentKid('ES256')).toBe(second);
    expect(ring.currentKid('RS256')).toBeUndefined();
  });
});
