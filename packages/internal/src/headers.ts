/**
 * Whether `value` is a Fetch `Headers` (or acts like one), as opposed to a node-style record of
 * header names to values. Duck-typed: a `Headers` from another realm or polyfill counts too.
 *
 * @example
 * isHeaders(new Headers()); // true
 * isHeaders({ authorization: 'Bearer x' }); // false
 */
export function isHeaders(value: unknown): value is Headers {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Headers).get === 'function' &&
    typeof (value as Headers).has === 'function'
  );
}
