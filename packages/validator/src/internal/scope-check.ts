import { unionScopes } from '@mcp-auth/internal';
import { TokenValidationError } from '../errors.js';
import type { AuthInfo } from '../types.js';
import type { CachedAuth } from './entry.js';

function insufficientScope(required: readonly string[]): TokenValidationError {
  return new TokenValidationError('ERR_INSUFFICIENT_SCOPE', 'The token lacks a required scope', {
    requiredScopes: [...required],
    reason: 'missing_scope',
  });
}

/**
 * The entry's AuthInfo when the token has the validator's required scopes plus `extra`; else
 * `ERR_INSUFFICIENT_SCOPE` listing every scope the request needs.
 */
export function checkScopes(
  entry: CachedAuth,
  defaults: readonly string[],
  extra: readonly string[] | undefined,
): AuthInfo {
  if (extra === undefined || extra.length === 0) {
    if (entry.satisfiesDefault) return entry.authInfo;
    throw insufficientScope(defaults);
  }
  const required = unionScopes(defaults, extra);
  for (const s of required) if (!entry.scopes.includes(s)) throw insufficientScope(required);
  return entry.authInfo;
}

/** The per-call `requiredScopes` option, checked (a `TypeError` naming it). */
export function perCallScopes(
  o: { requiredScopes?: string[] } | undefined,
): readonly string[] | undefined {
  if (o === undefined || o === null) return undefined;
  const r = o.requiredScopes;
  if (r === undefined) return undefined;
  if (!Array.isArray(r) || r.some((s) => typeof s !== 'string' || s === '' || s.includes(' '))) {
    throw new TypeError('"requiredScopes" must be an array of scope strings');
  }
  if (r.includes('offline_access')) {
    throw new TypeError(
      '"requiredScopes" must not contain offline_access (a refresh-token scope, never required by a resource)',
    );
  }
  return r;
}
