/**
 * The two halves every package's error module needs: the frozen list of its codes, made from a
 * `Record<Code, …>` so the compiler proves the list names every code once, and the duck-typed
 * guard (`instanceof` fails between two copies of a package, so the `name` and a known `code`
 * decide).
 */

/** The keys of `codes`, frozen: a package's exported `…_ERROR_CODES`. */
export function codeList<C extends string>(codes: Readonly<Record<C, unknown>>): readonly C[] {
  return Object.freeze(Object.keys(codes) as C[]);
}

/** Whether `value` is an `Error` named `name` whose `code` is one of the keys of `codes`. */
export function isCodedError(
  value: unknown,
  name: string,
  codes: Readonly<Record<string, unknown>>,
): boolean {
  if (!(value instanceof Error) || value.name !== name) return false;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' && Object.hasOwn(codes, code);
}
