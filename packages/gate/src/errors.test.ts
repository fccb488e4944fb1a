import { describe, expect, it } from 'vitest';
import { BODY_READ_ERROR_CODES, BodyReadError, isBodyReadError } from './errors.js';

describe('BodyReadError', () => {
  it('BODY_READ_ERROR_CODES lists the three codes, frozen', () => {
    expect(BODY_READ_ERROR_CODES).toEqual([
      'ERR_BODY_TOO_LARGE',
      'ERR_BODY_TIMEOUT',
      'ERR_BODY_ABORTED',
    ]);
    expect(Object.isFrozen(BODY_READ_ERROR_CODES)).toBe(true);
  });

  it.each([
    ['a BodyReadError', new BodyReadError('ERR_BODY_TIMEOUT', 'x'), true],
    [
      'one from another copy of the package',
      Object.assign(new Error('x'), { name: 'BodyReadError', code: 'ERR_BODY_TOO_LARGE' }),
      true,
    ],
    [
      'an error with its name and an unknown code',
      Object.assign(new Error('x'), { name: 'BodyReadError', code: 'ERR_BODY_X' }),
      false,
    ],
    [
      'an error with its name and no code',
      Object.assign(new Error('x'), { name: 'BodyReadError' }),
      false,
    ],
    ['a plain object', { name: 'BodyReadError', code: 'ERR_BODY_ABORTED' }, false],
    ['null', null, false],
  ])('isBodyReadError(%s) is %s', (_name, value, expected) => {
    expect(isBodyReadError(value)).toBe(expected);
  });
});
