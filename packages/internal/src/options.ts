/**
 * Option checks shared by the published packages. One argument order everywhere:
 * `check(value, option, rule)`. A failed check throws a `TypeError` naming the option (a
 * programmer's mistake, caught at construction time); each message keeps the wording its package
 * has always used, so `rule` says which (`showValue`, the unit, the lower bound).
 */

/** How a number check treats `undefined` and what its message ends with. */
interface CommonRule {
  /** Returned for `undefined`. Without it, `undefined` fails like any other wrong value. */
  fallback?: number;
  /** End the message with `, got <value>` (the value rendered by {@link show}). */
  showValue?: boolean;
}

/** Rule of {@link positiveInteger}. */
export interface IntegerRule extends CommonRule {
  /** Accept 0 too: the message then says "a non-negative integer". */
  allowZero?: boolean;
  /** Named in parentheses after "integer": "a positive integer (milliseconds)". */
  unit?: string;
}

/**
 * A safe integer >= 1 (>= 0 with `allowZero`).
 *
 * @example
 * positiveInteger(options.maxEntries, 'maxEntries', { fallback: 10_000 }); // 10000 when undefined
 * positiveInteger(0, 'maxEntries'); // throws TypeError: "maxEntries" must be a positive integer
 */
export function positiveInteger(value: unknown, option: string, rule: IntegerRule = {}): number {
  if (value === undefined && rule.fallback !== undefined) return rule.fallback;
  const min = rule.allowZero === true ? 0 : 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const kind = rule.allowZero === true ? 'non-negative' : 'positive';
    const unit = rule.unit === undefined ? '' : ` (${rule.unit})`;
    throw fail(option, `a ${kind} integer${unit}`, value, rule);
  }
  return value;
}

/** Rule of {@link positiveNumber}. */
export interface PositiveNumberRule extends CommonRule {
  /** Named in the message: "a finite number of seconds > 0". */
  unit: 'seconds' | 'milliseconds';
}

/**
 * A finite number > 0, fractions allowed (a duration).
 *
 * @example
 * positiveNumber(0, 'ttlSeconds', { unit: 'seconds', showValue: true });
 * // throws TypeError: "ttlSeconds" must be a finite number of seconds > 0, got 0
 */
export function positiveNumber(value: unknown, option: string, rule: PositiveNumberRule): number {
  if (value === undefined && rule.fallback !== undefined) return rule.fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw fail(option, `a finite number of ${rule.unit} > 0`, value, rule);
  }
  return value;
}

/** Rule of {@link numberAtLeast}. */
export interface AtLeastRule extends CommonRule {
  /** The smallest value accepted. Default 0. */
  min?: number;
  /** Whole numbers only: the message then says "a whole number". */
  integer?: boolean;
}

/**
 * A finite number >= `min` (a whole one with `integer`).
 *
 * @example
 * numberAtLeast(undefined, 'jwt.clockToleranceSeconds', { fallback: 30 }); // 30
 * numberAtLeast(8, 'maxTokenLength', { min: 16, integer: true });
 * // throws TypeError: "maxTokenLength" must be a whole number >= 16
 */
export function numberAtLeast(value: unknown, option: string, rule: AtLeastRule = {}): number {
  if (value === undefined && rule.fallback !== undefined) return rule.fallback;
  const min = rule.min ?? 0;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    (rule.integer === true && !Number.isInteger(value))
  ) {
    throw fail(option, `a ${rule.integer === true ? 'whole ' : ''}number >= ${min}`, value, rule);
  }
  return value;
}

/**
 * `undefined`, or a function.
 *
 * @example
 * optionalFunction<typeof fetch>(options.fetch, 'fetch'); // throws unless undefined or a function
 */
export function optionalFunction<T>(value: unknown, option: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new TypeError(`"${option}" must be a function`);
  return value as T;
}

/**
 * `undefined`, or a boolean.
 *
 * @example
 * optionalBoolean('yes', 'allowInsecureHttpForLoopback'); // throws TypeError
 */
export function optionalBoolean(value: unknown, option: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new TypeError(`"${option}" must be a boolean`);
  return value;
}

/**
 * A URL path: starts with `/`, no whitespace, query or fragment.
 *
 * @example
 * urlPath('/mcp', 'endpoint'); // '/mcp'
 * urlPath('mcp', 'endpoint'); // throws TypeError: "endpoint" must be a path starting with "/" (no query, no fragment)
 */
export function urlPath(value: unknown, option: string): string {
  if (typeof value !== 'string' || !/^\/[^\s?#]*$/.test(value)) {
    throw new TypeError(`"${option}" must be a path starting with "/" (no query, no fragment)`);
  }
  return value;
}

/**
 * Whether `value` is an object and not an array (`null` is not).
 *
 * @example
 * isPlainObject({}); // true
 * isPlainObject([]); // false
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An options object, `{}` for `undefined`.
 *
 * @example
 * optionalObject(options.jwt, 'jwt'); // {} when undefined; throws for [] or 'x'
 */
export function optionalObject(value: unknown, option: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new TypeError(`"${option}" must be an object`);
  return value;
}

/**
 * An array of non-empty strings, each kept once (`[]` for `undefined`). With `scopes`, strings
 * with whitespace, `"` or `\` are refused too.
 *
 * @example
 * stringList(['a', 'b', 'a'], 'allowedClientIds'); // ['a', 'b']
 * stringList(['a b'], 'requiredScopes', { scopes: true });
 * // throws TypeError: "requiredScopes" must be an array of non-empty strings without spaces or quotes
 */
export function stringList(
  value: unknown,
  option: string,
  rule: { scopes?: boolean } = {},
): string[] {
  if (value === undefined) return [];
  const scopes = rule.scopes === true;
  if (
    !Array.isArray(value) ||
    value.some((s) => typeof s !== 'string' || s === '' || (scopes && /[\s"\\]/.test(s)))
  ) {
    const more = scopes ? ' without spaces or quotes' : '';
    throw new TypeError(`"${option}" must be an array of non-empty strings${more}`);
  }
  return [...new Set(value as string[])];
}

/**
 * A value as a message may show it: never more than 40 characters of a string (an option might
 * hold a secret), only the type of an object or function.
 *
 * @example
 * show('10'); // '"10"'
 * show({}); // 'an object'
 */
export function show(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'undefined') {
    return String(value);
  }
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function fail(option: string, what: string, value: unknown, rule: CommonRule): TypeError {
  const got = rule.showValue === true ? `, got ${show(value)}` : '';
  return new TypeError(`"${option}" must be ${what}${got}`);
}
