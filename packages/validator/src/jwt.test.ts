import fc from 'fast-check';
import type { CryptoKey } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { assertCanonicalJws } from './internal/jws.js';
import { allowlistedKeys, mapJoseError, parseClaims } from './jwt.js';

const NOW_MS = 1_700_000_000_500; // 1,700,000,000.5 s: jose compares whole seconds (floor)
const NOW = 1_700_000_000;
const HEADER = { alg: 'RS256' };
const bytes = (text: string) => new TextEncoder().encode(text);
const json = (value: unknown) => bytes(JSON.stringify(value));

/** The validator's code for what parseClaims throws (the same mapping as every jose error). */
function codeOf(f: () => unknown): { code: string; claim: string | undefined } {
  try {
    f();
  } catch (err) {
    const e = mapJoseError(err);
    return { code: e.code, claim: e.claim };
  }
  throw new Error('did not throw');
}

describe('parseClaims (what jwtVerify adds to compactVerify)', () => {
  it('returns the claims set of a valid payload', () => {
    const claims = { iss: 'x', exp: NOW + 60, nbf: NOW, iat: NOW };
    expect(parseClaims(HEADER, json(claims), 0, NOW_MS)).toEqual(claims);
  });

  it.each([
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), 'ERR_TOKEN_MALFORMED', undefined],
    ['not JSON', bytes('{"a":'), 'ERR_TOKEN_MALFORMED', undefined],
    ['a JSON array', json([1, 2]), 'ERR_TOKEN_MALFORMED', undefined],
    ['JSON null', json(null), 'ERR_TOKEN_MALFORMED', undefined],
    ['a JSON string', json('claims'), 'ERR_TOKEN_MALFORMED', undefined],
    ['a JSON number', json(1), 'ERR_TOKEN_MALFORMED', undefined],
    ['iat a string', json({ iat: 'now' }), 'ERR_CLAIM_INVALID', 'iat'],
    ['nbf a string', json({ nbf: '1' }), 'ERR_CLAIM_INVALID', 'nbf'],
    ['exp a string', json({ exp: String(NOW + 60) }), 'ERR_CLAIM_INVALID', 'exp'],
    ['exp null', json({ exp: null }), 'ERR_CLAIM_INVALID', 'exp'],
    ['nbf one second in the future', json({ nbf: NOW + 1 }), 'ERR_TOKEN_NOT_YET_VALID', 'nbf'],
    ['exp now', json({ exp: NOW }), 'ERR_TOKEN_EXPIRED', 'exp'],
    ['exp in the past', json({ exp: NOW - 1 }), 'ERR_TOKEN_EXPIRED', 'exp'],
  ] as const)('%s → %s', (_name, payload, code, claim) => {
    expect(codeOf(() => parseClaims(HEADER, payload, 0, NOW_MS))).toEqual({ code, claim });
  });

  it('applies the clock tolerance on both sides, in whole seconds', () => {
    expect(parseClaims(HEADER, json({ nbf: NOW + 30, exp: NOW - 29 }), 30, NOW_MS)).toBeTruthy();
    expect(codeOf(() => parseClaims(HEADER, json({ nbf: NOW + 31 }), 30, NOW_MS)).code).toBe(
      'ERR_TOKEN_NOT_YET_VALID',
    );
    expect(codeOf(() => parseClaims(HEADER, json({ exp: NOW - 30 }), 30, NOW_MS)).code).toBe(
      'ERR_TOKEN_EXPIRED',
    );
  });

  it('refuses an unencoded payload (crit b64, b64 false) before reading it', () => {
    const header = { alg: 'RS256', crit: ['b64'], b64: false } as never;
    expect(codeOf(() => parseClaims(header, json({ exp: NOW + 60 }), 0, NOW_MS)).code).toBe(
      'ERR_TOKEN_MALFORMED',
    );
    // b64 not listed in crit is ignored by JWS (RFC 7797 §6), as jose does.
    const ignored = { alg: 'RS256', b64: false } as never;
    expect(parseClaims(ignored, json({ exp: NOW + 60 }), 0, NOW_MS)).toEqual({ exp: NOW + 60 });
  });
});

describe('allowlistedKeys', () => {
  it('refuses an algorithm outside the allowlist without looking up a key', () => {
    const keys = vi.fn(() => ({}) as CryptoKey);
    const resolve = allowlistedKeys(['RS256', 'ES256'], keys);
    for (const alg of ['HS256', 'none', 'rs256', 'PS256', '', undefined, 1]) {
      expect(() => resolve({ alg } as never)).toThrow(
        expect.objectContaining({ code: 'ERR_JOSE_ALG_NOT_ALLOWED' }),
      );
    }
    expect(keys).not.toHaveBeenCalled();
    expect(mapJoseError(captured(() => resolve({ alg: 'HS256' }))).code).toBe(
      'ERR_ALG_NOT_ALLOWED',
    );
  });

  it('hands an allowed header to the key function', () => {
    const key = {} as CryptoKey;
    const keys = vi.fn(() => key);
    expect(allowlistedKeys(['RS256'], keys)({ alg: 'RS256', kid: 'k' })).toBe(key);
    expect(keys).toHaveBeenCalledWith({ alg: 'RS256', kid: 'k' });
  });
});

function captured(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('assertCanonicalJws', () => {
  const enc = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  it.each([
    ['canonical', 'eyJhbGciOiJSUzI1NiJ9.e30.AAAA', true],
    ['empty signature (jose refuses it by alg)', 'eyJhbGciOiJSUzI1NiJ9.e30.', true],
    ['unused bits set (2 chars)', 'eyJhbGciOiJSUzI1NiJ9.e30.AB', false],
    ['unused bits set (3 chars)', 'eyJhbGciOiJSUzI1NiJ9.e30.AAB', false],
    ['= padding', 'eyJhbGciOiJSUzI1NiJ9.e30.AA==', false],
    ['length 4n+1', 'eyJhbGciOiJSUzI1NiJ9.e30.AAAAA', false],
    ['standard alphabet +', 'eyJhbGciOiJSUzI1NiJ9.e30.AA+A', false],
    ['standard alphabet /', 'eyJhbGciOiJSUzI1NiJ9.e30.AA/A', false],
    ['non-ASCII', 'eyJhbGciOiJSUzI1NiJ9.e30.AAÀA', false],
    ['two segments', 'eyJhbGciOiJSUzI1NiJ9.e30', false],
    ['four segments', 'eyJhbGciOiJSUzI1NiJ9.e30.AAAA.AAAA', false],
  ])('%s', (_name, token, ok) => {
    if (ok) expect(() => assertCanonicalJws(token)).not.toThrow();
    else {
      expect(() => assertCanonicalJws(token)).toThrow(
        expect.objectContaining({ code: 'ERR_TOKEN_MALFORMED', reason: 'base64url_not_canonical' }),
      );
    }
  });

  it('property: the canonical encoding of any bytes passes; every other spelling of them fails', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(3), (bytes, low) => {
        const seg = enc(bytes);
        expect(() => assertCanonicalJws(`${seg}.${seg}.${seg}`)).not.toThrow();
        const unused = seg.length % 4 === 2 ? 4 : seg.length % 4 === 3 ? 2 : 0;
        if (unused === 0) return;
        const bits = (low % ((1 << unused) - 1)) + 1; // a non-zero value of the unused bits
        const variant = seg.slice(0, -1) + ALPHABET[ALPHABET.indexOf(seg.at(-1)!) | bits];
        expect(Buffer.from(variant, 'base64url').equals(Buffer.from(bytes))).toBe(true);
        expect(() => assertCanonicalJws(`${seg}.${seg}.${variant}`)).toThrow();
        expect(() => assertCanonicalJws(`${variant}.${seg}.${seg}`)).toThrow();
      }),
    );
  });
});
