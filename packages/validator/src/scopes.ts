import { TokenValidationError } from './errors.js';

function addSpaceSeparated(out: Set<string>, value: string): void {
  for (const s of value.split(' ')) if (s !== '') out.add(s);
}

function addClaim(out: Set<string>, claims: Readonly<Record<string, unknown>>, name: string): void {
  const value = claims[name];
  if (value === undefined || value === null) return;
  if (typeof value === 'string') {
    addSpaceSeparated(out, value);
    return;
  }
  if (Array.isArray(value) && name !== 'scope') {
    for (const item of value) {
      if (typeof item !== 'string') {
        throw new TokenValidationError(
          'ERR_CLAIM_INVALID',
          `The "${name}" claim must hold strings`,
          {
            claim: name,
            reason: 'invalid',
          },
        );
      }
      if (item !== '') out.add(item);
    }
    return;
  }
  throw new TokenValidationError(
    'ERR_CLAIM_INVALID',
    name === 'scope'
      ? 'The "scope" claim must be a space-separated string'
      : `The "${name}" claim must be a string or an array of strings`,
    { claim: name, reason: 'invalid' },
  );
}

/**
 * The scopes granted by a token: the union of `scope` (a space-separated string, RFC 8693 §4.2 and
 * RFC 9068 §2.2.3), `scp` (an array or a string: Okta, Entra) and the profile's extra claims
 * (`permissions` for Auth0 RBAC, `roles` for Entra app tokens). Order preserved, duplicates removed.
 * A claim of the wrong type is `ERR_CLAIM_INVALID`, not silently ignored.
 *
 * @example
 * ```ts
 * extractScopes({ scope: 'mcp:read mcp:write' }); // ['mcp:read', 'mcp:write']
 * extractScopes({ scp: ['a'], permissions: ['b'] }, ['permissions']); // ['a', 'b']
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2.3
 */
export function extractScopes(
  claims: Readonly<Record<string, unknown>>,
  extraClaims: readonly string[] = [],
): string[] {
  const scope = claims.scope;
  // The common case (RFC 9068: one space-separated `scope`, nothing else): no Set, no copy.
  if (typeof scope === 'string' && claims.scp === undefined && extraClaims.length === 0) {
    const parts = scope.split(' ');
    let clean = true;
    for (let i = 0; i < parts.length && clean; i++) {
      if (parts[i] === '' || parts.indexOf(parts[i]!) !== i) clean = false;
    }
    if (clean) return parts;
  }
  const out = new Set<string>();
  addClaim(out, claims, 'scope');
  addClaim(out, claims, 'scp');
  for (const name of extraClaims) addClaim(out, claims, name);
  return [...out];
}
