const MAX_DEPTH = 256;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object';
  }
  return `a ${typeof value}`;
}

/**
 * Throws a `TypeError` unless `value` survives `JSON.stringify` + `JSON.parse` unchanged: `null`,
 * booleans, strings, finite numbers, dense arrays of those, and plain objects (prototype
 * `Object.prototype` or `null`). Object properties whose value is `undefined` are allowed (JSON
 * drops them, and reading them back gives `undefined` again). Everything else would be silently
 * changed by JSON (a `Date` becomes a string, a `Map` becomes `{}`, `NaN` becomes `null`) or make
 * `JSON.stringify` throw (cycles, `bigint`), so it is rejected at `set` rather than corrupted.
 */
export function assertJsonValue(value: unknown, what = 'value'): void {
  check(value, what, 0, new Set());
}

function check(value: unknown, path: string, depth: number, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (Number.isFinite(value)) return;
      throw new TypeError(
        `${path} must be JSON-serialisable: ${String(value)} is not a finite number`,
      );
    case 'object': {
      if (value === null) return;
      if (depth >= MAX_DEPTH) {
        throw new TypeError(`${path} must be JSON-serialisable: nested deeper than ${MAX_DEPTH}`);
      }
      if (ancestors.has(value)) {
        throw new TypeError(`${path} must be JSON-serialisable: it contains a cycle`);
      }
      ancestors.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || value[i] === undefined) {
            throw new TypeError(
              `${path}[${i}] must be JSON-serialisable: arrays must not contain undefined or holes`,
            );
          }
          check(value[i], `${path}[${i}]`, depth + 1, ancestors);
        }
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          throw new TypeError(
            `${path} must be JSON-serialisable: got ${describe(value)} (only plain objects and arrays)`,
          );
        }
        if (Object.getOwnPropertySymbols(value).length > 0) {
          throw new TypeError(`${path} must be JSON-serialisable: symbol keys are not allowed`);
        }
        for (const key of Object.keys(value)) {
          const child = (value as Record<string, unknown>)[key];
          if (child === undefined) continue;
          check(child, `${path}.${key}`, depth + 1, ancestors);
        }
      }
      ancestors.delete(value);
      return;
    }
    default:
      throw new TypeError(`${path} must be JSON-serialisable: got ${describe(value)}`);
  }
}
