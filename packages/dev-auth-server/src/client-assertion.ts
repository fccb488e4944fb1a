import { type CryptoKey, importJWK, type JWK, SignJWT } from 'jose';

/** RFC 7523 §2.2 client assertions (`private_key_jwt`), as a client makes them. */

/** A client's signing key for `private_key_jwt`. */
export interface PrivateKeyJwtKey {
  /** The private key: a WebCrypto key or a private JWK. */
  key: CryptoKey | JWK;
  /** `ES256`, `RS256`, `PS256` or `EdDSA`; the JWK's `alg` when omitted. */
  alg?: string;
  /** `kid` in the header; the JWK's `kid` when omitted. */
  kid?: string;
}

/**
 * Signs a client assertion: `iss` = `sub` = the client, `aud` = the authorization server's issuer,
 * a fresh `jti`, one minute of life.
 *
 * @example
 * ```ts
 * const assertion = await createClientAssertion({ clientId: 'mcp-service-jwt', audience: as.issuer,
 *   key: as.clients.serviceJwt.privateJwk });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 */
export async function createClientAssertion(
  o: PrivateKeyJwtKey & { clientId: string; audience: string; ttlSeconds?: number },
): Promise<string> {
  const jwk = 'kty' in o.key ? (o.key as JWK) : undefined;
  const alg = o.alg ?? jwk?.alg;
  if (!alg) throw new TypeError('"privateKeyJwt.alg" is required when the key has no "alg"');
  const key: CryptoKey | Uint8Array = jwk ? await importJWK(jwk, alg) : (o.key as CryptoKey);
  const kid = o.kid ?? jwk?.kid;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setIssuer(o.clientId)
    .setSubject(o.clientId)
    .setAudience(o.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.ttlSeconds ?? 60))
    .sign(key);
}
