import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTokenSyntax, extractBearerToken } from './bearer.js';
import { TokenValidationError } from './errors.js';

const TOKEN68_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/';
const token68 = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...TOKEN68_CHARS), minLength: 1, maxLength: 200 }),
    fc.string({ unit: fc.constant('='), maxLength: 3 }),
  )
  .map(([a, b]) => a + b);

describe('extractBearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['Bearer   abc', 'abc'],
    ['  Bearer abc  ', 'abc'],
    ['Bearer a.b.c', 'a.b.c'],
    ['Bearer abc==', 'abc=='],
    ['Bearer a-b_c~d+e/f', 'a-b_c~d+e/f'],
  ])('%j → %j', (header, token) => {
    expect(extractBearerToken({ authorization: header })).toBe(token);
    expect(extractBearerToken(new Headers({ authorization: header }))).toBe(token);
    expect(
      extractBearerToken(new Request('http://x/', { headers: { authorization: header } })),
    ).toBe(token);
    expect(
      extractBearerToken({
        headers: { authorization: header },
        rawHeaders: ['Authorization', header],
      }),
    ).toBe(token);
  });

  it('finds the header whatever its case in a plain record', () => {
    expect(extractBearerToken({ AUTHORIZATION: 'Bearer x' })).toBe('x');
  });

  it('options are checked', () => {
    expect(() => extractBearerToken({}, { maxLength: 0 })).toThrow(TypeError);
    expect(() => extractBearerToken(null as never)).toThrow(TypeError);
  });

  it('every token68 token round-trips (property)', () => {
    fc.assert(
      fc.property(token68, fc.constantFrom('Bearer', 'bearer', 'BeArEr'), (t, scheme) => {
        expect(extractBearerToken({ authorization: `${scheme} ${t}` })).toBe(t);
      }),
    );
  });

  it('any header value either yields a token68 token or throws a TokenValidationError (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (value) => {
        try {
          const t = extractBearerToken({ authorization: value });
          expect(t).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
        } catch (err) {
          expect(err).toBeInstanceOf(TokenValidationError);
          expect([400, 401]).toContain((err as TokenValidationError).status);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a huge header is refused by size before any scanning', () => {
    const started = performance.now();
    expect(() => extractBearerToken({ authorization: `Bearer ${'a '.repeat(5_000_000)}` })).toThrow(
      expect.objectContaining({ code: 'ERR_TOKEN_TOO_LARGE' }),
    );
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('checkTokenSyntax', () => {
  it.each([
    [undefined, 'ERR_TOKEN_MALFORMED'],
    [42, 'ERR_TOKEN_MALFORMED'],
    ['', 'ERR_TOKEN_MALFORMED'],
    ['a b', 'ERR_TOKEN_MALFORMED'],
    ['x'.repeat(17), 'ERR_TOKEN_TOO_LARGE'],
  ])('%j → %s', (token, code) => {
    expect(() => checkTokenSyntax(token, 16)).toThrow(expect.objectContaining({ code }));
  });
});
