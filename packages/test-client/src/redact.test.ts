import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactSecrets, redactToken } from './redact.js';

describe('redactToken', () => {
  it.each([
    ['eyJhbGciOiJSUzI1NiJ9.payload.signature', 'eyJh…ture'],
    ['abcdefghijklm', 'abcd…jklm'],
    ['abcdefghijkl', '************'],
    ['abc', '****'],
    ['', '****'],
  ])('%s → %s', (input, expected) => {
    expect(redactToken(input)).toBe(expected);
  });

  it('never contains the middle of a long secret', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 13, maxLength: 200 }), (secret) => {
        const out = redactToken(secret);
        expect(out).toBe(`${secret.slice(0, 4)}…${secret.slice(-4)}`);
        expect(out.length).toBeLessThan(secret.length);
      }),
    );
  });
});

describe('redactSecrets', () => {
  const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXZhbHVl';
  it('replaces raw and URL-encoded occurrences', () => {
    const secret = 'sec+ret/with=chars&more';
    const text = `Bearer ${token} and ${encodeURIComponent(secret)} and ${secret}`;
    const out = redactSecrets(text, [token, secret]);
    expect(out).not.toContain(token);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(encodeURIComponent(secret));
    expect(out).toBe('Bearer eyJh…bHVl and sec+…more and sec+…more');
  });

  it('redacts the longer secret first when one contains another', () => {
    const outer = 'AAAAinnerSECRETvalueZZZZ';
    const inner = 'innerSECRETvalue';
    const out = redactSecrets(`x ${outer} y ${inner}`, [inner, outer]);
    expect(out).toBe(`x AAAA…ZZZZ y inne…alue`);
  });
});
