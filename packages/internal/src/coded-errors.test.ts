import { describe, expect, it } from 'vitest';
import { codeList, isCodedError } from './coded-errors.js';

const CODES = { ERR_A: true, ERR_B: true } as const;

function coded(name: string, code: unknown): Error {
  const err = new Error('x');
  err.name = name;
  (err as { code?: unknown }).code = code;
  return err;
}

describe('codeList', () => {
  it('lists the keys in order, frozen', () => {
    const list = codeList(CODES);
    expect(list).toEqual(['ERR_A', 'ERR_B']);
    expect(Object.isFrozen(list)).toBe(true);
  });
});

describe('isCodedError', () => {
  it('accepts an Error with the name and a listed code', () => {
    expect(isCodedError(coded('FooError', 'ERR_B'), 'FooError', CODES)).toBe(true);
  });

  it.each([
    ['another name', coded('BarError', 'ERR_A')],
    ['an unlisted code', coded('FooError', 'ERR_C')],
    ['a code inherited from the prototype', coded('FooError', 'toString')],
    ['a non-string code', coded('FooError', 1)],
    ['no code', coded('FooError', undefined)],
    ['a plain object', { name: 'FooError', code: 'ERR_A' }],
    ['null', null],
    ['a string', 'ERR_A'],
  ])('refuses %s', (_name, value) => {
    expect(isCodedError(value, 'FooError', CODES)).toBe(false);
  });
});
