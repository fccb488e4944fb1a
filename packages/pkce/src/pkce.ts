/**
 * PKCE, RFC 7636, on WebCrypto only: Node.js 20+, browsers, Deno and workers.
 * @see https://www.rfc-editor.org/rfc/rfc7636
 */

import { base64UrlEncode } from './internal/base64url.js';

/** RFC 7636 §4.1: `code-verifier = 43*128unreserved`. */
const VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/;
/** The 66 characters RFC 7636 §4.1 calls unreserved. */
const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';
/** S256 challenges are base64url(SHA-256) without padding: 43 characters. */
const S256_CHALLENGE_PATTERN = /^[A-Za-z0-9\-_]{43}$/;

export const MIN_VERIFIER_LENGTH = 43;
export const MAX_VERIFIER_LENGTH = 128;

/** A code challenge method: `S256`, or `plain` (only with an explicit opt-in). */
export type CodeChallengeMethod = 'S256' | 'plain';

export interface PkcePair {
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
}

function webCrypto(): typeof globalThis.crypto {
  const c = globalThis.crypto;
  if (!c?.subtle || typeof c.getRandomValues !== 'function') {
    throw new Error('WebCrypto (globalThis.crypto) is not available in this runtime');
  }
  return c;
}

/**
 * Uniformly random characters from `alphabet`, by rejection sampling so that no character is
 * more likely than another (a plain `byte % 66` would favour the first 58 characters).
 */
function randomString(alphabet: string, length: number): string {
  const crypto = webCrypto();
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array((length - out.length) * 2));
    for (const byte of bytes) {
      if (byte < limit) {
        out += alphabet[byte % alphabet.length];
        if (out.length === length) break;
      }
    }
  }
  return out;
}

/**
 * Whether `value` is a valid PKCE code verifier: a string of 43 to 128 characters from the RFC 7636
 * §4.1 unreserved set `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
 *
 * @example
 * isCodeVerifier('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'); // true
 * isCodeVerifier('too-short'); // false
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export function isCodeVerifier(value: unknown): value is string {
  return typeof value === 'string' && VERIFIER_PATTERN.test(value);
}

/**
 * A new random code verifier of `length` characters (43 to 128, default 64) from the unreserved
 * set. 64 characters carry about 386 bits of entropy.
 *
 * @throws {TypeError} when `length` is not an integer from 43 to 128.
 * @example
 * const verifier = generateCodeVerifier(); // 64 characters
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export function generateCodeVerifier(length = 64): string {
  if (
    typeof length !== 'number' ||
    !Number.isInteger(length) ||
    length < MIN_VERIFIER_LENGTH ||
    length > MAX_VERIFIER_LENGTH
  ) {
    throw new TypeError(
      `"length" must be an integer from ${MIN_VERIFIER_LENGTH} to ${MAX_VERIFIER_LENGTH}, got ${String(length)}`,
    );
  }
  return randomString(UNRESERVED, length);
}

function assertVerifier(verifier: unknown, name = 'verifier'): asserts verifier is string {
  if (typeof verifier !== 'string') {
    throw new TypeError(
      `"${name}" must be a string, got ${verifier === null ? 'null' : typeof verifier}`,
    );
  }
  if (verifier.length < MIN_VERIFIER_LENGTH || verifier.length > MAX_VERIFIER_LENGTH) {
    throw new TypeError(
      `"${name}" must be ${MIN_VERIFIER_LENGTH} to ${MAX_VERIFIER_LENGTH} characters long, got ${verifier.length}`,
    );
  }
  if (!VERIFIER_PATTERN.test(verifier)) {
    throw new TypeError(
      `"${name}" may only contain the RFC 7636 unreserved characters [A-Za-z0-9-._~]`,
    );
  }
}

/**
 * The S256 code challenge of a verifier: `BASE64URL(SHA256(ASCII(verifier)))`, without padding.
 *
 * @throws {TypeError} when `verifier` is not a valid code verifier.
 * @example
 * await computeCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
 * // 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2
 */
export async function computeCodeChallenge(verifier: string): Promise<string> {
  assertVerifier(verifier);
  const digest = await webCrypto().subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64UrlEncode(new Uint8Array(digest));
}

/**
 * A new code verifier with its S256 challenge, ready for an authorization request.
 *
 * @example
 * const { codeVerifier, codeChallenge, codeChallengeMethod } = await createPkcePair();
 * url.searchParams.set('code_challenge', codeChallenge);
 * url.searchParams.set('code_challenge_method', codeChallengeMethod); // 'S256'
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4
 */
export async function createPkcePair(): Promise<PkcePair> {
  const codeVerifier = generateCodeVerifier();
  return {
    codeVerifier,
    codeChallenge: await computeCodeChallenge(codeVerifier),
    codeChallengeMethod: 'S256',
  };
}

/** Compares two strings in time that depends only on their lengths, not on where they differ. */
function timingSafeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) {
    diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  }
  return diff === 0;
}

export interface VerifyCodeChallengeOptions {
  /**
   * Accept the `plain` method (challenge = verifier). OAuth 2.1 and RFC 9700 forbid it for new
   * deployments; only turn it on for a legacy client you cannot change.
   */
  allowPlain?: boolean;
}

/**
 * Whether `verifier` matches `challenge` under `method`, compared in constant time. A malformed
 * verifier or challenge gives `false`; an unknown method, or `plain` without `allowPlain`, throws.
 *
 * @throws {TypeError} for an unknown `method`, or `plain` without `{ allowPlain: true }`.
 * @example
 * await verifyCodeChallenge(verifier, storedChallenge); // S256
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6
 */
export async function verifyCodeChallenge(
  verifier: string,
  challenge: string,
  method: CodeChallengeMethod = 'S256',
  options: VerifyCodeChallengeOptions = {},
): Promise<boolean> {
  if (method === 'plain') {
    if (options.allowPlain !== true) {
      throw new TypeError(
        '"method" plain is refused unless { allowPlain: true } is passed explicitly (use S256)',
      );
    }
    if (!isCodeVerifier(verifier) || typeof challenge !== 'string') return false;
    return timingSafeEqual(verifier, challenge);
  }
  if (method !== 'S256') {
    throw new TypeError(
      `"method" must be "S256" (or "plain" with allowPlain), got ${String(method)}`,
    );
  }
  if (
    !isCodeVerifier(verifier) ||
    typeof challenge !== 'string' ||
    !S256_CHALLENGE_PATTERN.test(challenge)
  ) {
    return false;
  }
  return timingSafeEqual(await computeCodeChallenge(verifier), challenge);
}
