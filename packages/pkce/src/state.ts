import { base64UrlEncode } from './internal/base64url.js';

/**
 * A new OAuth `state` value: 32 random bytes (256 bits) as base64url without padding, 43
 * characters. Store it with the pending authorization and compare it on the callback; use it once.
 *
 * @example
 * const state = generateState();
 * url.searchParams.set('state', state);
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1
 */
export function generateState(byteLength = 32): string {
  if (!Number.isInteger(byteLength) || byteLength < 16 || byteLength > 256) {
    throw new TypeError(
      `"byteLength" must be an integer from 16 to 256, got ${String(byteLength)}`,
    );
  }
  return base64UrlEncode(globalThis.crypto.getRandomValues(new Uint8Array(byteLength)));
}
