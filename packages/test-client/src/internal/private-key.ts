import { createPrivateKey, type KeyObject, webcrypto } from 'node:crypto';

/** The JWS algorithms this client signs client assertions with (RFC 7523 §2.2). */
export type ClientAssertionAlg = 'ES256' | 'RS256';

/** A private key read from PEM, ready for `private_key_jwt`. */
export interface ClientSigningKey {
  key: webcrypto.CryptoKey;
  alg: ClientAssertionAlg;
  kid?: string;
}

/**
 * Reads a PEM private key (PKCS#8, SEC1 or PKCS#1) and checks it fits `alg`: a P-256 EC key for
 * ES256, an RSA key of at least 2048 bits for RS256. Synchronous, so bad options fail at
 * construction with a `TypeError` naming the option. Never puts key material in a message.
 */
export function parsePrivateKeyPem(
  pem: string,
  alg: ClientAssertionAlg | undefined,
): { keyObject: KeyObject; alg: ClientAssertionAlg } {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(pem);
  } catch {
    throw new TypeError('"privateKey" must be a PEM private key (PKCS#8, SEC1 or PKCS#1)');
  }
  const type = keyObject.asymmetricKeyType;
  const details = keyObject.asymmetricKeyDetails ?? {};
  let natural: ClientAssertionAlg;
  if (type === 'ec' && details.namedCurve === 'prime256v1') natural = 'ES256';
  else if (type === 'rsa' && (details.modulusLength ?? 0) >= 2048) natural = 'RS256';
  else {
    throw new TypeError(
      '"privateKey" must be a P-256 EC key (ES256) or an RSA key of at least 2048 bits (RS256)',
    );
  }
  if (alg !== undefined && alg !== natural) {
    throw new TypeError(`"privateKeyAlg" ${alg} does not fit the key (${natural})`);
  }
  return { keyObject, alg: natural };
}

/** The WebCrypto key oauth4webapi signs with. */
export async function importSigningKey(
  pem: string,
  alg: ClientAssertionAlg | undefined,
  kid: string | undefined,
): Promise<ClientSigningKey> {
  const parsed = parsePrivateKeyPem(pem, alg);
  const der = parsed.keyObject.export({ type: 'pkcs8', format: 'der' });
  const algorithm =
    parsed.alg === 'ES256'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const key = (await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, [
    'sign',
  ])) as webcrypto.CryptoKey;
  return { key, alg: parsed.alg, ...(kid !== undefined ? { kid } : {}) };
}
