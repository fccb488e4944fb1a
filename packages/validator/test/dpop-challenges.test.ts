import { type DevAuthServer, dpopThumbprint } from '@mcp-auth/dev-auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenValidationError, TokenValidator, TokenValidatorOptions } from '../src/index.js';
import { boundToken, dpopRequest, type KeyPair, newKeyPair, proofFor } from './dpop-helpers.js';
import { RESOURCE, rejectsWith, serviceToken, startAuthServer, validatorFor } from './helpers.js';

/** DPoP challenges, modes, options and server nonces, with real DPoP-bound tokens from the local AS. */
let as: DevAuthServer;
let keyPair: KeyPair;
let token: string;
const open: TokenValidator[] = [];

beforeAll(async () => {
  as = await startAuthServer();
  keyPair = await newKeyPair();
  token = await boundToken(as, keyPair);
});
afterAll(async () => {
  await Promise.all(open.map((v) => v.close()));
  await as?.stop();
});

function v(dpop: TokenValidatorOptions['dpop'] = { mode: 'allowed' }): TokenValidator {
  const validator = validatorFor(as, { dpop });
  open.push(validator);
  return validator;
}

describe('DPoP: challenges and modes', () => {
  const rm = `${new URL(RESOURCE).origin}/.well-known/oauth-protected-resource/mcp`;

  it('allowed: no token → Bearer and DPoP challenges, no error', async () => {
    const validator = v({ mode: 'allowed', algorithms: ['ES256', 'EdDSA'] });
    const err = (await rejectsWith(
      validator.authenticate({ headers: {} }),
      'ERR_MISSING_TOKEN',
    )) as never as TokenValidationError;
    const { status, headers } = err.toResponse({ resourceMetadata: rm });
    expect(status).toBe(401);
    expect(headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${rm}", DPoP algs="ES256 EdDSA", resource_metadata="${rm}"`,
    );
  });

  it('allowed: a DPoP failure puts the error in the DPoP challenge', async () => {
    const validator = v({ mode: 'allowed', algorithms: ['ES256'] });
    const err = (await rejectsWith(
      validator.authenticate(dpopRequest(token, await proofFor(keyPair, token, { htm: 'GET' }))),
      'ERR_DPOP_HTM_MISMATCH',
    )) as never as TokenValidationError;
    expect(err.challenge({ resourceMetadata: rm })).toBe(
      `Bearer resource_metadata="${rm}", DPoP algs="ES256", error="invalid_dpop_proof", resource_metadata="${rm}", error_description="The DPoP proof is for another HTTP method"`,
    );
  });

  it('required: a Bearer token is refused with the DPoP challenge only', async () => {
    const validator = v({ mode: 'required', algorithms: ['ES256'] });
    const bearer = await serviceToken(as);
    const err = (await rejectsWith(
      validator.authenticate({ headers: { authorization: `Bearer ${bearer}` } }),
      'ERR_DPOP_REQUIRED',
    )) as never as TokenValidationError;
    expect(err.challenge({ resourceMetadata: rm })).toBe(
      `DPoP algs="ES256", error="invalid_token", resource_metadata="${rm}", error_description="This resource accepts only DPoP-bound tokens (Authorization: DPoP)"`,
    );
    const auth = await validator.authenticate(dpopRequest(token, await proofFor(keyPair, token)));
    expect(auth.extra?.senderConstrained).toBe('dpop');
    expect(validator.dpop).toEqual({ mode: 'required', algorithms: ['ES256'] });
  });

  it('an algorithm outside dpop.algorithms', async () => {
    const ed = await newKeyPair('EdDSA');
    const edToken = await boundToken(as, ed);
    await rejectsWith(
      v({ mode: 'allowed', algorithms: ['ES256'] }).authenticate(
        dpopRequest(edToken, await proofFor(ed, edToken)),
      ),
      'ERR_DPOP_ALG_NOT_ALLOWED',
    );
    const auth = await v({ mode: 'allowed', algorithms: ['EdDSA'] }).authenticate(
      dpopRequest(edToken, await proofFor(ed, edToken)),
    );
    expect(auth.extra?.dpop).toEqual({ jkt: await dpopThumbprint(ed) });
  });

  it.each([
    [{ mode: 'sometimes' }, '"dpop.mode" must be "disabled", "allowed" or "required"'],
    [{ mode: 'allowed', algorithms: ['HS256'] }, '"dpop.algorithms": "HS256" is not an asymmetric'],
    [{ mode: 'allowed', algorithms: ['none'] }, '"dpop.algorithms": "none" is not an asymmetric'],
    [{ mode: 'allowed', nonce: { secret: 'short' } }, '"dpop.nonce.secret" must be'],
    [{ mode: 'allowed', iatWindowSeconds: 0 }, '"dpop.iatWindowSeconds" must be a number >= 1'],
    [{ mode: 'allowed', replayStore: {} }, '"dpop.replayStore" must be a DpopReplayStore'],
  ])('bad options are a TypeError naming the option: %j', (dpop, message) => {
    expect(() => validatorFor(as, { dpop: dpop as never })).toThrow(TypeError);
    expect(() => validatorFor(as, { dpop: dpop as never })).toThrow(message);
  });
});

describe('DPoP: server nonces', () => {
  const secret = 'a nonce secret shared by every instance, 32+ bytes';

  it('no nonce → 401 use_dpop_nonce with DPoP-Nonce; the nonce works on another instance', async () => {
    const a = v({ mode: 'allowed', nonce: { secret } });
    const b = v({ mode: 'allowed', nonce: { secret } });
    const err = (await rejectsWith(
      a.authenticate(dpopRequest(token, await proofFor(keyPair, token))),
      'ERR_DPOP_NONCE_INVALID',
    )) as never as TokenValidationError;
    expect(err).toMatchObject({ status: 401, error: 'use_dpop_nonce', reason: 'missing' });
    const { headers } = err.toResponse({ resourceMetadata: b.resourceMetadataUrl });
    const nonce = headers['dpop-nonce']!;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(headers['www-authenticate']).toContain('error="use_dpop_nonce"');
    const auth = await b.authenticate(
      dpopRequest(token, await proofFor(keyPair, token, { nonce })),
    );
    expect(auth.extra?.senderConstrained).toBe('dpop');
  });

  it('a stale nonce (two windows ago) and a foreign one are refused; the previous window passes', async () => {
    let t = Date.now();
    const clock = () => t;
    const issuer = validatorFor(as, {
      now: clock,
      dpop: { mode: 'allowed', nonce: { secret, rotationSeconds: 60 } },
    });
    open.push(issuer);
    const first = (await rejectsWith(
      issuer.authenticate(dpopRequest(token, await proofFor(keyPair, token))),
      'ERR_DPOP_NONCE_INVALID',
    )) as never as { dpop: { nonce: string } };
    const old = first.dpop.nonce;
    const at = (nonce: string) => proofFor(keyPair, token, { nonce, iat: Math.floor(t / 1000) });
    t += 60_000; // the next window: the previous nonce is still accepted
    await issuer.authenticate(dpopRequest(token, await at(old)));
    t += 60_000; // two windows later: stale
    const stale = await rejectsWith(
      issuer.authenticate(dpopRequest(token, await at(old))),
      'ERR_DPOP_NONCE_INVALID',
    );
    expect(stale.reason).toBe('stale');
    const foreign = v({ mode: 'allowed', nonce: { secret: `${secret} but another one` } });
    const err = await rejectsWith(
      foreign.authenticate(dpopRequest(token, await proofFor(keyPair, token, { nonce: old }))),
      'ERR_DPOP_NONCE_INVALID',
    );
    expect(err.reason).toBe('stale');
  });

  it('nonce.required false: a proof without a nonce passes, a wrong one does not', async () => {
    const validator = v({ mode: 'allowed', nonce: { secret, required: false } });
    await validator.authenticate(dpopRequest(token, await proofFor(keyPair, token)));
    await rejectsWith(
      validator.authenticate(dpopRequest(token, await proofFor(keyPair, token, { nonce: 'x' }))),
      'ERR_DPOP_NONCE_INVALID',
    );
  });
});
