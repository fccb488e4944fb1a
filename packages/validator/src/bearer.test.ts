import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTokenSyntax, extractBearerToken } from './bearer.js';
import { memoryDpopReplayStore, redisDpopReplayStore } from './dpop/replay-store.js';
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

/**
 * The regex-based parser this package shipped first, kept here as an oracle: the one-pass scanner
 * must agree with it on every input, token or (code, reason).
 */
function oracle(raw: string, maxLength = 16_384): string | [string, string] {
  const fail = (code: string, reason: string): [string, string] => [code, reason];
  if (raw.length > maxLength + 64) return fail('ERR_TOKEN_TOO_LARGE', 'too_large');
  const value = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  if (value === '') return fail('ERR_MISSING_TOKEN', 'empty_header');
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    if (/^bearer[\s,]/i.test(scheme)) return fail('ERR_MALFORMED_HEADER', 'bad_separator');
    return fail('ERR_MISSING_TOKEN', 'unsupported_scheme');
  }
  const rest = space === -1 ? '' : value.slice(space).replace(/^ +/, '');
  if (rest === '') return fail('ERR_MALFORMED_HEADER', 'missing_token');
  if (/[ \t]/.test(rest)) return fail('ERR_MALFORMED_HEADER', 'multiple_tokens');
  if (rest.length > maxLength) return fail('ERR_TOKEN_TOO_LARGE', 'too_large');
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(rest)) {
    return fail('ERR_MALFORMED_HEADER', 'invalid_characters');
  }
  return rest;
}

function outcome(raw: string, maxLength?: number): string | [string, string] {
  try {
    return extractBearerToken({ authorization: raw }, maxLength ? { maxLength } : {});
  } catch (err) {
    const e = err as TokenValidationError;
    return [e.code, e.reason as string];
  }
}

describe('extractBearerToken: the one-pass scanner agrees with the regex oracle', () => {
  // Headers built from the pieces that matter, so the interesting boundaries are hit often.
  const piece = fc.constantFrom(
    'Bearer',
    'bearer',
    'BEARER',
    'Bearer\u0130',
    'Basic',
    'Bearerx',
    ' ',
    '  ',
    '\t',
    '\n',
    '\u00a0',
    ',',
    '=',
    '==',
    'abc',
    'a.b.c',
    '-._~+/',
    '\u212a',
    'é',
    '\u0000',
    '"',
  );
  const header = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));

  it.each([
    'Bearer abc',
    '\tBearer abc\t',
    'Bearer  abc ',
    'Bearer\tabc',
    'Bearer,abc',
    'Bearer abc def',
    'Bearer abc\tdef',
    'Bearer =abc',
    'Bearer abc=d',
    'Bearer ==',
    'Bearer abc\u00a0',
    'Bearer',
    'Bearer ',
    ' Bearer\t',
    'Bearerabc',
    'Bearer\u0130 abc',
    'B\u0130arer abc',
    'Basic abc',
    '',
    ' \t ',
    `Bearer ${'a'.repeat(16)}`,
    `Bearer ${'a'.repeat(17)}`,
  ])('%j', (raw) => {
    expect(outcome(raw, 16)).toEqual(oracle(raw, 16));
    expect(outcome(raw)).toEqual(oracle(raw));
  });

  it('on generated headers (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(header, fc.string({ maxLength: 40 })),
        fc.integer({ min: 1, max: 40 }),
        (raw, max) => {
          expect(outcome(raw, max)).toEqual(oracle(raw, max));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('finds the Authorization header among raw headers of any case, ignoring look-alikes', () => {
    const rawHeaders = [
      'Host',
      'x',
      'Authorizations',
      'Bearer nope',
      'X-Authorization',
      'Bearer nope',
      'aUtHoRiZaTiOn',
      'Bearer yes',
    ];
    expect(extractBearerToken({ headers: {}, rawHeaders })).toBe('yes');
    expect(() =>
      extractBearerToken({ headers: {}, rawHeaders: [...rawHeaders, 'AUTHORIZATION', 'Bearer x'] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED_HEADER' }));
  });
});

describe('checkTokenSyntax', () => {
  it.each(['abc', 'a.b.c', 'abc==', '-._~+/'])('%j is a token', (token) => {
    expect(checkTokenSyntax(token, 16)).toBe(token);
  });

  it.each([
    [undefined, 'ERR_TOKEN_MALFORMED'],
    [42, 'ERR_TOKEN_MALFORMED'],
    ['', 'ERR_TOKEN_MALFORMED'],
    ['a b', 'ERR_TOKEN_MALFORMED'],
    ['x'.repeat(17), 'ERR_TOKEN_TOO_LARGE'],
    ['=abc', 'ERR_TOKEN_MALFORMED'],
    ['ab=c', 'ERR_TOKEN_MALFORMED'],
    ['abc\u00e9', 'ERR_TOKEN_MALFORMED'],
    ['abc\n', 'ERR_TOKEN_MALFORMED'],
  ])('%j → %s', (token, code) => {
    expect(() => checkTokenSyntax(token, 16)).toThrow(expect.objectContaining({ code }));
  });
});

describe('option mistakes are TypeErrors naming the option', () => {
  it.each([0, -1, 1.5, Number.NaN, 2 ** 53, '16'])('maxLength %p', (maxLength) => {
    expect(() =>
      extractBearerToken({ authorization: 'Bearer x' }, { maxLength: maxLength as number }),
    ).toThrow(new TypeError('"maxLength" must be a positive integer'));
  });

  it('the DPoP replay stores check their sizes and timeouts', () => {
    expect(() => memoryDpopReplayStore({ maxEntries: 0 })).toThrow(
      new TypeError('"maxEntries" must be a positive integer'),
    );
    const client = { sendCommand: async () => null } as never;
    expect(() => redisDpopReplayStore({ client, commandTimeoutMs: 0.5 })).toThrow(
      new TypeError('"commandTimeoutMs" must be a positive integer'),
    );
    expect(memoryDpopReplayStore({ maxEntries: 1 })).toBeTypeOf('object');
  });
});
