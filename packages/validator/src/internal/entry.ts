import { TokenValidationError } from '../errors.js';
import type { AuthInfo, CustomValidatorResult } from '../types.js';
import { type CheckedClaims, type ClaimRules, checkAccessTokenClaims } from './claims.js';

/** How a token was verified. */
export type TokenType = 'jwt' | 'opaque' | 'custom';

/** What the in-process cache holds per token: everything the hot path needs, precomputed. */
export interface CachedAuth {
  readonly authInfo: AuthInfo;
  /** A settled promise of `authInfo`, made on the first cache hit and returned as is after that. */
  promise: Promise<AuthInfo> | undefined;
  /** `exp` in milliseconds: past it the entry is never used, whatever the cache says. */
  readonly validUntilMs: number;
  /** The granted scopes (short lists: `includes` beats building a Set per token). */
  readonly scopes: readonly string[];
  /** Whether the token has every validator-wide required scope. */
  readonly satisfiesDefault: boolean;
  readonly tokenType: TokenType;
  /** The key a JWT was verified with (`alg`, `kid`); undefined for other tokens. */
  readonly key: JwsKeyId | undefined;
}

/** The issuer key a JWT names. */
export interface JwsKeyId {
  readonly alg: string;
  readonly kid: string | undefined;
}

/** Everything {@link acceptClaims} needs, resolved once per validator. */
export interface EntryRules {
  readonly claims: ClaimRules;
  readonly issuer: string;
  readonly resourceUrl: URL;
  readonly requiredScopes: readonly string[];
  readonly clockToleranceSeconds: number;
}

/** No extra AuthInfo fields (the common case: no custom validator). */
const NO_EXTRA: Record<string, unknown> = Object.freeze({});

function invalidResult(what: string): TokenValidationError {
  return new TokenValidationError(
    'ERR_CUSTOM_VALIDATION_FAILED',
    `The custom validator returned ${what}`,
    { reason: 'invalid_result' },
  );
}

/**
 * The last step of every verification (JWT, introspection, custom, shared-store hit): the
 * access-token claim rules, then a custom validator's result applied without ever weakening them
 * (scopes only narrowed, `expiresAt` only earlier), then the frozen cache entry.
 */
export function acceptClaims(
  rules: EntryRules,
  token: string,
  tokenType: TokenType,
  claims: Record<string, unknown>,
  custom: CustomValidatorResult | undefined,
  nowMs: number,
  key?: JwsKeyId,
): CachedAuth {
  const checked = checkAccessTokenClaims(claims, rules.claims, nowMs / 1000, tokenType);
  const extra = custom === undefined ? NO_EXTRA : applyCustomResult(checked, custom, nowMs);
  return buildEntry(rules, token, tokenType, claims, checked, extra, key);
}

/** Narrows `checked` by a custom validator's result; returns its `extra` fields. */
function applyCustomResult(
  checked: CheckedClaims,
  custom: CustomValidatorResult,
  nowMs: number,
): Record<string, unknown> {
  if (custom.scopes !== undefined) {
    if (!Array.isArray(custom.scopes) || custom.scopes.some((s) => typeof s !== 'string')) {
      throw invalidResult('invalid scopes');
    }
    // Verified tokens: narrowing only. Custom tokens: their claims already gave the scopes.
    const allowed = new Set(checked.scopes);
    checked.scopes = custom.scopes.filter((s) => allowed.has(s));
  }
  if (custom.expiresAt !== undefined) {
    if (typeof custom.expiresAt !== 'number' || !Number.isFinite(custom.expiresAt)) {
      throw invalidResult('an invalid expiresAt');
    }
    checked.expiresAt = Math.min(checked.expiresAt, custom.expiresAt);
    if (checked.expiresAt * 1000 <= nowMs) {
      throw new TokenValidationError('ERR_TOKEN_EXPIRED', 'The token has expired', {
        claim: 'exp',
        reason: 'custom_validator',
      });
    }
  }
  if (custom.extra !== undefined && typeof custom.extra === 'object' && custom.extra !== null) {
    return { ...custom.extra };
  }
  return NO_EXTRA;
}

function buildEntry(
  rules: EntryRules,
  token: string,
  tokenType: TokenType,
  claims: Record<string, unknown>,
  checked: CheckedClaims,
  extra: Record<string, unknown>,
  key: JwsKeyId | undefined,
): CachedAuth {
  const authInfo: AuthInfo = {
    token,
    clientId: checked.clientId,
    scopes: checked.scopes,
    expiresAt: checked.expiresAt,
    resource: rules.resourceUrl,
    extra: {
      ...(extra === NO_EXTRA ? undefined : extra),
      subject: checked.subject,
      issuer: rules.issuer,
      tokenType,
      claims,
    },
  };
  // Shared by every request carrying this token: frozen so no handler can alter another's view.
  Object.freeze(claims);
  Object.freeze(authInfo.scopes);
  Object.freeze(authInfo.extra);
  Object.freeze(authInfo);
  return {
    authInfo,
    promise: undefined,
    // The clock tolerance applies to a cached entry exactly as to a fresh check of `exp`.
    validUntilMs: (checked.expiresAt + rules.clockToleranceSeconds) * 1000,
    scopes: checked.scopes,
    satisfiesDefault: rules.requiredScopes.every((s) => checked.scopes.includes(s)),
    tokenType,
    key,
  };
}
