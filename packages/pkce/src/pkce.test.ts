import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeCodeChallenge,
  createPkcePair,
  generateCodeVerifier,
  isCodeVerifier,
  verifyCodeChallenge,
} from './index.js';

// RFC 7636 Appendix B.
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';

const verifierArb = fc.string({
  unit: fc.constantFrom(...UNRESERVED),
  minLength: 43,
  maxLength: 128,
});

describe('RFC 7636 Appendix B', () => {
  it('computes the S256 challenge of the example verifier', async () => {
    expect(await computeCodeChallenge(RFC_VERIFIER)).toBe(RFC_CHALLENGE);
  });
  it('verifies the example pair', async () => {
    expect(await verifyCodeChallenge(RFC_VERIFIER, RFC_CHALLENGE)).toBe(true);
    expect(await verifyCodeChallenge(RFC_VERIFIER, RFC_CHALLENGE, 'S256')).toBe(true);
  });
});

describe('generateCodeVerifier', () => {
  it('defaults to 64 characters from the unreserved set', () => {
    const v = generateCodeVerifier();
    expect(v).toHaveLength(64);
    expect(v).toMatch(/^[A-Za-z0-9\-._~]+$/);
  });

  it.each([43, 44, 100, 128])('makes a valid verifier of length %i', (length) => {
    const v = generateCodeVerifier(length);
    expect(v).toHaveLength(length);
    expect(isCodeVerifier(v)).toBe(true);
  });

  it.each([
    [42, 'got 42'],
    [129, 'got 129'],
    [0, 'got 0'],
    [-1, 'got -1'],
    [64.5, 'got 64.5'],
    [Number.NaN, 'got NaN'],
    [Number.POSITIVE_INFINITY, 'got Infinity'],
    ['64', 'got 64'],
  ])('refuses length %s with a TypeError', (length, tail) => {
    expect(() => generateCodeVerifier(length as number)).toThrow(
      new TypeError(`"length" must be an integer from 43 to 128, ${tail}`),
    );
  });

  it('uses every unreserved character and no other (rejection sampling, no bias to the first ones)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      for (const ch of generateCodeVerifier(128)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([...UNRESERVED].sort());
    // 51,200 draws over 66 symbols: ~776 each. A modulo bias (`byte % 66`) would give the first 58
    // symbols ~4/3 of the weight of the last 8; require every symbol within 20% of the mean.
    const mean = (400 * 128) / 66;
    for (const n of counts.values()) expect(Math.abs(n - mean) / mean).toBeLessThan(0.2);
  });

  it('never repeats (fresh randomness)', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => generateCodeVerifier(43)));
    expect(seen.size).toBe(1000);
  });
});

describe('computeCodeChallenge', () => {
  it.each([
    ['too short', 'a'.repeat(42), '"verifier" must be 43 to 128 characters long, got 42'],
    ['too long', 'a'.repeat(129), '"verifier" must be 43 to 128 characters long, got 129'],
    ['empty', '', '"verifier" must be 43 to 128 characters long, got 0'],
    [
      'space',
      `${'a'.repeat(42)} `,
      '"verifier" may only contain the RFC 7636 unreserved characters [A-Za-z0-9-._~]',
    ],
    [
      'plus',
      `${'a'.repeat(42)}+`,
      '"verifier" may only contain the RFC 7636 unreserved characters [A-Za-z0-9-._~]',
    ],
    [
      'slash',
      `${'a'.repeat(42)}/`,
      '"verifier" may only contain the RFC 7636 unreserved characters [A-Za-z0-9-._~]',
    ],
    [
      'equals',
      `${'a'.repeat(42)}=`,
      '"verifier" may only contain the RFC 7636 unreserved characters [A-Za-z0-9-._~]',
    ],
    [
      'non-ASCII',
      `${'a'.repeat(42)}é`,
      '"verifier" may only contain the RFC 7636 unreserved characters [A-Za-z0-9-._~]',
    ],
    [
      'newline',
      `${'a'.repeat(42)}\n`,
      '"verifier" may only contain the RFC 7636 unreserved characters [A-Za-z0-9-._~]',
    ],
    [
      'NUL',
      `${'a'.repeat(42)}\0`,
      '"verifier" may only contain the RFC 7636 unreserved characters [A-Za-z0-9-._~]',
    ],
  ])('refuses a verifier that is %s', async (_name, verifier, message) => {
    await expect(computeCodeChallenge(verifier)).rejects.toThrow(new TypeError(message));
  });

  it.each([
    [undefined, 'undefined'],
    [null, 'null'],
    [42, 'number'],
    [{}, 'object'],
    [['a'], 'object'],
  ])('refuses a non-string verifier (%s)', async (value, kind) => {
    await expect(computeCodeChallenge(value as unknown as string)).rejects.toThrow(
      new TypeError(`"verifier" must be a string, got ${kind}`),
    );
  });

  it('agrees with node:crypto SHA-256 for any valid verifier', async () => {
    await fc.assert(
      fc.asyncProperty(verifierArb, async (v) => {
        const expected = createHash('sha256').update(v, 'ascii').digest('base64url');
        expect(await computeCodeChallenge(v)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('createPkcePair', () => {
  it('returns a verifier, its 43-character S256 challenge and the method', async () => {
    const pair = await createPkcePair();
    expect(pair.codeChallengeMethod).toBe('S256');
    expect(isCodeVerifier(pair.codeVerifier)).toBe(true);
    expect(pair.codeChallenge).toMatch(/^[A-Za-z0-9\-_]{43}$/);
    expect(await verifyCodeChallenge(pair.codeVerifier, pair.codeChallenge)).toBe(true);
  });
});

describe('properties', () => {
  it('every generated verifier is valid, its challenge has 43 characters and verifies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 43, max: 128 }), async (length) => {
        const v = generateCodeVerifier(length);
        expect(isCodeVerifier(v)).toBe(true);
        const c = await computeCodeChallenge(v);
        expect(c).toHaveLength(43);
        expect(await verifyCodeChallenge(v, c)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a different verifier does not verify', async () => {
    await fc.assert(
      fc.asyncProperty(verifierArb, verifierArb, async (a, b) => {
        fc.pre(a !== b);
        expect(await verifyCodeChallenge(b, await computeCodeChallenge(a))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('isCodeVerifier agrees with the RFC grammar on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        expect(isCodeVerifier(s)).toBe(/^[A-Za-z0-9\-._~]{43,128}$/.test(s));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('verifyCodeChallenge', () => {
  it.each([
    ['a wrong challenge', RFC_VERIFIER, `${RFC_CHALLENGE.slice(0, -1)}d`],
    ['a padded challenge', RFC_VERIFIER, `${RFC_CHALLENGE}=`],
    ['an empty challenge', RFC_VERIFIER, ''],
    ['a standard-base64 challenge', RFC_VERIFIER, RFC_CHALLENGE.replace('-', '+')],
    ['a malformed verifier', 'short', RFC_CHALLENGE],
    ['the challenge as verifier', RFC_CHALLENGE, RFC_CHALLENGE],
    ['a non-string challenge', RFC_VERIFIER, 42 as unknown as string],
  ])('returns false for %s', async (_name, verifier, challenge) => {
    expect(await verifyCodeChallenge(verifier, challenge)).toBe(false);
  });

  it('refuses plain unless explicitly allowed', async () => {
    await expect(verifyCodeChallenge(RFC_VERIFIER, RFC_VERIFIER, 'plain')).rejects.toThrow(
      new TypeError(
        '"method" plain is refused unless { allowPlain: true } is passed explicitly (use S256)',
      ),
    );
    expect(
      await verifyCodeChallenge(RFC_VERIFIER, RFC_VERIFIER, 'plain', { allowPlain: true }),
    ).toBe(true);
    expect(
      await verifyCodeChallenge(RFC_VERIFIER, `${RFC_VERIFIER}x`, 'plain', { allowPlain: true }),
    ).toBe(false);
  });

  it('refuses an unknown method', async () => {
    await expect(
      verifyCodeChallenge(RFC_VERIFIER, RFC_CHALLENGE, 'S512' as 'S256'),
    ).rejects.toThrow(
      new TypeError('"method" must be "S256" (or "plain" with allowPlain), got S512'),
    );
  });
});
