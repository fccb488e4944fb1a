import { describe, expect, it } from 'vitest';
import {
  isPlainObject,
  numberAtLeast,
  optionalBoolean,
  optionalFunction,
  optionalObject,
  positiveInteger,
  positiveNumber,
  show,
  stringList,
  urlPath,
} from './options.js';

describe('positiveInteger', () => {
  it.each([
    [1, {}, 1],
    [9_007_199_254_740_991, {}, 9_007_199_254_740_991],
    [undefined, { fallback: 7 }, 7],
    [0, { allowZero: true }, 0],
  ])('accepts %s with %j', (value, rule, expected) => {
    expect(positiveInteger(value, 'n', rule)).toBe(expected);
  });

  it.each([
    [0, {}, '"n" must be a positive integer'],
    [1.5, {}, '"n" must be a positive integer'],
    [2 ** 53, {}, '"n" must be a positive integer'],
    ['3', {}, '"n" must be a positive integer'],
    [undefined, {}, '"n" must be a positive integer'],
    [-1, { allowZero: true }, '"n" must be a non-negative integer'],
    [0, { unit: 'milliseconds' }, '"n" must be a positive integer (milliseconds)'],
    [Number.NaN, { showValue: true }, '"n" must be a positive integer, got NaN'],
    ['10', { showValue: true }, '"n" must be a positive integer, got "10"'],
  ])('refuses %s with %j', (value, rule, message) => {
    expect(() => positiveInteger(value, 'n', rule)).toThrow(new TypeError(message));
  });
});

describe('positiveNumber', () => {
  it('accepts fractions and applies the fallback', () => {
    expect(positiveNumber(0.5, 't', { unit: 'seconds' })).toBe(0.5);
    expect(positiveNumber(undefined, 't', { unit: 'seconds', fallback: 3 })).toBe(3);
  });

  it.each([
    [0, 'seconds', '"t" must be a finite number of seconds > 0, got 0'],
    [
      Number.POSITIVE_INFINITY,
      'seconds',
      '"t" must be a finite number of seconds > 0, got Infinity',
    ],
    [-1, 'milliseconds', '"t" must be a finite number of milliseconds > 0, got -1'],
  ] as const)('refuses %s (%s)', (value, unit, message) => {
    expect(() => positiveNumber(value, 't', { unit, showValue: true })).toThrow(
      new TypeError(message),
    );
  });
});

describe('numberAtLeast', () => {
  it.each([
    [0, {}, 0],
    [0.5, {}, 0.5],
    [undefined, { fallback: 30 }, 30],
    [16, { min: 16, integer: true }, 16],
  ])('accepts %s with %j', (value, rule, expected) => {
    expect(numberAtLeast(value, 'n', rule)).toBe(expected);
  });

  it.each([
    [-1, {}, '"n" must be a number >= 0'],
    [Number.NaN, { min: 1 }, '"n" must be a number >= 1'],
    [15, { min: 16, integer: true }, '"n" must be a whole number >= 16'],
    [16.5, { min: 16, integer: true }, '"n" must be a whole number >= 16'],
  ])('refuses %s with %j', (value, rule, message) => {
    expect(() => numberAtLeast(value, 'n', rule)).toThrow(new TypeError(message));
  });
});

describe('optionalFunction, optionalBoolean, path', () => {
  it('pass undefined and the right type through', () => {
    const f = () => 1;
    expect(optionalFunction(f, 'f')).toBe(f);
    expect(optionalFunction(undefined, 'f')).toBeUndefined();
    expect(optionalBoolean(false, 'b')).toBe(false);
    expect(optionalBoolean(undefined, 'b')).toBeUndefined();
    expect(urlPath('/a/b', 'p')).toBe('/a/b');
  });

  it('refuse anything else, naming the option', () => {
    expect(() => optionalFunction('x', 'fetch')).toThrow(
      new TypeError('"fetch" must be a function'),
    );
    expect(() => optionalBoolean(1, 'flag')).toThrow(new TypeError('"flag" must be a boolean'));
    for (const bad of ['mcp', '/a?b', '/a#b', '/a b', 5]) {
      expect(() => urlPath(bad, 'endpoint')).toThrow(
        new TypeError('"endpoint" must be a path starting with "/" (no query, no fragment)'),
      );
    }
  });
});

describe('show', () => {
  it.each([
    ['abc', '"abc"'],
    ['x'.repeat(41), 'a long string'],
    [1.5, '1.5'],
    [true, 'true'],
    [undefined, 'undefined'],
    [null, 'null'],
    [{}, 'an object'],
    [[], 'an object'],
    [() => 1, 'a function'],
    [10n, 'a bigint'],
  ])('%s -> %s', (value, expected) => {
    expect(show(value)).toBe(expected);
  });
});

describe('isPlainObject, optionalObject', () => {
  it('tell objects from arrays, null and primitives', () => {
    expect([{}, [], null, 'x'].map(isPlainObject)).toEqual([true, false, false, false]);
    expect(optionalObject(undefined, 'jwt')).toEqual({});
    const o = { a: 1 };
    expect(optionalObject(o, 'jwt')).toBe(o);
    expect(() => optionalObject([], 'jwt')).toThrow(new TypeError('"jwt" must be an object'));
  });
});

describe('stringList', () => {
  it('keeps each string once, [] for undefined', () => {
    expect(stringList(['a', 'b', 'a'], 'ids')).toEqual(['a', 'b']);
    expect(stringList(undefined, 'ids')).toEqual([]);
    expect(stringList(['mcp:read', 'é'], 's', { scopes: true })).toEqual(['mcp:read', 'é']);
  });

  it.each([
    ['x', {}, '"o" must be an array of non-empty strings'],
    [[''], {}, '"o" must be an array of non-empty strings'],
    [[1], {}, '"o" must be an array of non-empty strings'],
    [
      ['a b'],
      { scopes: true },
      '"o" must be an array of non-empty strings without spaces or quotes',
    ],
    [
      ['a"b'],
      { scopes: true },
      '"o" must be an array of non-empty strings without spaces or quotes',
    ],
    [
      ['a\\b'],
      { scopes: true },
      '"o" must be an array of non-empty strings without spaces or quotes',
    ],
  ])('refuses %j with %j', (value, rule, message) => {
    expect(() => stringList(value, 'o', rule)).toThrow(new TypeError(message));
  });
});
