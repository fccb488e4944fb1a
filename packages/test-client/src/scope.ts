/**
 * Splits a space-separated scope string into its distinct scopes, in order.
 *
 * @example
 * ```ts
 * parseScope('mcp:read  mcp:write mcp:read'); // ['mcp:read', 'mcp:write']
 * ```
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-1.4.1 (scope syntax)
 */
export function parseScope(scope: string | undefined | null): string[] {
  if (!scope) return [];
  return [...new Set(scope.split(/[ \t]+/).filter((s) => s.length > 0))];
}

/**
 * The union of scope lists, first-seen order, without duplicates: what a client asks for when a
 * 403 `insufficient_scope` names scopes it lacks.
 *
 * @example
 * ```ts
 * unionScopes(['mcp:read'], ['mcp:read', 'mcp:admin']); // ['mcp:read', 'mcp:admin']
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-challenge-handling
 */
export function unionScopes(...lists: (readonly string[] | undefined)[]): string[] {
  const out = new Set<string>();
  for (const list of lists) for (const s of list ?? []) out.add(s);
  return [...out];
}

/** Where the scope of an authorization request came from. */
export type ScopeSource = 'option' | 'challenge' | 'scopes_supported' | 'none';

/**
 * Chooses the scope of an authorization request: the `--scope` option, else the challenge's `scope`,
 * else the protected resource metadata's `scopes_supported`, else none (the parameter is omitted).
 *
 * @example
 * ```ts
 * selectScope({ challenge: 'mcp:read', scopesSupported: ['mcp:read', 'mcp:write'] });
 * // { scopes: ['mcp:read'], source: 'challenge' }
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization (scope selection strategy)
 */
export function selectScope(input: {
  option?: string | undefined;
  challenge?: string | undefined;
  scopesSupported?: readonly string[] | undefined;
}): { scopes: string[]; source: ScopeSource } {
  const fromOption = parseScope(input.option);
  if (fromOption.length > 0) return { scopes: fromOption, source: 'option' };
  const fromChallenge = parseScope(input.challenge);
  if (fromChallenge.length > 0) return { scopes: fromChallenge, source: 'challenge' };
  const supported = (input.scopesSupported ?? []).filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
  if (supported.length > 0) return { scopes: unionScopes(supported), source: 'scopes_supported' };
  return { scopes: [], source: 'none' };
}

/**
 * The `offline_access` rule: never ask for it because a resource server listed it (it is not the
 * resource's scope to give), and ask for it only when the client wants a refresh token and the
 * authorization server lists it in its `scopes_supported`.
 *
 * @example
 * ```ts
 * withOfflineAccess(['mcp:read', 'offline_access'], { wanted: false, asScopesSupported: ['offline_access'] });
 * // ['mcp:read']
 * withOfflineAccess(['mcp:read'], { wanted: true, asScopesSupported: ['openid', 'offline_access'] });
 * // ['mcp:read', 'offline_access']
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization (scope selection strategy)
 * @see https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess
 */
export function withOfflineAccess(
  scopes: readonly string[],
  o: { wanted: boolean; asScopesSupported?: readonly unknown[] | undefined },
): string[] {
  const out = scopes.filter((s) => s !== 'offline_access');
  if (
    o.wanted &&
    Array.isArray(o.asScopesSupported) &&
    o.asScopesSupported.includes('offline_access')
  ) {
    out.push('offline_access');
  }
  return out;
}
