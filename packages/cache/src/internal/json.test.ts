import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertJsonValue } from './json.js';

function jsonEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b; // 0 === -0
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) =>
        jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
      )
    );
  }
  return a === b;
}

describe('assertJsonValue', () => {
  it.each([
    null,
    true,
    0,
    -1.5,
    'text',
    [],
    [1, 'a', null, { b: [true] }],
    { a: 1, nested: { list: [1, 2], s: 's' } },
    Object.assign(Object.create(null), { a: 1 }),
    { skipped: undefined, kept: 1 },
  ])('accepts %j', (value) => {
    expect(() => assertJsonValue(value)).not.toThrow();
  });

  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  let deep: unknown = 1;
  for (let i = 0; i < 300; i++) deep = [deep];

  it.each([
    [undefined, 'value must be JSON-serialisable: got a undefined'],
    [() => 1, 'value must be JSON-serialisable: got a function'],
    [Symbol('s'), 'value must be JSON-serialisable: got a symbol'],
    [10n, 'value must be JSON-serialisable: got a bigint'],
    [Number.NaN, 'value must be JSON-serialisable: NaN is not a finite number'],
    [Number.POSITIVE_INFINITY, 'value must be JSON-serialisable: Infinity is not a finite number'],
    [new Date(0), 'value must be JSON-serialisable: got a Date (only plain objects and arrays)'],
    [new Map(), 'value must be JSON-serialisable: got a Map (only plain objects and arrays)'],
    [
      new URL('https://x/'),
      'value must be JSON-serialisable: got a URL (only plain objects and arrays)',
    ],
    [{ a: { b: Number.NaN } }, 'value.a.b must be JSON-serialisable: NaN is not a finite number'],
    [
      [1, undefined],
      'value[1] must be JSON-serialisable: arrays must not contain undefined or holes',
    ],
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
    [[1, , 3], 'value[1] must be JSON-serialisable: arrays must not contain undefined or holes'],
    [{ [Symbol('k')]: 1 }, 'value must be JSON-serialisable: symbol keys are not allowed'],
    [cyclic, 'value.self must be JSON-serialisable: it contains a cycle'],
    [deep, /nested deeper than 256/],
  ])('rejects %s with a TypeError', (value, message) => {
    expect(() => assertJsonValue(value)).toThrow(TypeError);
    expect(() => assertJsonValue(value)).toThrow(message);
  });

  it('accepts a value iff it round-trips through JSON unchanged (fast-check)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assertJsonValue(value);
        // -0 is the one number JSON changes (to 0), harmlessly: equal modulo -0
        expect(jsonEqual(JSON.parse(JSON.stringify(value)), value)).toBe(true);
      }),
    );
  });

  it('allows a shared (non-cyclic) sub-object twice', () => {
    const shared = { a: 1 };
    expect(() => assertJsonValue({ x: shared, y: shared })).not.toThrow();
  });
});
