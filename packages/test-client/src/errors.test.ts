import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isTestClientError, TEST_CLIENT_ERROR_CODES, TestClientError } from './errors.js';

describe('error codes', () => {
  it('are unique and each is documented in the README table', () => {
    expect(new Set(TEST_CLIENT_ERROR_CODES).size).toBe(TEST_CLIENT_ERROR_CODES.length);
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^\| `(ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...TEST_CLIENT_ERROR_CODES].sort());
  });

  it('isTestClientError narrows by name and code, not by prototype', () => {
    const err = new TestClientError('ERR_TOKEN_EXCHANGE_FAILED', 'x', {
      oauthError: 'invalid_grant',
    });
    expect(isTestClientError(err)).toBe(true);
    expect(isTestClientError({ name: 'TestClientError', code: 'ERR_INTERRUPTED' })).toBe(true);
    expect(isTestClientError(new Error('x'))).toBe(false);
    expect(isTestClientError({ name: 'CacheError', code: 'ERR_CACHE_TIMEOUT' })).toBe(false);
    expect(isTestClientError({ name: 'TestClientError', code: 'ERR_TOKEN_EXPIRED' })).toBe(false);
  });
});
