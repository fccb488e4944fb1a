import { importJWK, SignJWT } from 'jose';
import type { KeyRing } from '../keys.js';

/**
 * Signs a JWT with the server's current RS256 key (published in its JWKS): ID-JAGs in enterprise IdP
 * mode and workload JWTs. `iat`, `exp` and `jti` are set here.
 */
export async function signWithServerKey(
  keys: KeyRing,
  typ: string,
  claims: Record<string, unknown>,
  ttlSeconds: number,
): Promise<string> {
  const kid = keys.currentKid('RS256');
  const jwk = keys.jwks().keys.find((k) => k.kid === kid);
  if (!jwk) throw new Error('no current RS256 key');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims, jti: crypto.randomUUID(), iat: now, exp: now + ttlSeconds })
    .setProtectedHeader({ alg: 'RS256', kid, typ })
    .sign(await importJWK(jwk, 'RS256'));
}
