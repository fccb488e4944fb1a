import { TokenValidationError, type TokenValidationErrorCode } from '../errors.js';
import type { CachedAuth } from './entry.js';

/** Rejections that are a property of the token itself: safe to remember briefly. */
const CACHEABLE_REJECTIONS: ReadonlySet<TokenValidationErrorCode> = new Set([
  'ERR_TOKEN_MALFORMED',
  'ERR_ALG_NOT_ALLOWED',
  'ERR_SIGNATURE_INVALID',
  'ERR_CRIT_UNSUPPORTED',
  'ERR_TYP_INVALID',
  'ERR_NOT_ACCESS_TOKEN',
  'ERR_ISSUER_MISMATCH',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_TOO_OLD',
  'ERR_CLAIM_INVALID',
  'ERR_AUDIENCE_MISMATCH',
  'ERR_CLIENT_NOT_ALLOWED',
  'ERR_TOKEN_INACTIVE',
  'ERR_CUSTOM_VALIDATION_FAILED',
  'ERR_KEY_NOT_FOUND',
]);

/** How long results are remembered in the in-process cache. */
export interface LoadPolicy {
  /** Longest life of a positive entry. */
  ttlSeconds: number;
  /** Life of a remembered rejection; 0: none. */
  negativeTtlSeconds: number;
  /** An unknown `kid` may become known at the next refetch: remembered at most this long. */
  unknownKeyTtlSeconds: number;
}

/** A verified entry as a cache load result: it lives until `exp` (plus tolerance) or the TTL. */
export function positiveResult(entry: CachedAuth, policy: LoadPolicy, nowMs: number) {
  return {
    value: entry,
    expiresAt: Math.min(entry.validUntilMs / 1000, nowMs / 1000 + policy.ttlSeconds),
  };
}

/** A rejection as a cache load result when it is a property of the token; rethrown otherwise. */
export function negativeResult(
  err: unknown,
  policy: LoadPolicy,
): { error: unknown; ttlSeconds: number } {
  if (err instanceof TokenValidationError && CACHEABLE_REJECTIONS.has(err.code)) {
    const ttlSeconds =
      err.code === 'ERR_KEY_NOT_FOUND'
        ? Math.min(policy.negativeTtlSeconds, policy.unknownKeyTtlSeconds)
        : policy.negativeTtlSeconds;
    if (ttlSeconds > 0) return { error: err, ttlSeconds };
  }
  throw err;
}
