import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importSigningKey, parsePrivateKeyPem } from './private-key.js';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

describe('parsePrivateKeyPem', () => {
  it.each([
    ['EC PKCS#8', ec.export({ type: 'pkcs8', format: 'pem' }), 'ES256'],
    ['EC SEC1', ec.export({ type: 'sec1', format: 'pem' }), 'ES256'],
    ['RSA PKCS#8', rsa.export({ type: 'pkcs8', format: 'pem' }), 'RS256'],
    ['RSA PKCS#1', rsa.export({ type: 'pkcs1', format: 'pem' }), 'RS256'],
  ])('%s → %s', (_, pem, alg) => {
    expect(parsePrivateKeyPem(pem.toString(), undefined).alg).toBe(alg);
  });

  it.each([
    [
      'garbage',
      'not a key',
      undefined,
      '"privateKey" must be a PEM private key (PKCS#8, SEC1 or PKCS#1)',
    ],
    [
      'a public key',
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
        type: 'spki',
        format: 'pem',
      }),
      undefined,
      '"privateKey" must be a PEM private key (PKCS#8, SEC1 or PKCS#1)',
    ],
    [
      'RSA 1024',
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }),
      undefined,
      '"privateKey" must be a P-256 EC key (ES256) or an RSA key of at least 2048 bits (RS256)',
    ],
    [
      'Ed25519',
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
      undefined,
      '"privateKey" must be a P-256 EC key (ES256) or an RSA key of at least 2048 bits (RS256)',
    ],
    [
      'an EC key with RS256',
      ec.export({ type: 'pkcs8', format: 'pem' }),
      'RS256',
      '"privateKeyAlg" RS256 does not fit the key (ES256)',
    ],
  ] as const)(
    'refuses %s with a TypeError that names the option, no key material',
    (_, pem, alg, message) => {
      expect(() => parsePrivateKeyPem(pem.toString(), alg)).toThrow(new TypeError(message));
    },
  );

  it('imports a WebCrypto signing key with its kid', async () => {
    const key = await importSigningKey(
      rsa.export({ type: 'pkcs1', format: 'pem' }).toString(),
      'RS256',
      'k1',
    );
    expect(key.alg).toBe('RS256');
    expect(key.kid).toBe('k1');
    expect(key.key.algorithm.name).toBe('RSASSA-PKCS1-v1_5');
    expect(key.key.extractable).toBe(false);
    expect(key.key.usages).toEqual(['sign']);
  });
});
