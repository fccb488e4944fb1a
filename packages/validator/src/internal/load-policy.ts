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

/** Whether `err` is a rejection that is a property of the token itself (safe to remember briefly). */
export function isTokenRejection(err: unknown): err is TokenValidationError {
  return err instanceof TokenValidationError && CACHEABLE_REJECTIONS.has(err.code);
}

/** How long results are remembered in the in-process cache. */
export interface LoadPolicy {
  /** Longest life of a positive entry. */
  ttlSeconds: number;
  /** Longest life of an introspection result (`introspection.cacheMaxSeconds`). */
  opaqueTtlSeconds: number;
  /** Until when the issuer's current keys are fresh (ms): no JWT result outlives them. */
  keysFreshUntilMs: () => number;
  /** Life of a remembered rejection; 0: none. */
  negativeTtlSeconds: number;
  /**
   * An unknown `kid` may become known at the next refetch: its refusal is remembered only until
   * a refetch is allowed again (seconds; 0 or less: not remembered).
   */
  unknownKeyTtlSeconds: () => number;
}

/** Until when (ms) a verified entry may be reused: `exp` (plus tolerance), the TTL, and per type. */
export function entryLifeEndMs(entry: CachedAuth, policy: LoadPolicy, nowMs: number): number {
  let end = Math.min(entry.validUntilMs, nowMs + policy.ttlSeconds * 1000);
  if (entry.tokenType === 'jwt') {
    // A removed key is found out at the next refetch, which only a verification triggers.
    end = Math.min(end, policy.keysFreshUntilMs());
  } else if (entry.tokenType === 'opaque') {
    // Revocation at the authorization server is seen at the next introspection.
    end = Math.min(end, nowMs + policy.opaqueTtlSeconds * 1000);
  }
  return Number.isFinite(end) ? end : nowMs; // keys never fetched: not reusable
}

/** A verified entry as a cache load result (see {@link entryLifeEndMs}). */
export function positiveResult(entry: CachedAuth, policy: LoadPolicy, nowMs: number) {
  return { value: entry, expiresAt: entryLifeEndMs(entry, policy, nowMs) / 1000 };
}

/** A rejection as a cache load result when it is a property of the token; rethrown otherwise. */
export function negativeResult(
  err: unknown,
  policy: LoadPolicy,
): { error: unknown; ttlSeconds: number } {
  if (isTokenRejection(err)) {
    const ttlSeconds =
      err.code === 'ERR_KEY_NOT_FOUND'
        ? Math.min(policy.negativeTtlSeconds, policy.unknownKeyTtlSeconds())
        : policy.negativeTtlSeconds;
    if (ttlSeconds > 0) return { error: err, ttlSeconds };
  }
  throw err;
}
