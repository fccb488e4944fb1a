import fc from 'fast-check';
import { exportJWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { normaliseHtu } from '../src/dpop/htu.js';
import { createTokenValidator, isTokenValidationError } from '../src/index.js';
import { dpopRequest, newKeyPair, proofClaims } from './dpop-helpers.js';
import { RESOURCE } from './helpers.js';

/**
 * Hostile input, property-based: whatever arrives in the DPoP header, the validator refuses it with
 * an ERR_DPOP_* code and never accepts it, crashes or touches the network. The token is a custom
 * token bound to the test key (tokenFormat 'custom'), so nothing needs an authorization server.
 */
const keyPair = await newKeyPair();
const jwk = await exportJWK(keyPair.publicKey);
const { calculateJwkThumbprint } = await import('jose');
const jkt = await calculateJwkThumbprint(jwk);
const TOKEN = 'bound-custom-token';
const validator = createTokenValidator({
  issuer: 'https://as.example',
  resource: RESOURCE,
  tokenFormat: 'custom',
  customValidator: () => ({
    claims: { sub: 'u', exp: Math.floor(Date.now() / 1000) + 600, aud: RESOURCE, cnf: { jkt } },
  }),
  dpop: { mode: 'allowed' },
  fetch: () => Promise.reject(new Error('no network in this test')),
});

/** A compact JWS with exactly this header, ES256 by WebCrypto (jose refuses to sign some of them). */
async function signRaw(header: Record<string, unknown>, payload: Record<string, unknown>) {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${enc(header)}.${enc(payload)}`;
  const sig = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    keyPair.privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${Buffer.from(sig).toString('base64url')}`;
}

async function outcome(proof: string): Promise<string> {
  try {
    await validator.authenticate(dpopRequest(TOKEN, proof));
    return 'accepted';
  } catch (err) {
    if (!isTokenValidationError(err)) throw err;
    return err.code;
  }
}

describe('DPoP proofs, property-based', () => {
  it('a valid proof is accepted (the control of the properties below)', async () => {
    const proof = await new SignJWT(await proofClaims(TOKEN))
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(keyPair.privateKey);
    expect(await outcome(proof)).toBe('accepted');
  });

  it('any string as the DPoP header: refused with an ERR_DPOP_* code', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.base64String(),
          fc.stringMatching(/^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/),
        ),
        async (header) => {
          expect(await outcome(header)).toMatch(/^ERR_DPOP_/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('one character of a valid proof changed: never accepted', async () => {
    const proof = await new SignJWT(await proofClaims(TOKEN))
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(keyPair.privateKey);
    // Used once first: a mutation that decodes to the same bytes (the spare bits of a segment's
    // last character) is then the same proof again, a replay.
    expect(await outcome(proof)).toBe('accepted');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: proof.length - 1 }),
        fc.constantFrom(...alphabet),
        async (i, c) => {
          fc.pre(proof[i] !== c);
          const mutated = proof.slice(0, i) + c + proof.slice(i + 1);
          const result = await outcome(mutated);
          expect(result).not.toBe('accepted');
          expect(result).toMatch(/^ERR_DPOP_/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random header members signed by the key: accepted only as a well-formed DPoP header', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            typ: fc.constantFrom('dpop+jwt', 'JWT', 'at+jwt', 'DPOP+JWT', 'application/dpop+jwt'),
            crit: fc.constant(['exp']),
            b64: fc.boolean(),
            kid: fc.string(),
            jku: fc.webUrl(),
            jwk: fc.constantFrom<Record<string, unknown>>(
              jwk,
              { ...jwk, d: 'AAAA' },
              { kty: 'oct', k: 'AAAA' },
            ),
          },
          { requiredKeys: ['jwk'] },
        ),
        async (header) => {
          const h = { alg: 'ES256', ...header };
          const proof = await signRaw(h, await proofClaims(TOKEN));
          const wellFormed =
            h.typ !== undefined &&
            /^(application\/)?dpop\+jwt$/i.test(h.typ) &&
            h.crit === undefined &&
            h.b64 === undefined &&
            h.jwk === jwk;
          const result = await outcome(proof);
          if (wellFormed) expect(result).toBe('accepted');
          else expect(result).toMatch(/^ERR_DPOP_/);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('htu normalisation, property-based', () => {
  const url = fc.webUrl({ withQueryParameters: false, withFragments: false });
  it('never throws; idempotent; query and fragment ignored', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), url), fc.string(), (value, q) => {
        const n = normaliseHtu(value);
        if (n === undefined) return;
        expect(normaliseHtu(n)).toBe(n);
        if (!/[?#]/.test(value)) {
          expect(normaliseHtu(`${value}?${q}`)).toBe(n);
          expect(normaliseHtu(`${value}#${q}`)).toBe(n);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
