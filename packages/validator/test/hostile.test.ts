import { createPublicKey, type KeyObject } from 'node:crypto';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenValidator,
  extractBearerToken,
  type TokenValidationErrorCode,
  type TokenValidator,
} from '../src/index.js';
import {
  b64url,
  decodeJwt,
  OTHER_RESOURCE,
  RESOURCE,
  rejectsWith,
  serviceToken,
  startAuthServer,
  validatorFor,
} from './helpers.js';
import { type ControlledIssuer, rsaKey, signRaw, startControlledIssuer } from './issuer.js';

/**
 * Hostile tokens and headers: each one is rejected with its exact code, none is accepted.
 * Signature-level attacks use REAL tokens from the local authorization server, tampered, or tokens
 * signed with attacker keys. Claim-level cases are signed with the key of an issuer the test
 * controls (so the signature is valid and the claim rule is what decides).
 */

let as: DevAuthServer;
let other: DevAuthServer; // a second, unrelated authorization server
let ctl: ControlledIssuer;
let realV: TokenValidator;
let ctlV: TokenValidator;
let real: string; // a valid token for RESOURCE
let realOther: string; // a valid token for OTHER_RESOURCE on the same AS
let foreignAs: string; // a valid token from another AS
let idToken: string;
let rsaPublicPem: string;
let rsaPublicJwkN: string;
let attacker: { privateKey: KeyObject; jwk: Record<string, unknown> };

const NOW = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  [as, other, ctl, attacker] = await Promise.all([
    startAuthServer(),
    startAuthServer(),
    startControlledIssuer(),
    rsaKey() as Promise<{ privateKey: KeyObject; jwk: Record<string, unknown> }>,
  ]);
  realV = validatorFor(as, { cache: { negativeTtlSeconds: 0 } });
  ctlV = createTokenValidator({
    issuer: ctl.url,
    resource: RESOURCE,
    allowInsecureHttpForLoopback: true,
    jwt: { jwksUri: ctl.jwksUri },
  });
  [real, realOther, foreignAs] = await Promise.all([
    serviceToken(as),
    serviceToken(as, OTHER_RESOURCE),
    serviceToken(other),
  ]);
  const flow = await as.authorizationCodeFlow({
    resource: RESOURCE,
    scope: 'openid mcp:read',
    clientId: as.clients.confidential.clientId,
    clientSecret: as.clients.confidential.clientSecret,
  });
  idToken = flow.id_token!;
  const jwks = (await (await fetch(as.jwksUri)).json()) as { keys: Record<string, unknown>[] };
  const rsa = jwks.keys.find((k) => k.kid === decodeJwt(real).header.kid)!;
  rsaPublicPem = createPublicKey({ key: rsa as never, format: 'jwk' }).export({
    type: 'spki',
    format: 'pem',
  }) as string;
  rsaPublicJwkN = rsa.n as string;
  // The real token must be accepted: otherwise every rejection below proves nothing.
  await realV.validate(real);
}, 60_000);

afterAll(async () => {
  await Promise.all([as?.stop(), other?.stop(), ctl?.stop(), realV?.close(), ctlV?.close()]);
});

/** A valid claim set for the controlled issuer. */
function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    iss: ctl.url,
    sub: 'user-1',
    aud: RESOURCE,
    client_id: 'client-1',
    scope: 'mcp:read',
    iat: NOW(),
    exp: NOW() + 600,
    jti: Math.random().toString(36),
  };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

function tamper(
  token: string,
  f: (parts: { header: Record<string, unknown>; payload: Record<string, unknown> }) => void,
): string {
  const { header, payload, signature } = decodeJwt(token);
  f({ header, payload });
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}

type Case = [name: string, token: () => string, code: TokenValidationErrorCode];

// Tokens against the real authorization server (signature-level attacks).
const realCases: Case[] = [
  [
    'alg none, empty signature',
    () => `${b64url({ alg: 'none', typ: 'at+jwt' })}.${real.split('.')[1]}.`,
    'ERR_ALG_NOT_ALLOWED',
  ],
  [
    'alg none, original signature',
    () =>
      tamper(real, ({ header }) => {
        header.alg = 'none';
      }),
    'ERR_ALG_NOT_ALLOWED',
  ],
  [
    'alg NONE (case variant)',
    () =>
      tamper(real, ({ header }) => {
        header.alg = 'NONE';
      }),
    'ERR_ALG_NOT_ALLOWED',
  ],
  [
    'alg nOnE (case variant)',
    () => `${b64url({ alg: 'nOnE' })}.${real.split('.')[1]}.`,
    'ERR_ALG_NOT_ALLOWED',
  ],
  [
    'HS256 signed with the RSA public key PEM as secret',
    () =>
      signRaw(
        { alg: 'HS256', typ: 'at+jwt', kid: decodeJwt(real).header.kid },
        decodeJwt(real).payload,
        Buffer.from(rsaPublicPem),
        'HS256',
      ),
    'ERR_ALG_NOT_ALLOWED',
  ],
  [
    'HS256 signed with the JWK modulus as secret',
    () =>
      signRaw(
        { alg: 'HS256', typ: 'at+jwt' },
        decodeJwt(real).payload,
        Buffer.from(rsaPublicJwkN),
        'HS256',
      ),
    'ERR_ALG_NOT_ALLOWED',
  ],
  [
    'HS384 with the public key',
    () =>
      signRaw(
        { alg: 'HS384', typ: 'at+jwt' },
        decodeJwt(real).payload,
        Buffer.from(rsaPublicPem),
        'HS384',
      ),
    'ERR_ALG_NOT_ALLOWED',
  ],
  [
    'HS512 with the public key',
    () =>
      signRaw(
        { alg: 'HS512', typ: 'at+jwt' },
        decodeJwt(real).payload,
        Buffer.from(rsaPublicPem),
        'HS512',
      ),
    'ERR_ALG_NOT_ALLOWED',
  ],
  [
    'alg missing',
    () =>
      tamper(real, ({ header }) => {
        delete header.alg;
      }),
    'ERR_TOKEN_MALFORMED',
  ],
  [
    'alg unknown (XYZ)',
    () =>
      tamper(real, ({ header }) => {
        header.alg = 'XYZ';
      }),
    'ERR_ALG_NOT_ALLOWED',
  ],
  // The JWK pins alg RS256: another RSA algorithm finds no key (no alg confusion within RSA).
  [
    'alg switched to RS512, same signature',
    () =>
      tamper(real, ({ header }) => {
        header.alg = 'RS512';
      }),
    'ERR_KEY_NOT_FOUND',
  ],
  [
    'alg switched to PS256, same signature',
    () =>
      tamper(real, ({ header }) => {
        header.alg = 'PS256';
      }),
    'ERR_KEY_NOT_FOUND',
  ],
  [
    'alg switched to ES256 with the RSA kid',
    () =>
      tamper(real, ({ header }) => {
        header.alg = 'ES256';
      }),
    'ERR_KEY_NOT_FOUND',
  ],
  [
    'one signature character flipped',
    () => {
      const s = real.split('.');
      const sig = s[2]!;
      s[2] = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
      return s.join('.');
    },
    'ERR_SIGNATURE_INVALID',
  ],
  ['signature removed', () => real.split('.').slice(0, 2).join('.') + '.', 'ERR_SIGNATURE_INVALID'],
  [
    'signature of another token',
    () => {
      const a = real.split('.');
      a[2] = realOther.split('.')[2]!;
      return a.join('.');
    },
    'ERR_SIGNATURE_INVALID',
  ],
  [
    'scope widened, original signature',
    () =>
      tamper(real, ({ payload }) => {
        payload.scope = 'mcp:read mcp:write mcp:admin';
      }),
    'ERR_SIGNATURE_INVALID',
  ],
  [
    'exp extended, original signature',
    () =>
      tamper(real, ({ payload }) => {
        payload.exp = NOW() + 10 ** 6;
      }),
    'ERR_SIGNATURE_INVALID',
  ],
  [
    'aud of another resource rewritten to ours',
    () =>
      tamper(realOther, ({ payload }) => {
        payload.aud = RESOURCE;
      }),
    'ERR_SIGNATURE_INVALID',
  ],
  [
    'signed by an attacker key with the real kid',
    () => signRaw({ ...decodeJwt(real).header }, decodeJwt(real).payload, attacker.privateKey),
    'ERR_SIGNATURE_INVALID',
  ],
  [
    'unknown kid (attacker key)',
    () =>
      signRaw(
        { alg: 'RS256', typ: 'at+jwt', kid: 'attacker-kid' },
        decodeJwt(real).payload,
        attacker.privateKey,
      ),
    'ERR_KEY_NOT_FOUND',
  ],
  [
    'kid with path traversal',
    () =>
      signRaw(
        { alg: 'RS256', typ: 'at+jwt', kid: '../../../../etc/passwd' },
        decodeJwt(real).payload,
        attacker.privateKey,
      ),
    'ERR_KEY_NOT_FOUND',
  ],
  [
    'kid with SQL injection',
    () =>
      signRaw(
        { alg: 'RS256', typ: 'at+jwt', kid: "x' OR '1'='1" },
        decodeJwt(real).payload,
        attacker.privateKey,
      ),
    'ERR_KEY_NOT_FOUND',
  ],
  [
    'kid as a number',
    () =>
      signRaw(
        { alg: 'RS256', typ: 'at+jwt', kid: 1 },
        decodeJwt(real).payload,
        attacker.privateKey,
      ),
    'ERR_KEY_NOT_FOUND',
  ],
  [
    'kid as a URL',
    () =>
      signRaw(
        { alg: 'RS256', typ: 'at+jwt', kid: 'http://127.0.0.1:1/attacker.jwks' },
        decodeJwt(real).payload,
        attacker.privateKey,
      ),
    'ERR_KEY_NOT_FOUND',
  ],
  [
    'jku to an attacker JWKS, attacker kid',
    () =>
      signRaw(
        { alg: 'RS256', typ: 'at+jwt', kid: 'attacker-kid', jku: `${ctl.url}/jwks` },
        decodeJwt(real).payload,
        attacker.privateKey,
      ),
    'ERR_KEY_NOT_FOUND',
  ],
  [
    'jku to an attacker JWKS, real kid',
    () =>
      signRaw(
        { ...decodeJwt(real).header, jku: `${ctl.url}/jwks` },
        decodeJwt(real).payload,
        attacker.privateKey,
      ),
    'ERR_SIGNATURE_INVALID',
  ],
  [
    'x5u to an attacker certificate',
    () =>
      signRaw(
        { ...decodeJwt(real).header, x5u: `${ctl.url}/cert.pem` },
        decodeJwt(real).payload,
        attacker.privateKey,
      ),
    'ERR_SIGNATURE_INVALID',
  ],
  [
    'embedded jwk of the attacker, real kid',
    () =>
      signRaw(
        { ...decodeJwt(real).header, jwk: attacker.jwk },
        decodeJwt(real).payload,
        attacker.privateKey,
      ),
    'ERR_SIGNATURE_INVALID',
  ],
  [
    'embedded jwk of the attacker, its own kid',
    () =>
      signRaw(
        { alg: 'RS256', typ: 'at+jwt', kid: 'attacker', jwk: { ...attacker.jwk, kid: 'attacker' } },
        decodeJwt(real).payload,
        attacker.privateKey,
      ),
    'ERR_KEY_NOT_FOUND',
  ],
  [
    'x5c chain of the attacker',
    () =>
      signRaw(
        { ...decodeJwt(real).header, x5c: ['MIIBattacker'] },
        decodeJwt(real).payload,
        attacker.privateKey,
      ),
    'ERR_SIGNATURE_INVALID',
  ],
  [
    'unknown crit extension',
    () =>
      tamper(real, ({ header }) => {
        header.crit = ['urn:example:unknown'];
        header['urn:example:unknown'] = 1;
      }),
    'ERR_CRIT_UNSUPPORTED',
  ],
  [
    'crit naming exp',
    () =>
      tamper(real, ({ header }) => {
        header.crit = ['exp'];
        header.exp = 1;
      }),
    'ERR_CRIT_UNSUPPORTED',
  ],
  [
    'crit empty array',
    () =>
      tamper(real, ({ header }) => {
        header.crit = [];
      }),
    'ERR_TOKEN_MALFORMED',
  ],
  [
    'crit not an array',
    () =>
      tamper(real, ({ header }) => {
        header.crit = 'b64';
      }),
    'ERR_TOKEN_MALFORMED',
  ],
  [
    'b64=false unencoded payload',
    () =>
      tamper(real, ({ header }) => {
        header.crit = ['b64'];
        header.b64 = false;
      }),
    'ERR_SIGNATURE_INVALID',
  ],
  ['token of another resource on the same server', () => realOther, 'ERR_AUDIENCE_MISMATCH'],
  ['token of another authorization server', () => foreignAs, 'ERR_KEY_NOT_FOUND'],
  // RFC 9068 explicit typing stops it first (typ JWT); see the profile tests for providers without typ.
  ['ID token presented as an access token', () => idToken, 'ERR_TYP_INVALID'],
  ['2 segments', () => real.split('.').slice(0, 2).join('.'), 'ERR_TOKEN_MALFORMED'],
  ['4 segments', () => `${real}.${real.split('.')[2]}`, 'ERR_TOKEN_MALFORMED'],
  ['5 segments (JWE shape)', () => `${real.split('.')[0]}.a.b.c.d`, 'ERR_TOKEN_MALFORMED'],
  ['1 segment', () => real.split('.')[1]!, 'ERR_TOKEN_MALFORMED'],
  ['empty segments', () => '..', 'ERR_TOKEN_MALFORMED'],
  [
    'header not base64url (+ and /)',
    () => `${real.split('.')[0]!.slice(0, -2)}+/.${real.split('.')[1]}.${real.split('.')[2]}`,
    'ERR_TOKEN_MALFORMED',
  ],
  [
    'header base64url of non-JSON',
    () => `${b64url('not json')}.${real.split('.')[1]}.${real.split('.')[2]}`,
    'ERR_TOKEN_MALFORMED',
  ],
  [
    'header is a JSON array',
    () => `${b64url('[1,2]')}.${real.split('.')[1]}.${real.split('.')[2]}`,
    'ERR_TOKEN_MALFORMED',
  ],
  [
    'header is JSON null',
    () => `${b64url('null')}.${real.split('.')[1]}.${real.split('.')[2]}`,
    'ERR_TOKEN_MALFORMED',
  ],
  [
    'header with duplicate-key trick',
    () => `${b64url('{"alg":"RS256","alg":"none"}')}.${real.split('.')[1]}.`,
    'ERR_ALG_NOT_ALLOWED',
  ],
  [
    'payload bad base64url',
    () => `${real.split('.')[0]}.%%%%.${real.split('.')[2]}`,
    'ERR_TOKEN_MALFORMED',
  ],
  [
    'JSON bomb header (deep nesting), attacker-signed',
    () =>
      signRaw(
        `{"alg":"RS256","kid":"x","n":${'['.repeat(3000)}${']'.repeat(3000)}}`,
        decodeJwt(real).payload,
        attacker.privateKey,
      ),
    'ERR_KEY_NOT_FOUND',
  ],
  [
    'JSON bomb payload, attacker-signed with the real kid',
    () =>
      signRaw(
        decodeJwt(real).header,
        `{"a":${'['.repeat(4000)}${']'.repeat(4000)}}`,
        attacker.privateKey,
      ),
    'ERR_SIGNATURE_INVALID',
  ],
  [
    'oversized token (16 KB + 1)',
    () => `${real}${'A'.repeat(16_385 - real.length)}`,
    'ERR_TOKEN_TOO_LARGE',
  ],
  [
    'characters outside token68',
    () => `${real.slice(0, 10)}"${real.slice(11)}`,
    'ERR_TOKEN_MALFORMED',
  ],
  ['non-ASCII characters', () => `${real.slice(0, 10)}é${real.slice(11)}`, 'ERR_TOKEN_MALFORMED'],
  ['NUL byte', () => `${real.slice(0, 10)}\u0000${real.slice(11)}`, 'ERR_TOKEN_MALFORMED'],
  ['empty string', () => '', 'ERR_TOKEN_MALFORMED'],
  [
    'opaque-looking token with no introspection configured',
    () => 'c29tZS1vcGFxdWUtdG9rZW4',
    'ERR_TOKEN_MALFORMED',
  ],
];

// Tokens signed by the controlled issuer's real key: the claim rules decide.
const claimCases: [string, () => string, TokenValidationErrorCode, string?][] = [
  ['expired', () => ctl.sign(claims({ exp: NOW() - 3600 })), 'ERR_TOKEN_EXPIRED', 'exp'],
  [
    'expired just beyond the tolerance',
    () => ctl.sign(claims({ exp: NOW() - 31 })),
    'ERR_TOKEN_EXPIRED',
    'exp',
  ],
  ['exp missing', () => ctl.sign(claims({ exp: undefined })), 'ERR_CLAIM_INVALID', 'exp'],
  [
    'exp as a string',
    () => ctl.sign(claims({ exp: String(NOW() + 600) })),
    'ERR_CLAIM_INVALID',
    'exp',
  ],
  ['exp null', () => ctl.sign(claims({ exp: null })), 'ERR_CLAIM_INVALID', 'exp'],
  [
    'exp infinite (1e400)',
    () => ctl.sign(JSON.stringify(claims({ exp: 1 })).replace(/"exp":1/, '"exp":1e400')),
    'ERR_CLAIM_INVALID',
    'exp',
  ],
  [
    'nbf in the future',
    () => ctl.sign(claims({ nbf: NOW() + 3600 })),
    'ERR_TOKEN_NOT_YET_VALID',
    'nbf',
  ],
  ['nbf as a string', () => ctl.sign(claims({ nbf: 'yesterday' })), 'ERR_CLAIM_INVALID', 'nbf'],
  [
    'iat far in the future',
    () => ctl.sign(claims({ iat: NOW() + 86_400 })),
    'ERR_TOKEN_NOT_YET_VALID',
    'iat',
  ],
  ['iat as a string', () => ctl.sign(claims({ iat: 'now' })), 'ERR_CLAIM_INVALID', 'iat'],
  [
    'iss of another server',
    () => ctl.sign(claims({ iss: 'https://evil.example.com' })),
    'ERR_ISSUER_MISMATCH',
    'iss',
  ],
  [
    'iss with a trailing slash it does not have',
    () => ctl.sign(claims({ iss: `${ctl.url}/` })),
    'ERR_ISSUER_MISMATCH',
    'iss',
  ],
  [
    'iss with a different case',
    () => ctl.sign(claims({ iss: ctl.url.toUpperCase() })),
    'ERR_ISSUER_MISMATCH',
    'iss',
  ],
  ['iss missing', () => ctl.sign(claims({ iss: undefined })), 'ERR_ISSUER_MISMATCH', 'iss'],
  ['iss as an array', () => ctl.sign(claims({ iss: [ctl.url] })), 'ERR_ISSUER_MISMATCH', 'iss'],
  ['aud missing', () => ctl.sign(claims({ aud: undefined })), 'ERR_AUDIENCE_MISMATCH', 'aud'],
  [
    'aud of another resource',
    () => ctl.sign(claims({ aud: 'https://other.example.com/mcp' })),
    'ERR_AUDIENCE_MISMATCH',
    'aud',
  ],
  [
    'aud array without us',
    () => ctl.sign(claims({ aud: ['https://a.example', 'https://b.example'] })),
    'ERR_AUDIENCE_MISMATCH',
    'aud',
  ],
  [
    'aud the bare origin',
    () => ctl.sign(claims({ aud: 'http://127.0.0.1:3000' })),
    'ERR_AUDIENCE_MISMATCH',
    'aud',
  ],
  [
    'aud the parent path',
    () => ctl.sign(claims({ aud: 'http://127.0.0.1:3000/' })),
    'ERR_AUDIENCE_MISMATCH',
    'aud',
  ],
  [
    'aud a longer path',
    () => ctl.sign(claims({ aud: `${RESOURCE}/admin` })),
    'ERR_AUDIENCE_MISMATCH',
    'aud',
  ],
  [
    'aud a longer string',
    () => ctl.sign(claims({ aud: `${RESOURCE}x` })),
    'ERR_AUDIENCE_MISMATCH',
    'aud',
  ],
  [
    'aud with a trailing slash',
    () => ctl.sign(claims({ aud: `${RESOURCE}/` })),
    'ERR_AUDIENCE_MISMATCH',
    'aud',
  ],
  [
    'aud with a query',
    () => ctl.sign(claims({ aud: `${RESOURCE}?tenant=1` })),
    'ERR_AUDIENCE_MISMATCH',
    'aud',
  ],
  [
    'aud another port',
    () => ctl.sign(claims({ aud: 'http://127.0.0.1:3001/mcp' })),
    'ERR_AUDIENCE_MISMATCH',
    'aud',
  ],
  [
    'aud https instead of http',
    () => ctl.sign(claims({ aud: 'https://127.0.0.1:3000/mcp' })),
    'ERR_AUDIENCE_MISMATCH',
    'aud',
  ],
  ['aud wildcard', () => ctl.sign(claims({ aud: '*' })), 'ERR_AUDIENCE_MISMATCH', 'aud'],
  ['aud a number', () => ctl.sign(claims({ aud: 42 })), 'ERR_CLAIM_INVALID', 'aud'],
  ['aud an empty array', () => ctl.sign(claims({ aud: [] })), 'ERR_CLAIM_INVALID', 'aud'],
  [
    'aud array with a non-string',
    () => ctl.sign(claims({ aud: [RESOURCE, 1] })),
    'ERR_CLAIM_INVALID',
    'aud',
  ],
  [
    'aud a JSON bomb',
    () =>
      ctl.sign(
        JSON.stringify(claims({ aud: 1 })).replace(
          '"aud":1',
          `"aud":${'['.repeat(3000)}${']'.repeat(3000)}`,
        ),
      ),
    'ERR_CLAIM_INVALID',
    'aud',
  ],
  [
    'ID token shape (nonce)',
    () => ctl.sign(claims({ nonce: 'n-0S6_WzA2Mj' })),
    'ERR_NOT_ACCESS_TOKEN',
    'nonce',
  ],
  [
    'ID token shape (at_hash)',
    () => ctl.sign(claims({ at_hash: 'x' })),
    'ERR_NOT_ACCESS_TOKEN',
    'at_hash',
  ],
  [
    'token_use id (Cognito ID token)',
    () => ctl.sign(claims({ token_use: 'id' })),
    'ERR_NOT_ACCESS_TOKEN',
    'token_use',
  ],
  [
    'DPoP-bound token as Bearer (cnf.jkt)',
    () => ctl.sign(claims({ cnf: { jkt: 'abc' } })),
    'ERR_NOT_ACCESS_TOKEN',
    'cnf',
  ],
  [
    'typ missing (RFC 9068 required)',
    () => ctl.sign(claims(), { alg: 'RS256', kid: ctl.kid }),
    'ERR_TYP_INVALID',
    'typ',
  ],
  [
    'typ JWT (RFC 9068 required)',
    () => ctl.sign(claims(), { alg: 'RS256', kid: ctl.kid, typ: 'JWT' }),
    'ERR_TYP_INVALID',
    'typ',
  ],
  [
    'typ dpop+jwt',
    () => ctl.sign(claims(), { alg: 'RS256', kid: ctl.kid, typ: 'dpop+jwt' }),
    'ERR_TYP_INVALID',
    'typ',
  ],
  [
    'typ as a number',
    () => ctl.sign(claims(), { alg: 'RS256', kid: ctl.kid, typ: 1 }),
    'ERR_TYP_INVALID',
    'typ',
  ],
  [
    'scope as an array',
    () => ctl.sign(claims({ scope: ['mcp:read'] })),
    'ERR_CLAIM_INVALID',
    'scope',
  ],
  ['scope as a number', () => ctl.sign(claims({ scope: 7 })), 'ERR_CLAIM_INVALID', 'scope'],
  ['scp as an object', () => ctl.sign(claims({ scp: { a: 1 } })), 'ERR_CLAIM_INVALID', 'scp'],
  ['sub as a number', () => ctl.sign(claims({ sub: 1 })), 'ERR_CLAIM_INVALID', 'sub'],
  [
    'client_id as an object',
    () => ctl.sign(claims({ client_id: {} })),
    'ERR_CLAIM_INVALID',
    'client_id',
  ],
  ['payload a JSON array', () => ctl.sign('[1,2,3]'), 'ERR_TOKEN_MALFORMED'],
  [
    'unencoded payload (crit b64, b64 false), validly signed',
    () =>
      ctl.sign(claims(), { alg: 'RS256', typ: 'at+jwt', kid: ctl.kid, crit: ['b64'], b64: false }),
    'ERR_TOKEN_MALFORMED',
  ],
  ['payload not JSON', () => ctl.sign('not json at all'), 'ERR_TOKEN_MALFORMED'],
  ['payload JSON null', () => ctl.sign('null'), 'ERR_TOKEN_MALFORMED'],
];

describe('hostile tokens against the real authorization server', () => {
  it.each(realCases.map(([name, make, code]) => ({ name, make, code })))(
    '$name → $code',
    async ({ make, code }) => {
      const token = make();
      const err = await rejectsWith(realV.validate(token), code);
      expect(String(err.message)).not.toContain(token.slice(0, 40) || '\u0000\u0000');
      expect(err.status).toBe(code === 'ERR_TOKEN_TOO_LARGE' ? 400 : 401);
    },
  );
});

describe('hostile claims (validly signed by the issuer key)', () => {
  it('accepts the untampered claim set', async () => {
    const auth = await ctlV.validate(ctl.sign(claims()));
    expect(auth.clientId).toBe('client-1');
  });
  it.each(claimCases.map(([name, make, code, claim]) => ({ name, make, code, claim })))(
    '$name → $code',
    async ({ make, code, claim }) => {
      const err = await rejectsWith(ctlV.validate(make()), code);
      if (claim !== undefined) expect(err.claim).toBe(claim);
      expect(err.status).toBe(401);
      expect(err.error).toBe('invalid_token');
    },
  );
});

// Headers: 401 without error for no credentials, 400 invalid_request for malformed ones.
const headerCases: [
  string,
  Record<string, string | string[]> | { rawHeaders: string[]; headers: Record<string, string> },
  TokenValidationErrorCode,
][] = [
  ['no Authorization header', {}, 'ERR_MISSING_TOKEN'],
  ['empty Authorization header', { authorization: '' }, 'ERR_MISSING_TOKEN'],
  ['Basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'ERR_MISSING_TOKEN'],
  ['Token scheme', { authorization: 'Token abc' }, 'ERR_MISSING_TOKEN'],
  ['scheme glued to the token', { authorization: 'Bearerabc' }, 'ERR_MISSING_TOKEN'],
  ['DPoP scheme', { authorization: 'DPoP abc' }, 'ERR_MISSING_TOKEN'],
  ['Bearer without a token', { authorization: 'Bearer' }, 'ERR_MALFORMED_HEADER'],
  ['Bearer and spaces only', { authorization: 'Bearer    ' }, 'ERR_MALFORMED_HEADER'],
  ['two tokens after Bearer', { authorization: 'Bearer abc def' }, 'ERR_MALFORMED_HEADER'],
  ['comma-joined tokens', { authorization: 'Bearer abc,def' }, 'ERR_MALFORMED_HEADER'],
  [
    'two Bearer credentials in one header',
    { authorization: 'Bearer abc, Bearer def' },
    'ERR_MALFORMED_HEADER',
  ],
  ['tab separator', { authorization: 'Bearer\tabc' }, 'ERR_MALFORMED_HEADER'],
  ['quoted token', { authorization: 'Bearer "abc"' }, 'ERR_MALFORMED_HEADER'],
  ['padding first', { authorization: 'Bearer ==abc' }, 'ERR_MALFORMED_HEADER'],
  ['CR LF inside', { authorization: 'Bearer abc\r\nX-Injected: 1' }, 'ERR_MALFORMED_HEADER'],
  ['NUL inside', { authorization: 'Bearer ab\u0000c' }, 'ERR_MALFORMED_HEADER'],
  ['non-ASCII token', { authorization: 'Bearer tökén' }, 'ERR_MALFORMED_HEADER'],
  ['oversized header', { authorization: `Bearer ${'a'.repeat(20_000)}` }, 'ERR_TOKEN_TOO_LARGE'],
  [
    'token one over the limit',
    { authorization: `Bearer ${'a'.repeat(16_385)}` },
    'ERR_TOKEN_TOO_LARGE',
  ],
  [
    'two Authorization headers (node rawHeaders)',
    {
      rawHeaders: ['Authorization', 'Bearer abc', 'authorization', 'Bearer def'],
      headers: { authorization: 'Bearer abc' },
    },
    'ERR_MALFORMED_HEADER',
  ],
  [
    'two Authorization headers (array value)',
    { authorization: ['Bearer abc', 'Bearer def'] },
    'ERR_MALFORMED_HEADER',
  ],
];

describe('hostile headers', () => {
  it.each(headerCases.map(([name, source, code]) => ({ name, source, code })))(
    '$name → $code',
    ({ source, code }) => {
      let error: unknown;
      try {
        extractBearerToken(source as never);
      } catch (err) {
        error = err;
      }
      expect((error as { code?: string })?.code).toBe(code);
      const status = code === 'ERR_MISSING_TOKEN' ? 401 : 400;
      expect((error as { status?: number }).status).toBe(status);
      expect((error as { error?: string }).error).toBe(
        status === 401 ? undefined : 'invalid_request',
      );
    },
  );

  it('two Authorization headers on a real node request are refused', async () => {
    const { createServer } = await import('node:http');
    const { connect } = await import('node:net');
    const server = createServer((req, res) => {
      realV.authenticate(req).then(
        () => res.end('accepted'),
        (err) => res.writeHead(err.status).end(err.code),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      // A raw request: node's own client would merge or refuse the duplicate header.
      const body = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${real}\r\nAuthorization: Bearer other\r\nConnection: close\r\n\r\n`,
          );
        });
        let b = '';
        socket.on('data', (c) => (b += c));
        socket.on('end', () => resolve(b));
        socket.on('error', reject);
      });
      expect(body.startsWith('HTTP/1.1 400 ')).toBe(true);
      expect(body).toContain('ERR_MALFORMED_HEADER');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('a cached token in a malformed header is refused exactly as an unknown one', async () => {
    // authenticate() looks a `Bearer <token>` up in the cache before the token68 scan (a cached
    // token passed it when first validated): every other shape must still be refused.
    const v = validatorFor(as);
    await v.validate(real);
    const cases: [string, Record<string, string | string[]>, TokenValidationErrorCode][] = [
      ['two tokens', { authorization: `Bearer ${real} ${real}` }, 'ERR_MALFORMED_HEADER'],
      ['a tab inside', { authorization: `Bearer ${real}\tx` }, 'ERR_MALFORMED_HEADER'],
      ['a comma after', { authorization: `Bearer ${real},` }, 'ERR_MALFORMED_HEADER'],
      [
        'two headers',
        { authorization: [`Bearer ${real}`, `Bearer ${real}`] },
        'ERR_MALFORMED_HEADER',
      ],
      ['Basic scheme', { authorization: `Basic ${real}` }, 'ERR_MISSING_TOKEN'],
      ['Bearer glued', { authorization: `Bearer${real}` }, 'ERR_MISSING_TOKEN'],
      ['Bearer, no space', { authorization: `Bearer,${real}` }, 'ERR_MALFORMED_HEADER'],
    ];
    for (const [name, headers, code] of cases) {
      const err = await rejectsWith(v.authenticate({ headers }), code);
      expect(err.code, name).toBe(code);
    }
    // The well-formed header, with surrounding whitespace and any case of the scheme: a hit.
    const before = v.stats().cache.hits;
    for (const authorization of [`Bearer ${real}`, ` \tbEaReR   ${real} \t`]) {
      expect((await v.authenticate({ headers: { authorization } })).token).toBe(real);
    }
    expect(v.stats().cache.hits - before).toBe(2);
    expect(v.stats().jwtVerifications).toBe(1);
    await v.close();
  });

  it('a token in the query string is never read', async () => {
    const req = new Request(`http://127.0.0.1/mcp?access_token=${real}`);
    await rejectsWith(realV.authenticate(req), 'ERR_MISSING_TOKEN');
  });

  it('a token in a form body is never read', async () => {
    const req = new Request('http://127.0.0.1/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${real}`,
    });
    await rejectsWith(realV.authenticate(req), 'ERR_MISSING_TOKEN');
  });

  it('counts at least 60 distinct hostile inputs', () => {
    expect(realCases.length + claimCases.length + headerCases.length).toBeGreaterThanOrEqual(60);
    const names = [...realCases, ...claimCases, ...headerCases].map((c) => c[0]);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('random hostile tokens (property)', () => {
  it('no random JWT-shaped or arbitrary token is accepted, and every rejection is typed', async () => {
    const fc = (await import('fast-check')).default;
    const json = fc.jsonValue({ maxDepth: 3 });
    const segment = fc.oneof(
      json.map((v) => b64url(JSON.stringify(v))),
      fc
        .dictionary(fc.constantFrom('alg', 'kid', 'typ', 'crit', 'jku', 'jwk', 'b64', 'x5u'), json)
        .map((o) => b64url(JSON.stringify(o))),
      fc.string({ unit: fc.constantFrom(...'abcXYZ019-_'), maxLength: 40 }),
    );
    const token = fc.oneof(
      fc.tuple(segment, segment, segment).map((s) => s.join('.')),
      fc
        .tuple(fc.constant(real.split('.')[0]!), segment, fc.constant(real.split('.')[2]!))
        .map((s) => s.join('.')),
      fc.string({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(token, async (t) => {
        try {
          await realV.validate(t);
        } catch (err) {
          expect((err as { name?: string }).name).toBe('TokenValidationError');
          expect([400, 401]).toContain((err as { status?: number }).status);
          return;
        }
        throw new Error('a random token was accepted');
      }),
      { numRuns: 300 },
    );
  });
});
