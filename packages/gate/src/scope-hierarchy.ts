import { isScopeToken } from './message-scopes.js';

/** Which scopes a broader scope implies: `{ 'mcp:admin': ['mcp:read', 'mcp:write'] }`. */
export type ScopeHierarchy = Readonly<Record<string, readonly string[]>>;

/** The checker built by {@link createScopeHierarchy}. */
export interface ScopeChecker {
  /** Every scope `granted` holds, directly or implied (transitively). */
  expand(granted: readonly string[]): Set<string>;
  /** The scopes of `needed` that `granted` neither holds nor implies (`[]`: satisfied). */
  missing(granted: readonly string[], needed: readonly string[]): string[];
  /** Whether some scope in the hierarchy implies `scope`. */
  isImplied(scope: string): boolean;
}

/**
 * Builds a scope checker that honours a hierarchy: a broader scope satisfies every scope it implies,
 * transitively (`admin → write → read`); cycles are harmless. Without a hierarchy it is plain set
 * inclusion. Bad input is a `TypeError` naming the option; `offline_access` is refused anywhere
 * in it (it is never a resource's scope).
 *
 * @example
 * ```ts
 * const scopes = createScopeHierarchy({ 'mcp:admin': ['mcp:write'], 'mcp:write': ['mcp:read'] });
 * scopes.missing(['mcp:admin'], ['mcp:read']);   // []
 * scopes.missing(['mcp:read'], ['mcp:write']);   // ['mcp:write']
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization#scope-challenge-handling
 */
export function createScopeHierarchy(
  hierarchy: ScopeHierarchy | undefined,
  option = 'scopeHierarchy',
): ScopeChecker {
  const implies = new Map<string, string[]>();
  if (hierarchy !== undefined) {
    if (hierarchy === null || typeof hierarchy !== 'object' || Array.isArray(hierarchy)) {
      throw new TypeError(`"${option}" must map scopes to arrays of the scopes they imply`);
    }
    for (const [broad, narrow] of Object.entries(hierarchy)) {
      if (!isScopeToken(broad) || !Array.isArray(narrow) || !narrow.every(isScopeToken)) {
        throw new TypeError(`"${option}" must map scopes to arrays of the scopes they imply`);
      }
      if (broad === 'offline_access' || narrow.includes('offline_access')) {
        throw new TypeError(`"${option}" must not contain offline_access`);
      }
      implies.set(broad, [...narrow]);
    }
  }
  // Precompute the closure of every broad scope once: a request then costs set lookups only.
  const closure = new Map<string, Set<string>>();
  for (const broad of implies.keys()) {
    const seen = new Set<string>();
    const stack = [broad];
    while (stack.length > 0) {
      const s = stack.pop()!;
      for (const n of implies.get(s) ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          stack.push(n);
        }
      }
    }
    closure.set(broad, seen);
  }
  const implied = new Set<string>();
  for (const set of closure.values()) for (const s of set) implied.add(s);

  const expand = (granted: readonly string[]): Set<string> => {
    const out = new Set(granted);
    for (const g of granted) for (const s of closure.get(g) ?? []) out.add(s);
    return out;
  };
  return {
    expand,
    missing(granted, needed) {
      if (needed.length === 0) return [];
      if (closure.size === 0) return needed.filter((s) => !granted.includes(s));
      const have = expand(granted);
      return needed.filter((s) => !have.has(s));
    },
    isImplied: (scope) => implied.has(scope),
  };
}
