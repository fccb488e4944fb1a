import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { basicAuthorization, formUrlEncode } from './client-auth.js';

describe('formUrlEncode', () => {
  it('round-trips through a form decoder, and leaves alphanumerics and *-._ alone', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (value) => {
        const encoded = formUrlEncode(value);
        expect(new URLSearchParams(`v=${encoded}`).get('v')).toBe(value);
        expect(encoded).toMatch(/^[A-Za-z0-9*\-._%+]*$/);
        if (/^[A-Za-z0-9*\-._]*$/.test(value)) expect(encoded).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('basicAuthorization is ASCII for any id and secret (never throws)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (id, secret) => {
        expect(basicAuthorization(id, secret)).toMatch(/^Basic [A-Za-z0-9+/]*=*$/);
      }),
      { numRuns: 300 },
    );
  });
});
