/**
 * `hashKey` runs on every JavaScript runtime (Node, Deno, Bun, Cloudflare Workers) without a
 * `node:` import, so it never pulls `node:crypto` into a bundle. Where the runtime offers its Node
 * built-ins without an import (`process.getBuiltinModule`, Node >= 20.16, Bun, Deno 2), the native
 * one-shot hash is used because it is several times faster for a JWT; everywhere else, and when
 * that lookup fails, a pure TypeScript SHA-256 gives the same bytes. WebCrypto is no alternative:
 * `crypto.subtle.digest` is asynchronous and `hashKey` is synchronous.
 */

type OneShotHash = (algorithm: string, data: string, encoding: 'base64url') => string;
interface NodeCryptoLike {
  hash?: OneShotHash;
  createHash?: (algorithm: string) => {
    update(data: string, encoding: 'utf8'): { digest(encoding: 'base64url'): string };
  };
}

/** The native SHA-256 of the runtime's `node:crypto`, found without importing it, or undefined. */
function nativeSha256(): ((s: string) => string) | undefined {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    if (typeof proc?.getBuiltinModule !== 'function') return undefined;
    const c = proc.getBuiltinModule('node:crypto') as NodeCryptoLike | undefined;
    // crypto.hash (Node 20.12+, 21.7+) hashes in one call, about twice as fast as createHash.
    const oneShot = c?.hash;
    if (typeof oneShot === 'function') return (s) => oneShot('sha256', s, 'base64url');
    const createHash = c?.createHash;
    if (typeof createHash === 'function') {
      return (s) => createHash('sha256').update(s, 'utf8').digest('base64url');
    }
  } catch {
    // A runtime that refuses the lookup gets the portable implementation.
  }
  return undefined;
}

const native = /* @__PURE__ */ nativeSha256();

/**
 * SHA-256 of `secret`, base64url without padding (43 characters). Use it to turn a bearer token,
 * an authorization code or an OAuth `state` into a cache key, so the raw secret never becomes a key
 * in a shared store (Redis `KEYS`/`MONITOR`, logs, memory dumps). Synchronous, and the same on every
 * runtime: the string is hashed as UTF-8, a lone surrogate as U+FFFD (what `Buffer.from(s)` and
 * `TextEncoder` do).
 *
 * @example
 * ```ts
 * import { createCache, hashKey } from '@mcp-auth/cache';
 *
 * const cache = createCache<{ sub: string }>();
 * await cache.set(hashKey(accessToken), { sub: 'user-1' });
 * const hit = cache.peek(hashKey(accessToken));
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-5.2 (bearer token confidentiality)
 */
export function hashKey(secret: string): string {
  if (typeof secret !== 'string') {
    throw new TypeError('"secret" must be a string');
  }
  return native === undefined ? sha256Base64url(secret) : native(secret);
}

// ---- Portable SHA-256 (FIPS 180-4), exported for the tests and the benchmark only. ----

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Scratch space, reused: hashKey is synchronous, so no two calls ever share it. */
const W = new Int32Array(64);
const H = new Int32Array(8);
const OUT = new Uint8Array(33); // 32 digest bytes + 1 zero byte so the last group reads in range
/** Message buffers up to this size are kept for the next call; bigger ones are dropped. */
const KEEP_BYTES = 16_384;
let kept = new Uint8Array(1024);
/** `TextEncoder` (every runtime has it), typed here without the DOM library. */
let encoder: { encodeInto(s: string, into: Uint8Array): { written: number } } | undefined;

/**
 * SHA-256 of the UTF-8 bytes of `s` (lone surrogates as U+FFFD, as `TextEncoder` encodes them),
 * base64url without padding. Pure TypeScript; what {@link hashKey} uses without `node:crypto`.
 */
export function sha256Base64url(s: string): string {
  // A UTF-16 code unit is at most 3 UTF-8 bytes; 72 leaves room for the padding and length.
  const room = s.length * 3 + 72;
  let buf = kept;
  if (buf.length < room) {
    buf = new Uint8Array(room);
    if (room <= KEEP_BYTES) kept = buf;
  }
  encoder ??= new TextEncoder();
  const n = encoder.encodeInto(s, buf).written;
  const total = (((n + 8) >>> 6) + 1) << 6; // a multiple of 64 with room for 0x80 and the length
  buf[n] = 0x80;
  buf.fill(0, n + 1, total - 8);
  writeBitLength(buf, total - 8, n);
  H.set(IV);
  for (let off = 0; off < total; off += 64) compress(buf, off);
  for (let i = 0; i < 8; i++) {
    const h = H[i]!;
    OUT[i * 4] = h >>> 24;
    OUT[i * 4 + 1] = h >>> 16;
    OUT[i * 4 + 2] = h >>> 8;
    OUT[i * 4 + 3] = h;
  }
  return base64url32(OUT);
}

/** The message length in bits, big-endian, as 64 bits at `at` (bytes can exceed 2^29). */
function writeBitLength(buf: Uint8Array, at: number, bytes: number): void {
  const hi = Math.floor(bytes / 0x20000000);
  const lo = (bytes << 3) >>> 0;
  buf[at] = hi >>> 24;
  buf[at + 1] = hi >>> 16;
  buf[at + 2] = hi >>> 8;
  buf[at + 3] = hi;
  buf[at + 4] = lo >>> 24;
  buf[at + 5] = lo >>> 16;
  buf[at + 6] = lo >>> 8;
  buf[at + 7] = lo;
}

/** One 64-byte block into the state `H`. */
function compress(m: Uint8Array, off: number): void {
  for (let t = 0; t < 16; t++) {
    const j = off + t * 4;
    W[t] = (m[j]! << 24) | (m[j + 1]! << 16) | (m[j + 2]! << 8) | m[j + 3]!;
  }
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15]!;
    const w2 = W[t - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
  }
  let a = H[0]!;
  let b = H[1]!;
  let c = H[2]!;
  let d = H[3]!;
  let e = H[4]!;
  let f = H[5]!;
  let g = H[6]!;
  let h = H[7]!;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t]! + W[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = H[0]! + a;
  H[1] = H[1]! + b;
  H[2] = H[2]! + c;
  H[3] = H[3]! + d;
  H[4] = H[4]! + e;
  H[5] = H[5]! + f;
  H[6] = H[6]! + g;
  H[7] = H[7]! + h;
}

/** base64url of the first 32 bytes of `b` (which has a 33rd, zero), without padding: 43 chars. */
function base64url32(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < 33; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += B64URL[v >>> 18]! + B64URL[(v >>> 12) & 63]! + B64URL[(v >>> 6) & 63]!;
    if (i < 30) out += B64URL[v & 63]!;
  }
  return out;
}
