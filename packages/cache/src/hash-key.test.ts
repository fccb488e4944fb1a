import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashKey } from './index';

describe('hashKey', () => {
  it.each([
    // SHA-256 test vectors (FIPS 180-2), base64url without padding
    ['', '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU'],
    ['abc', 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'],
  ])('hashes %j to %s', (input, expected) => {
    expect(hashKey(input)).toBe(expected);
  });

  it('is SHA-256 base64url of the UTF-8 bytes, 43 URL-safe characters, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const h = hashKey(s);
        expect(h).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(h).toBe(createHash('sha256').update(Buffer.from(s, 'utf8')).digest('base64url'));
      }),
    );
  });

  it('never contains the secret', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig';
    expect(hashKey(token)).not.toContain(token.slice(0, 8));
  });

  it.each([undefined, null, 42, {}, Buffer.from('x')])('rejects %j with a TypeError', (input) => {
    expect(() => hashKey(input as string)).toThrow(new TypeError('"secret" must be a string'));
  });
});
