import { type CryptoKey, calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';

/**
 * DPoP proofs (RFC 9449) as a client makes them: a `dpop+jwt` signed by the client's key, with the
 * public key in the header, for one request (`htm`, `htu`), bound to an access token (`ath`) and a
 * server nonce when given.
 */

/** A key pair a client proves possession of (`crypto.subtle.generateKey` or jose `generateKeyPair`). */
export interface DpopKeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export interface DpopProofOptions {
  /** HTTP method of the request (`htm`). */
  htm: string;
  /** URL of the request without query and fragment (`htu`). */
  htu: string;
  /** The access token the request carries: adds `ath` (RFC 9449 §4.2). */
  accessToken?: string;
  /** A server nonce (`DPoP-Nonce`, RFC 9449 §8). */
  nonce?: string;
  /** JWS algorithm; derived from the key when omitted (ES256, EdDSA, RS256, PS256). */
  alg?: string;
  /** Issued-at, seconds; now by default (a test can pass a stale one). */
  iat?: number;
}

/** The JWS algorithm a WebCrypto key signs with. */
export function dpopAlgOf(key: CryptoKey): string {
  const a = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  if (a.name === 'ECDSA' && a.namedCurve === 'P-256') return 'ES256';
  if (a.name === 'ECDSA' && a.namedCurve === 'P-384') return 'ES384';
  if (a.name === 'Ed25519') return 'EdDSA';
  if (a.name === 'RSASSA-PKCS1-v1_5') return 'RS256';
  if (a.name === 'RSA-PSS') return 'PS256';
  throw new TypeError(`"keyPair" algorithm ${a.name} is not usable for DPoP`);
}

/**
 * Makes a DPoP proof JWT for one request.
 *
 * @example
 * ```ts
 * const keyPair = await generateKeyPair('ES256');
 * const proof = await createDpopProof(keyPair, { htm: 'POST', htu: as.endpoints.token });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export async function createDpopProof(keyPair: DpopKeyPair, o: DpopProofOptions): Promise<string> {
  const jwk = await exportJWK(keyPair.publicKey);
  const payload: Record<string, unknown> = {
    htm: o.htm,
    htu: o.htu,
    jti: crypto.randomUUID(),
    iat: o.iat ?? Math.floor(Date.now() / 1000),
  };
  if (o.accessToken !== undefined) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(o.accessToken));
    payload.ath = Buffer.from(digest).toString('base64url');
  }
  if (o.nonce !== undefined) payload.nonce = o.nonce;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: o.alg ?? dpopAlgOf(keyPair.privateKey), typ: 'dpop+jwt', jwk })
    .sign(keyPair.privateKey);
}

/**
 * The RFC 7638 thumbprint of the key pair's public key: the `cnf.jkt` of tokens bound to it.
 *
 * @example
 * ```ts
 * expect(decodeJwt(token).cnf).toEqual({ jkt: await dpopThumbprint(keyPair) });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-6.1
 */
export async function dpopThumbprint(keyPair: DpopKeyPair): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
}
