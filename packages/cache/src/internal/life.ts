import { positiveNumber } from '@mcp-auth/internal';
import { epochSeconds, SECONDS } from './validate.js';

/** About 4,400 years. */
const MAX_LIFE_MS = 2 ** 47;

/**
 * Life in ms of a write (`ttlSeconds` or else `defaultMs`, cut at `expiresAt`), or 0 when it must
 * not be stored. Throws a TypeError on bad options, naming them with the prefix `what`.
 */
export function lifeMs(
  defaultMs: number,
  ttlSeconds: unknown,
  expiresAt: unknown,
  now: number,
  what: string,
): number {
  let life =
    ttlSeconds === undefined
      ? defaultMs
      : positiveNumber(ttlSeconds, `${what}ttlSeconds`, SECONDS) * 1000;
  if (expiresAt !== undefined) {
    const exp = epochSeconds(expiresAt, `${what}expiresAt`) * 1000;
    life = Math.min(life, exp - now);
  }
  // Whole milliseconds, rounded down: an entry never outlives what it was given. Capped so a
  // huge ttlSeconds stays a valid Redis PX (and an exact number).
  life = Math.floor(Math.min(life, MAX_LIFE_MS));
  return life >= 1 ? life : 0;
}
