/**
 * The cache's option checks. The shared ones come from `@mcp-auth/internal`, called with the
 * rules below: the cache's messages end with the value it got (`, got 0`).
 */
import { type IntegerRule, type PositiveNumberRule, show } from '@mcp-auth/internal';

/** A count (`maxEntries`): a positive integer. */
export const COUNT: IntegerRule = { showValue: true };
/** A duration in seconds > 0. */
export const SECONDS: PositiveNumberRule = { unit: 'seconds', showValue: true };
/** A duration in milliseconds > 0. */
export const MILLISECONDS: PositiveNumberRule = { unit: 'milliseconds', showValue: true };

/** Seconds since the epoch beyond this are almost certainly milliseconds (year 5138). */
const MAX_EPOCH_SECONDS = 1e11;

export function epochSeconds(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(
      `"${option}" must be a finite number of seconds since the epoch, got ${show(value)}`,
    );
  }
  if (value > MAX_EPOCH_SECONDS) {
    throw new TypeError(
      `"${option}" must be in seconds since the epoch (like a JWT "exp"), got ${value}, which looks like milliseconds`,
    );
  }
  return value;
}

/** The `TypeError` for a key that is not a non-empty string, or undefined for a good key. */
export function keyError(key: unknown): TypeError | undefined {
  if (typeof key === 'string' && key.length > 0) return undefined;
  return new TypeError(`"key" must be a non-empty string, got ${show(key)}`);
}

export function cacheKey(key: unknown): string {
  const err = keyError(key);
  if (err !== undefined) throw err;
  return key as string;
}
