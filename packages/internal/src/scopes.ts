// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E (printable ASCII except space, " and \).
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Whether `value` is one OAuth scope token.
 *
 * @example
 * isScopeToken('mcp:read'); // true
 * isScopeToken('a b'); // false
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}

/**
 * Every scope of the lists, each once, in the order first seen. `undefined` lists are skipped.
 *
 * @example
 * unionScopes(['mcp:read'], undefined, ['mcp:write', 'mcp:read']); // ['mcp:read', 'mcp:write']
 */
export function unionScopes(...lists: readonly (readonly string[] | undefined)[]): string[] {
  const out = new Set<string>();
  for (const list of lists) for (const s of list ?? []) out.add(s);
  return [...out];
}
