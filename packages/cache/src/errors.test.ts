import { describe, expect, it } from 'vitest';
import { CACHE_ERROR_CODES, CacheError, isCacheError } from './errors.js';

describe('isCacheError', () => {
  it.each([
    [
      'a CacheError',
      new CacheError('ERR_CACHE_UNAVAILABLE', 'get', 'The cache store is unavailable'),
      true,
    ],
    [
      'one from another copy of the package (same name and a code)',
      Object.assign(new Error('x'), { name: 'CacheError', code: 'ERR_CACHE_CLOSED' }),
      true,
    ],
    ['a plain Error', new Error('x'), false],
    [
      'an error named CacheError without a code',
      Object.assign(new Error('x'), { name: 'CacheError' }),
      false,
    ],
    [
      'an error named CacheError with a code it does not have',
      Object.assign(new Error('x'), { name: 'CacheError', code: 'ERR_CACHE_X' }),
      false,
    ],
    ['an object that only looks like one', { name: 'CacheError', code: 'ERR_CACHE_CLOSED' }, false],
    ['undefined', undefined, false],
  ])('%s → %s', (_name, value, expected) => {
    expect(isCacheError(value)).toBe(expected);
  });

  it('CACHE_ERROR_CODES lists the five codes, frozen', () => {
    expect(CACHE_ERROR_CODES).toEqual([
      'ERR_CACHE_TIMEOUT',
      'ERR_CACHE_UNAVAILABLE',
      'ERR_CACHE_COMMAND_FAILED',
      'ERR_CACHE_INVALID_VALUE',
      'ERR_CACHE_CLOSED',
    ]);
    expect(Object.isFrozen(CACHE_ERROR_CODES)).toBe(true);
  });
});
