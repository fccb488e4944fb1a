import { type DevAuthServer, dpopThumbprint } from '@mcp-auth/dev-auth-server';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenValidator, TokenValidatorOptions } from '../src/index.js';
import {
  boundToken,
  craftedProof,
  dpopRequest,
  type KeyPair,
  newKeyPair,
  proofClaims,
  proofFor,
} from './dpop-helpers.js';
import { RESOURCE, rejectsWith, serviceToken, startAuthServer, validatorFor } from './helpers.js';

/** DPoP (RFC 9449) with real DPoP-bound tokens from the local authorization server. */
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

const now = () => Math.floor(Date.now() / 1000);

describe('DPoP: accepted', () => {
  it('a bound token with its proof: authInfo says sender-constrained and by which key', async () => {
    const validator = v();
    const auth = await validator.authenticate(dpopRequest(token, await proofFor(keyPair, token)));
    const jkt = await dpopThumbprint(keyPair);
    expect(auth.extra).toMatchObject({ senderConstrained: 'dpop', dpop: { jkt } });
    expect(auth.extra?.claims.cnf).toEqual({ jkt });
    expect(Object.isFrozen(auth)).toBe(true);
    expect(Object.isFrozen(auth.extra)).toBe(true);
  });

  it('a cached token costs no second token verification; each request needs a new proof', async () => {
    const validator = v();
    for (let i = 0; i < 3; i++) {
      await validator.authenticate(dpopRequest(token, await proofFor(keyPair, token)));
    }
    expect(validator.stats().jwtVerifications).toBe(1);
  });

  it.each([
    ['query and fragment ignored', `${RESOURCE}?a=1#frag`],
    ['upper-case scheme and host', 'HTTP://127.0.0.1:3000/mcp'],
  ])('htu normalisation of RFC 9449 §4.3: %s', async (_, htu) => {
    const auth = await v().authenticate(
      dpopRequest(token, await proofFor(keyPair, token, { htu })),
    );
    expect(auth.extra?.senderConstrained).toBe('dpop');
  });

  it('a Fetch Request: the path of its URL, never its host', async () => {
    const proof = await proofFor(keyPair, token);
    const request = new Request('http://internal:8080/mcp?x=1', {
      method: 'POST',
      headers: { authorization: `DPoP ${token}`, dpop: proof },
    });
    const auth = await v().authenticate(request);
    expect(auth.extra?.dpop).toEqual({ jkt: await dpopThumbprint(keyPair) });
  });

  it('an explicit url option names the public URL', async () => {
    const htu = 'https://public.example/mcp';
    const proof = await proofFor(keyPair, token, { htu });
    const auth = await v().authenticate(dpopRequest(token, proof), { url: htu });
    expect(auth.extra?.senderConstrained).toBe('dpop');
  });

  it('the DPoP scheme is case-insensitive', async () => {
    const proof = await proofFor(keyPair, token);
    const auth = await v().authenticate(dpopRequest(token, proof, { scheme: 'dpop' }));
    expect(auth.extra?.senderConstrained).toBe('dpop');
  });

  it('a Bearer token still passes in allowed mode (no DPoP fields)', async () => {
    const bearer = await serviceToken(as);
    const auth = await v().authenticate({ headers: { authorization: `Bearer ${bearer}` } });
    expect(auth.extra?.senderConstrained).toBeUndefined();
  });
});

describe('DPoP: hostile proofs and tokens', () => {
  it('a replayed proof', async () => {
    const validator = v();
    const proof = await proofFor(keyPair, token);
    await validator.authenticate(dpopRequest(token, proof));
    const err = await rejectsWith(
      validator.authenticate(dpopRequest(token, proof)),
      'ERR_DPOP_REPLAYED',
    );
    expect(err).toMatchObject({ status: 401, error: 'invalid_dpop_proof', claim: 'jti' });
  });

  it.each([
    ['another method', { htm: 'GET' }, 'ERR_DPOP_HTM_MISMATCH'],
    ['another path', { htu: 'http://127.0.0.1:3000/other' }, 'ERR_DPOP_HTU_MISMATCH'],
    ['another port', { htu: 'http://127.0.0.1:3001/mcp' }, 'ERR_DPOP_HTU_MISMATCH'],
    ['a trailing slash', { htu: 'http://127.0.0.1:3000/mcp/' }, 'ERR_DPOP_HTU_MISMATCH'],
    ['a dot segment', { htu: 'http://127.0.0.1:3000/x/../mcp' }, 'ERR_DPOP_HTU_MISMATCH'],
    ['an encoded path', { htu: 'http://127.0.0.1:3000/%6dcp' }, 'ERR_DPOP_HTU_MISMATCH'],
    ['another scheme', { htu: 'https://127.0.0.1:3000/mcp' }, 'ERR_DPOP_HTU_MISMATCH'],
    ['iat too old', { iat: now() - 120 }, 'ERR_DPOP_IAT_INVALID'],
    ['iat in the future', { iat: now() + 60 }, 'ERR_DPOP_IAT_INVALID'],
  ])('a proof for %s', async (_, o, code) => {
    const proof = await proofFor(keyPair, token, o);
    const err = await rejectsWith(v().authenticate(dpopRequest(token, proof)), code);
    expect(err).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
  });

  it('a proof for GET sent with POST (method of the request is used)', async () => {
    const proof = await proofFor(keyPair, token);
    await rejectsWith(
      v().authenticate(dpopRequest(token, proof, { method: 'GET' })),
      'ERR_DPOP_HTM_MISMATCH',
    );
  });

  it('a proof signed by another key than the token is bound to', async () => {
    const other = await newKeyPair();
    const err = await rejectsWith(
      v().authenticate(dpopRequest(token, await proofFor(other, token))),
      'ERR_DPOP_KEY_MISMATCH',
    );
    expect(err).toMatchObject({ status: 401, error: 'invalid_token', claim: 'cnf' });
  });

  it('ath missing, and ath of another token', async () => {
    const missing = await rejectsWith(
      v().authenticate(dpopRequest(token, await proofFor(keyPair, undefined))),
      'ERR_DPOP_ATH_MISMATCH',
    );
    expect(missing.reason).toBe('missing');
    const otherToken = await boundToken(as, keyPair);
    const wrong = await rejectsWith(
      v().authenticate(dpopRequest(token, await proofFor(keyPair, otherToken))),
      'ERR_DPOP_ATH_MISMATCH',
    );
    expect(wrong.reason).toBe('mismatch');
  });

  it.each([
    ['alg none', { alg: 'none' }, 'ERR_DPOP_ALG_NOT_ALLOWED'],
    ['alg HS256', { alg: 'HS256' }, 'ERR_DPOP_ALG_NOT_ALLOWED'],
    ['typ JWT', { typ: 'JWT' }, 'ERR_DPOP_PROOF_INVALID'],
    ['typ at+jwt', { typ: 'at+jwt' }, 'ERR_DPOP_PROOF_INVALID'],
    ['no jwk', { jwk: undefined }, 'ERR_DPOP_PROOF_INVALID'],
    ['a symmetric jwk', { jwk: { kty: 'oct', k: 'c2VjcmV0' } }, 'ERR_DPOP_PROOF_INVALID'],
  ])('a proof with %s', async (_, header, code) => {
    const proof = await craftedProof(keyPair, header, await proofClaims(token));
    const err = await rejectsWith(v().authenticate(dpopRequest(token, proof)), code);
    expect(err).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
  });

  it('a private key in jwk', async () => {
    const privateJwk = await exportJWK(keyPair.privateKey);
    const proof = await craftedProof(keyPair, { jwk: privateJwk }, await proofClaims(token));
    const err = await rejectsWith(
      v().authenticate(dpopRequest(token, proof)),
      'ERR_DPOP_PROOF_INVALID',
    );
    expect(err.reason).toBe('private_key');
  });

  it.each([
    ['jti', { jti: undefined }],
    ['htm', { htm: undefined }],
    ['htu', { htu: undefined }],
    ['iat', { iat: undefined }],
  ])('a proof without %s', async (claim, extra) => {
    const proof = await craftedProof(keyPair, {}, await proofClaims(token, extra));
    const err = await rejectsWith(
      v().authenticate(dpopRequest(token, proof)),
      'ERR_DPOP_PROOF_INVALID',
    );
    expect(err).toMatchObject({ reason: 'missing_claim', claim });
  });

  it('a tampered signature', async () => {
    const proof = await proofFor(keyPair, token);
    const [h, p] = proof.split('.');
    const forged = `${h}.${p}.${'A'.repeat(86)}`;
    const err = await rejectsWith(
      v().authenticate(dpopRequest(token, forged)),
      'ERR_DPOP_PROOF_INVALID',
    );
    expect(err.reason).toBe('signature');
  });

  it('an oversized proof: 400 invalid_request, nothing parsed', async () => {
    const err = await rejectsWith(
      v().authenticate(dpopRequest(token, 'e'.repeat(9000))),
      'ERR_DPOP_PROOF_TOO_LARGE',
    );
    expect(err).toMatchObject({ status: 400, error: 'invalid_request' });
  });

  it('two DPoP headers: 400 invalid_request (node rawHeaders and a Fetch Headers)', async () => {
    const a = await proofFor(keyPair, token);
    const b = await proofFor(keyPair, token);
    const err = await rejectsWith(
      v().authenticate(dpopRequest(token, [a, b])),
      'ERR_DPOP_MULTIPLE_PROOFS',
    );
    expect(err).toMatchObject({ status: 400, error: 'invalid_request' });
    const headers = new Headers({ authorization: `DPoP ${token}` });
    headers.append('dpop', a);
    headers.append('dpop', b);
    const request = new Request(RESOURCE, { method: 'POST', headers });
    await rejectsWith(v().authenticate(request), 'ERR_DPOP_MULTIPLE_PROOFS');
  });

  it('the DPoP scheme without a proof', async () => {
    const err = await rejectsWith(
      v().authenticate(dpopRequest(token, undefined)),
      'ERR_DPOP_PROOF_MISSING',
    );
    expect(err).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
  });

  it('a DPoP-bound token as Bearer: refused (no downgrade), also by validate()', async () => {
    const validator = v();
    const err = await rejectsWith(
      validator.authenticate({ headers: { authorization: `Bearer ${token}` } }),
      'ERR_DPOP_BOUND_TOKEN_AS_BEARER',
    );
    expect(err).toMatchObject({ status: 401, error: 'invalid_token' });
    await rejectsWith(validator.validate(token), 'ERR_DPOP_BOUND_TOKEN_AS_BEARER');
    // with a (valid) proof alongside: the Bearer scheme still does not bind it
    const proof = await proofFor(keyPair, token);
    await rejectsWith(
      validator.authenticate(dpopRequest(token, proof, { scheme: 'Bearer' })),
      'ERR_DPOP_BOUND_TOKEN_AS_BEARER',
    );
  });

  it('a proof without a bound token (a plain Bearer token with the DPoP scheme)', async () => {
    const bearer = await serviceToken(as);
    const err = await rejectsWith(
      v().authenticate(dpopRequest(bearer, await proofFor(keyPair, bearer))),
      'ERR_DPOP_TOKEN_NOT_BOUND',
    );
    expect(err).toMatchObject({ status: 401, error: 'invalid_token' });
  });

  it('DPoP disabled: the bound token is refused as before, the DPoP scheme is no credential', async () => {
    const validator = validatorFor(as);
    open.push(validator);
    const err = await rejectsWith(validator.validate(token), 'ERR_NOT_ACCESS_TOKEN');
    expect(err.reason).toBe('sender_constrained');
    await rejectsWith(
      validator.authenticate(dpopRequest(token, await proofFor(keyPair, token))),
      'ERR_MISSING_TOKEN',
    );
    expect(validator.dpop).toBeUndefined();
  });
});

describe('DPoP with the other entry points', () => {
  it('several issuers: dpop is shared, the bound token binds through its issuer', async () => {
    const validator = validatorFor(as, {
      issuer: undefined,
      issuers: [{ issuer: as.issuer }],
      dpop: { mode: 'required' },
    });
    open.push(validator);
    const auth = await validator.authenticate(dpopRequest(token, await proofFor(keyPair, token)));
    expect(auth.extra?.dpop).toEqual({ jkt: await dpopThumbprint(keyPair) });
    await rejectsWith(validator.validate(token), 'ERR_DPOP_BOUND_TOKEN_AS_BEARER');
  });

  it('verifyAccessToken (the SDK verifier, Bearer only) refuses a bound token with 401', async () => {
    const err = (await v()
      .verifyAccessToken(token)
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as { code: string; status: number };
    expect(err).toMatchObject({
      code: 'invalid_token',
      validationCode: 'ERR_DPOP_BOUND_TOKEN_AS_BEARER',
      status: 401,
    });
  });
});

describe('DPoP: the Authorization header', () => {
  it.each([
    ['DPoP', 'ERR_MALFORMED_HEADER', 'missing_token'],
    ['DPoP a b', 'ERR_MALFORMED_HEADER', 'multiple_tokens'],
    ['DPoP,abc', 'ERR_MALFORMED_HEADER', 'bad_separator'],
    ['DPoP ab"c', 'ERR_MALFORMED_HEADER', 'invalid_characters'],
    ['DPoPx abc', 'ERR_MISSING_TOKEN', 'unsupported_scheme'],
    ['Basic abc', 'ERR_MISSING_TOKEN', 'unsupported_scheme'],
    [`DPoP ${'a'.repeat(20_000)}`, 'ERR_TOKEN_TOO_LARGE', 'too_large'],
  ])('%j → %s (%s)', async (authorization, code, reason) => {
    const err = await rejectsWith(
      v().authenticate({ method: 'POST', url: '/mcp', headers: { authorization } }),
      code,
    );
    expect(err.reason).toBe(reason);
  });

  it('two Authorization headers (DPoP and Bearer): 400', async () => {
    const proof = await proofFor(keyPair, token);
    const err = await rejectsWith(
      v().authenticate({
        method: 'POST',
        url: '/mcp',
        headers: {},
        rawHeaders: [
          'Authorization',
          `DPoP ${token}`,
          'Authorization',
          `Bearer ${token}`,
          'DPoP',
          proof,
        ],
      }),
      'ERR_MALFORMED_HEADER',
    );
    expect(err).toMatchObject({ status: 400, reason: 'multiple_headers' });
  });
});
