import { webcrypto } from 'node:crypto';

/**
 * DPoP (RFC 9449) for requests to the MCP server. Token requests use oauth4webapi's DPoP handle with
 * the same key pair (it keeps the authorization server's nonces). Resource requests cannot:
 * oauth4webapi's `protectedResourceRequest` throws on any 401 challenge (the transports need the
 * Response to step up or re-authorize) and its proof method is not part of its typed API. So the
 * resource proofs are made here, with the same claims: `htm`, `htu`, `iat`, `jti`, `ath`, and
 * `nonce` when the server gave one.
 */
export interface DpopKey {
  keyPair: webcrypto.CryptoKeyPair;
  /** The public JWK for the proof header. */
  jwk: webcrypto.JsonWebKey;
  /** Server nonces (`DPoP-Nonce`) by origin. */
  nonces: Map<string, string>;
}

/** A fresh ES256 key pair (private key not extractable). */
export async function createDpopKey(): Promise<DpopKey> {
  const keyPair = (await webcrypto.subtle.generateKey(
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign', 'verify'],
  )) as webcrypto.CryptoKeyPair;
  const full = await webcrypto.subtle.exportKey('jwk', keyPair.publicKey as never);
  return {
    keyPair,
    jwk: { kty: full.kty, crv: full.crv, x: full.x, y: full.y },
    nonces: new Map(),
  };
}

const b64u = (data: ArrayBuffer | Uint8Array | string): string =>
  Buffer.from(typeof data === 'string' ? data : new Uint8Array(data)).toString('base64url');

/** `ath`: base64url of the SHA-256 of the access token (RFC 9449 §4.2). */
export async function accessTokenHash(accessToken: string): Promise<string> {
  return b64u(await webcrypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)));
}

/**
 * A DPoP proof JWT for one request. `htu` is the URL without query and fragment (RFC 9449 §4.2).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export async function dpopProof(
  key: DpopKey,
  o: { method: string; url: string; accessToken?: string; now: number },
): Promise<string> {
  const url = new URL(o.url);
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk };
  const nonce = key.nonces.get(url.origin);
  const payload = {
    jti: b64u(webcrypto.getRandomValues(new Uint8Array(16))),
    htm: o.method.toUpperCase(),
    htu: `${url.origin}${url.pathname}`,
    iat: Math.floor(o.now / 1000),
    ...(o.accessToken !== undefined ? { ath: await accessTokenHash(o.accessToken) } : {}),
    ...(nonce !== undefined ? { nonce } : {}),
  };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  const signature = await webcrypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    key.keyPair.privateKey as never,
    new TextEncoder().encode(input),
  );
  return `${input}.${b64u(signature)}`;
}

/** Keeps the server's `DPoP-Nonce` for its origin; true when it sent one. */
export function rememberNonce(key: DpopKey, url: string, headers: Headers): boolean {
  const nonce = headers.get('dpop-nonce');
  if (!nonce) return false;
  key.nonces.set(new URL(url).origin, nonce);
  return true;
}
