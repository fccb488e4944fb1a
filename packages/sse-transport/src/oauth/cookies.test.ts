import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { readCookie, safeEqual, serializeCookie } from './cookies.js';

const req = (cookie?: string) =>
  ({ headers: cookie === undefined ? {} : { cookie } }) as IncomingMessage;

describe('cookies', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['mcp_oauth_state=abc', 'abc'],
    ['a=1; mcp_oauth_state=abc; b=2', 'abc'],
    ['xmcp_oauth_state=evil; mcp_oauth_state=good', 'good'],
    ['mcp_oauth_state=first; mcp_oauth_state=second', 'first'],
    ['mcp_oauth_state', undefined],
    [`mcp_oauth_state=${'a'.repeat(9000)}`, undefined], // oversized header ignored
  ])('readCookie(%j) → %j', (header, value) => {
    expect(readCookie(req(header), 'mcp_oauth_state')).toBe(value);
  });

  it('serializes HttpOnly and SameSite=Lax always, Secure on request', () => {
    expect(serializeCookie('n', 'v', { path: '/cb', maxAgeSeconds: 600, secure: true })).toBe(
      'n=v; Path=/cb; Max-Age=600; HttpOnly; SameSite=Lax; Secure',
    );
    expect(serializeCookie('n', '', { path: '/cb', maxAgeSeconds: 0, secure: false })).toBe(
      'n=; Path=/cb; Max-Age=0; HttpOnly; SameSite=Lax',
    );
  });

  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'abcd', false],
    ['', '', true],
  ])('safeEqual(%j, %j) → %s', (a, b, equal) => {
    expect(safeEqual(a, b)).toBe(equal);
  });
});
