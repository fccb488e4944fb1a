import { hashKey } from '@mcp-auth/cache';
import {
  calculateJwkThumbprint,
  compactVerify,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  type ProtectedHeaderParameters,
} from 'jose';
import { TokenValidationError, type TokenValidationErrorCode } from '../errors.js';
import { normaliseHtu } from './htu.js';

/** What a proof is checked against: the request, the token, the clock. */
export interface DpopProofContext {
  /** The request method (`POST`). */
  method: string;
  /** The request's public URL, normalised (`normaliseHtu`); `undefined` matches no proof. */
  htu: string | undefined;
  /** The access token from `Authorization: DPoP`. */
  accessToken: string;
  /** Now, in milliseconds. */
  nowMs: number;
}

/** The proof settings (from the `dpop` option). */
export interface DpopProofSettings {
  algorithms: readonly string[];
  iatWindowSeconds: number;
  clockSkewSeconds: number;
}

/** A verified proof. */
export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof key: must equal the token's `cnf.jkt`. */
  jkt: string;
  jti: string;
  /** Seconds. */
  iat: number;
  /** The proof's `nonce` claim, if any (checked by the caller against the server nonces). */
  nonce: string | undefined;
}

/** JWK members that only private (or symmetric) keys have. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const PUBLIC_KTY = new Set(['RSA', 'EC', 'OKP']);
/** Longest `jti` remembered (it becomes a replay-store key). */
const MAX_JTI_LENGTH = 256;

function fail(
  code: TokenValidationErrorCode,
  message: string,
  reason: string,
  claim?: string,
): TokenValidationError {
  return new TokenValidationError(code, message, {
    reason,
    ...(claim === undefined ? {} : { claim }),
  });
}

function invalid(message: string, reason: string, claim?: string): TokenValidationError {
  return fail('ERR_DPOP_PROOF_INVALID', message, reason, claim);
}

/** `typ` must be `dpop+jwt` (RFC 9449 §4.2), compared as a media type (case, optional `application/`). */
function isDpopTyp(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const t = typ.toLowerCase();
  return t === 'dpop+jwt' || t === 'application/dpop+jwt';
}

/** Header checks before any cryptography: typ, alg allowlist, a public asymmetric `jwk`. */
function checkHeader(proof: string, algorithms: readonly string[]): { alg: string; jwk: JWK } {
  let header: ProtectedHeaderParameters;
  try {
    if (proof.split('.').length !== 3) throw new Error('not compact');
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalid('The DPoP proof is not a JWS', 'malformed');
  }
  if (!isDpopTyp(header.typ)) {
    throw invalid('The DPoP proof has typ other than dpop+jwt', 'typ', 'typ');
  }
  // A proof has no use for JWS extensions (RFC 7515 §4.1.11 `crit`, RFC 7797 `b64`): refused.
  if (header.crit !== undefined || (header as { b64?: unknown }).b64 !== undefined) {
    throw invalid('The DPoP proof uses a JWS extension (crit, b64)', 'crit', 'crit');
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || !algorithms.includes(alg)) {
    throw fail(
      'ERR_DPOP_ALG_NOT_ALLOWED',
      'The DPoP proof algorithm is not allowed',
      'alg_not_allowed',
      'alg',
    );
  }
  const jwk = header.jwk as Record<string, unknown> | undefined;
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) {
    throw invalid('The DPoP proof carries no jwk', 'jwk_missing', 'jwk');
  }
  for (const member of PRIVATE_MEMBERS) {
    if (jwk[member] !== undefined) {
      throw invalid('The DPoP proof jwk is not a public key', 'private_key', 'jwk');
    }
  }
  if (typeof jwk.kty !== 'string' || !PUBLIC_KTY.has(jwk.kty)) {
    throw invalid('The DPoP proof jwk is not an asymmetric public key', 'jwk_invalid', 'jwk');
  }
  return { alg, jwk: jwk as JWK };
}

type PublicKey = Exclude<Awaited<ReturnType<typeof importJWK>>, Uint8Array>;

/** A proof key after the header checks: what the signature check and the binding need. */
export interface ProofKey {
  alg: string;
  key: PublicKey;
  /** RFC 7638 SHA-256 thumbprint of the `jwk`. */
  jkt: string;
}

/** The header checks, the key import and the thumbprint of one protected header. */
async function proofKey(proof: string, algorithms: readonly string[]): Promise<ProofKey> {
  const { alg, jwk } = checkHeader(proof, algorithms);
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK(jwk, alg);
  } catch {
    throw invalid('The DPoP proof jwk cannot be used with its alg', 'jwk_invalid', 'jwk');
  }
  if (key instanceof Uint8Array || key.type !== 'public') {
    throw invalid('The DPoP proof jwk is not a public key', 'private_key', 'jwk');
  }
  return { alg, key, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

/**
 * Proof keys by protected header (the first JWS segment, byte for byte): a client signs every
 * proof with one key, so the header is the same on each request and its checks, key import and
 * thumbprint are done once. Only headers that passed the checks are kept; bounded.
 */
export class ProofKeyCache {
  private readonly byHeader = new Map<string, Promise<ProofKey>>();

  constructor(private readonly maxEntries = 1000) {}

  get(proof: string, algorithms: readonly string[]): Promise<ProofKey> {
    const header = proof.slice(0, proof.indexOf('.'));
    const hit = this.byHeader.get(header);
    if (hit !== undefined) return hit;
    const loaded = proofKey(proof, algorithms);
    if (this.byHeader.size >= this.maxEntries) {
      this.byHeader.delete(this.byHeader.keys().next().value as string);
    }
    this.byHeader.set(header, loaded);
    loaded.catch(() => this.byHeader.delete(header));
    return loaded;
  }
}

/** Verifies the signature with the proof key; returns the payload. */
async function verifySignature(proof: string, pk: ProofKey): Promise<Record<string, unknown>> {
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(proof, pk.key, { algorithms: [pk.alg] }));
  } catch {
    throw invalid('The DPoP proof signature does not verify', 'signature');
  }
  try {
    const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new Error();
    return claims as Record<string, unknown>;
  } catch {
    throw invalid('The DPoP proof payload is not a JSON object', 'malformed');
  }
}

function stringClaim(claims: Record<string, unknown>, name: string): string {
  const value = claims[name];
  if (typeof value !== 'string' || value === '') {
    throw invalid(`The DPoP proof has no "${name}" claim`, 'missing_claim', name);
  }
  return value;
}

/**
 * `ath`: base64url(SHA-256(ASCII(access token))) (RFC 9449 §4.2), synchronous (`hashKey` of
 * `@mcp-auth/cache` is exactly that for an ASCII token).
 *
 * @example
 * ```ts
 * accessTokenHash(token) === proofClaims.ath;
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export function accessTokenHash(token: string): string {
  return hashKey(token);
}

/** Checks the claims against the request, the token and the clock (RFC 9449 §4.3 steps 9-12). */
function checkClaims(
  claims: Record<string, unknown>,
  settings: DpopProofSettings,
  ctx: DpopProofContext,
): { jti: string; iat: number; nonce: string | undefined } {
  const jti = stringClaim(claims, 'jti');
  if (jti.length > MAX_JTI_LENGTH)
    throw invalid('The DPoP proof jti is too long', 'jti_too_long', 'jti');
  const htm = stringClaim(claims, 'htm');
  const htu = stringClaim(claims, 'htu');
  const iat = claims.iat;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw invalid('The DPoP proof has no numeric "iat" claim', 'missing_claim', 'iat');
  }
  if (htm !== ctx.method) {
    throw fail(
      'ERR_DPOP_HTM_MISMATCH',
      'The DPoP proof is for another HTTP method',
      'mismatch',
      'htm',
    );
  }
  // Equal strings need no parsing (the common case: clients send the canonical URL).
  if (ctx.htu === undefined || (htu !== ctx.htu && normaliseHtu(htu) !== ctx.htu)) {
    throw fail('ERR_DPOP_HTU_MISMATCH', 'The DPoP proof is for another URL', 'mismatch', 'htu');
  }
  const now = ctx.nowMs / 1000;
  if (iat < now - settings.iatWindowSeconds) {
    throw fail('ERR_DPOP_IAT_INVALID', 'The DPoP proof is too old', 'too_old', 'iat');
  }
  if (iat > now + settings.clockSkewSeconds) {
    throw fail(
      'ERR_DPOP_IAT_INVALID',
      'The DPoP proof is issued in the future',
      'in_future',
      'iat',
    );
  }
  const ath = claims.ath;
  if (typeof ath !== 'string') {
    throw fail('ERR_DPOP_ATH_MISMATCH', 'The DPoP proof has no "ath" claim', 'missing', 'ath');
  }
  if (ath !== accessTokenHash(ctx.accessToken)) {
    throw fail(
      'ERR_DPOP_ATH_MISMATCH',
      'The DPoP proof is for another access token',
      'mismatch',
      'ath',
    );
  }
  const nonce = claims.nonce;
  if (nonce !== undefined && typeof nonce !== 'string') {
    throw invalid('The DPoP proof "nonce" is not a string', 'invalid_claim', 'nonce');
  }
  return { jti, iat, nonce };
}

/**
 * Verifies a DPoP proof for a request to a protected resource (RFC 9449 §4.3, §7.1): one JWS in
 * compact form; `typ: dpop+jwt`; `alg` from the allowlist (never `none` or HMAC); a public
 * asymmetric `jwk` only (a private or symmetric key is refused); the signature by that key; `jti`,
 * `htm` equal to the method, `htu` equal to the request URL (query and fragment ignored, scheme and
 * host case and the default port normalised, nothing else), `iat` within the window, `ath` the
 * hash of the access token. Nonces and replays are the caller's (they need shared state). With
 * `keys`, the header checks, key import and thumbprint of a protected header seen before are reused.
 *
 * @example
 * ```ts
 * const { jkt } = await verifyDpopProof(proof, settings, { method: 'POST', htu, accessToken, nowMs: Date.now() });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.3
 */
export async function verifyDpopProof(
  proof: string,
  settings: DpopProofSettings,
  ctx: DpopProofContext,
  keys?: ProofKeyCache,
): Promise<VerifiedDpopProof> {
  const pk = await (keys === undefined
    ? proofKey(proof, settings.algorithms)
    : keys.get(proof, settings.algorithms));
  const claims = await verifySignature(proof, pk);
  return { jkt: pk.jkt, ...checkClaims(claims, settings, ctx) };
}
