import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sha256Base64url } from './hash-key.js';
import { hashKey } from './index.js';

/** What hashKey has always returned: node:crypto's SHA-256 of the UTF-8 bytes, base64url. */
const reference = (s: string) =>
  createHash('sha256').update(Buffer.from(s, 'utf8')).digest('base64url');

/** Any UTF-16 code unit, so lone and reversed surrogates appear often. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const hostileString = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: codeUnit, maxLength: 300 }),
  fc.string({ unit: fc.oneof(surrogate, fc.constantFrom('a', 'é', '€', '😀')), maxLength: 100 }),
);

const implementations = [
  ['hashKey', hashKey],
  ['sha256Base64url (portable)', sha256Base64url],
] as const;

describe.each(implementations)('%s', (_name, hash) => {
  it.each([
    // SHA-256 test vectors (FIPS 180-2), base64url without padding
    ['', '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU'],
    ['abc', 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      'JI1qYdIGOLjlwCaTDD5gOaM85Flk_yFn9uzt1BnbBsE',
    ],
    // UTF-8 of U+00E9 and a lone high surrogate, which node:crypto encodes as U+FFFD (EF BF BD)
    ['é', reference('é')],
    ['\ud800', reference('\ufffd')],
    ['a\udc00b', reference('a\ufffdb')],
  ])('hashes %j to %s', (input, expected) => {
    expect(hash(input)).toBe(expected);
  });

  // Every padding case: the 0x80 byte and the 64-bit length fall in the same or the next block.
  it.each([0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000])(
    'matches node:crypto for %i bytes (block boundaries)',
    (n) => {
      expect(hash('x'.repeat(n))).toBe(reference('x'.repeat(n)));
    },
  );

  it('equals node:crypto SHA-256 for any string: non-ASCII, astral, lone surrogates', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const h = hash(s);
        expect(h).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(h).toBe(reference(s));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps no state between calls: long then short strings, in any order', () => {
    fc.assert(
      fc.property(fc.array(hostileString, { minLength: 2, maxLength: 6 }), (list) => {
        expect(list.map(hash)).toEqual(list.map(reference));
      }),
      { numRuns: 100 },
    );
  });

  it('hashes a string larger than the reused buffer, then small ones again', () => {
    const big = '😀'.repeat(20_000) + '\ud800';
    expect(hash(big)).toBe(reference(big));
    expect(hash('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('never contains the secret', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig';
    expect(hash(token)).not.toContain(token.slice(0, 8));
  });
});

describe('hashKey', () => {
  it.each([undefined, null, 42, {}, Buffer.from('x')])('rejects %j with a TypeError', (input) => {
    expect(() => hashKey(input as string)).toThrow(new TypeError('"secret" must be a string'));
  });

  it('has no import at all, so no node: module enters a bundle through it', () => {
    const source = readFileSync(new URL('./hash-key.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).not.toMatch(/\brequire\(/);
  });
});

/** Loads a fresh copy of the module with `process.getBuiltinModule` replaced. */
async function loadWith(getBuiltinModule: unknown): Promise<typeof import('./hash-key')> {
  vi.resetModules();
  const original = Object.getOwnPropertyDescriptor(process, 'getBuiltinModule');
  Object.defineProperty(process, 'getBuiltinModule', {
    value: getBuiltinModule,
    configurable: true,
    writable: true,
  });
  try {
    return await import('./hash-key.js');
  } finally {
    if (original) Object.defineProperty(process, 'getBuiltinModule', original);
    else delete (process as { getBuiltinModule?: unknown }).getBuiltinModule;
  }
}

describe('hashKey picks its implementation once, at load', () => {
  afterEach(() => {
    vi.resetModules();
  });

  it('uses the runtime node:crypto found through process.getBuiltinModule (Node >= 20.16)', async () => {
    const oneShot = vi.fn((_alg: string, s: string) => `native:${s}`);
    const lookup = vi.fn(() => ({ hash: oneShot }));
    const m = await loadWith(lookup);
    expect(lookup).toHaveBeenCalledExactlyOnceWith('node:crypto');
    expect(m.hashKey('t')).toBe('native:t');
    expect(oneShot).toHaveBeenCalledExactlyOnceWith('sha256', 't', 'base64url');
  });

  it('uses createHash where node:crypto has no one-shot hash (Node < 20.12)', async () => {
    const m = await loadWith(() => ({
      createHash: (alg: string) => createHash(alg),
    }));
    expect(m.hashKey('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it.each([
    ['no getBuiltinModule (workerd, browsers)', undefined],
    [
      'a lookup that throws',
      () => {
        throw new Error('denied');
      },
    ],
    ['a lookup that finds nothing', () => undefined],
    ['a node:crypto without SHA-256 functions', () => ({ hash: 'nope' })],
  ])('falls back to the portable SHA-256 with %s', async (_label, lookup) => {
    const m = await loadWith(lookup);
    fc.assert(
      fc.property(hostileString, (s) => {
        expect(m.hashKey(s)).toBe(reference(s));
      }),
      { numRuns: 100 },
    );
  });
});
