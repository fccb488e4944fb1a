import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenValidator, statusForCode, type TokenValidator } from '../src/index.js';
import { RESOURCE, rejectsWith, serviceToken, startAuthServer, validatorFor } from './helpers.js';
import { type ControlledIssuer, startControlledIssuer } from './issuer.js';

/**
 * Issue 12 items 4 and 9: one spelling per token (non-canonical base64url in any segment is
 * refused), and confirmation claims the validator cannot enforce are refused whatever their shape.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

let as: DevAuthServer;
let ctl: ControlledIssuer;
let v: TokenValidator;
let ctlV: TokenValidator;
let real: string;

beforeAll(async () => {
  [as, ctl] = await Promise.all([startAuthServer(), startControlledIssuer()]);
  v = validatorFor(as);
  ctlV = createTokenValidator({
    issuer: ctl.url,
    resource: RESOURCE,
    allowInsecureHttpForLoopback: true,
    jwt: { jwksUri: ctl.jwksUri },
  });
  real = await serviceToken(as);
}, 60_000);
afterAll(async () => {
  await Promise.all([v?.close(), ctlV?.close()]);
  await Promise.all([as?.stop(), ctl?.stop()]);
});

/** Every spelling of `segment` that decodes to the same bytes under a lenient decoder. */
function lastCharSpellings(segment: string): string[] {
  const unused = segment.length % 4 === 2 ? 4 : segment.length % 4 === 3 ? 2 : 0;
  const base = ALPHABET.indexOf(segment.at(-1)!) & ~((1 << unused) - 1);
  return Array.from(
    { length: 1 << unused },
    (_, low) => segment.slice(0, -1) + ALPHABET[base | low],
  );
}

function withSegment(token: string, index: number, segment: string): string {
  const parts = token.split('.');
  parts[index] = segment;
  return parts.join('.');
}

describe('one spelling per token (issue 12 item 4)', () => {
  it('of the 16 spellings of a real RS256 signature, exactly the canonical one is accepted', async () => {
    const signature = real.split('.')[2]!;
    expect(signature.length % 4).toBe(2); // 256 bytes: the last character carries 4 unused bits
    const spellings = lastCharSpellings(signature);
    expect(spellings).toHaveLength(16);
    expect(new Set(spellings).size).toBe(16);
    // Every spelling decodes to the same signature bytes: the lenient decoders' 16 tokens.
    for (const s of spellings) {
      expect(Buffer.from(s, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
    }
    const results = await Promise.allSettled(
      spellings.map((s) => v.validate(withSegment(real, 2, s))),
    );
    const accepted = results.filter((r) => r.status === 'fulfilled');
    expect(accepted).toHaveLength(1);
    expect((accepted[0] as PromiseFulfilledResult<{ token: string }>).value.token).toBe(real);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toMatchObject({
          code: 'ERR_TOKEN_MALFORMED',
          reason: 'base64url_not_canonical',
          status: 401,
        });
      }
    }
    expect(statusForCode('ERR_TOKEN_MALFORMED')).toEqual({ status: 401, error: 'invalid_token' });
  });

  it.each([
    ['signature with one = pad', (t: string) => `${t}=`, 'base64url_not_canonical'],
    ['signature with two = pads', (t: string) => `${t}==`, 'base64url_not_canonical'],
    [
      'header with = padding',
      (t: string) => {
        const h = t.split('.')[0]!;
        return withSegment(t, 0, h + '='.repeat((4 - (h.length % 4)) % 4 || 4));
      },
      // token68 (RFC 7235 §2.1) allows '=' only at the end: refused by the syntax check first.
      'invalid_characters',
    ],
    [
      'payload with = padding',
      (t: string) => {
        const p = t.split('.')[1]!;
        return withSegment(t, 1, p + '='.repeat((4 - (p.length % 4)) % 4 || 4));
      },
      'invalid_characters',
    ],
    [
      'a + in the signature (the standard base64 alphabet)',
      (t: string) => withSegment(t, 2, `+${t.split('.')[2]!.slice(1)}`),
      'base64url_not_canonical',
    ],
    [
      'signature with one character removed (length 4n+1)',
      (t: string) => t.slice(0, -2) + t.at(-1),
      'base64url_not_canonical',
    ],
  ])('%s → 401 ERR_TOKEN_MALFORMED (%s)', async (_name, spell, reason) => {
    const spelled = spell(real);
    expect(spelled).not.toBe(real);
    const err = await rejectsWith(v.validate(spelled), 'ERR_TOKEN_MALFORMED');
    expect(err.reason).toBe(reason);
  });

  it('a non-canonical header or payload spelling is refused too (unused bits of the last character)', async () => {
    for (const index of [0, 1]) {
      const segment = real.split('.')[index]!;
      const spellings = lastCharSpellings(segment);
      if (spellings.length === 1) continue; // this segment's length leaves no unused bits
      for (const s of spellings.filter((x) => x !== segment)) {
        const err = await rejectsWith(
          v.validate(withSegment(real, index, s)),
          'ERR_TOKEN_MALFORMED',
        );
        expect(err.reason).toBe('base64url_not_canonical');
      }
    }
    await expect(v.validate(real)).resolves.toMatchObject({ token: real });
  });
});

describe('one spelling per token through authenticate() (one scan checks token68 and base64url)', () => {
  it('of the 16 signature spellings in a header, exactly the canonical one is accepted', async () => {
    const fresh = validatorFor(as, { cache: { negativeTtlSeconds: 0 } });
    const header = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    const spellings = lastCharSpellings(real.split('.')[2]!);
    const results = await Promise.allSettled(
      spellings.map((s) => fresh.authenticate(header(withSegment(real, 2, s)))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toMatchObject({
          code: 'ERR_TOKEN_MALFORMED',
          reason: 'base64url_not_canonical',
        });
      }
    }
    // Padding inside a header token is outside token68: the header is malformed (400).
    const h = real.split('.')[0]!;
    const padded = withSegment(real, 0, h + '='.repeat((4 - (h.length % 4)) % 4 || 4));
    const err = await rejectsWith(fresh.authenticate(header(padded)), 'ERR_MALFORMED_HEADER');
    expect(err.reason).toBe('invalid_characters');
    // A '+' (standard base64) is token68 but not base64url: refused by the JWT path.
    const plus = withSegment(real, 2, `+${real.split('.')[2]!.slice(1)}`);
    const err2 = await rejectsWith(fresh.authenticate(header(plus)), 'ERR_TOKEN_MALFORMED');
    expect(err2.reason).toBe('base64url_not_canonical');
    // The 16 spellings and the '+' one reached the JWT path; the padded one stopped at the header.
    expect(fresh.stats().jwtVerifications).toBe(17);
    await fresh.close();
  });
});

describe('confirmation claims the validator cannot enforce are refused (issue 12 item 9)', () => {
  const t = () => Math.floor(Date.now() / 1000);
  const claims = (cnf: unknown) => ({
    iss: ctl.url,
    sub: 'u',
    aud: RESOURCE,
    client_id: 'c',
    scope: 'mcp:read',
    iat: t(),
    exp: t() + 600,
    cnf,
  });

  it.each([
    ['an object with jkt (DPoP)', { jkt: 'abc' }],
    ['an object with x5t#S256 (mTLS)', { 'x5t#S256': 'abc' }],
    ['an empty object', {}],
    ['a string', 'abc'],
    ['an empty string', ''],
    ['a number', 1],
    ['true', true],
    ['false', false],
    ['null', null],
    ['an array', [{ jkt: 'abc' }]],
  ])('cnf as %s → 401 ERR_NOT_ACCESS_TOKEN (sender_constrained)', async (_name, cnf) => {
    const err = await rejectsWith(ctlV.validate(ctl.sign(claims(cnf))), 'ERR_NOT_ACCESS_TOKEN');
    expect(err).toMatchObject({ claim: 'cnf', reason: 'sender_constrained', status: 401 });
  });

  it('the same token without cnf is accepted (the rule is what decides)', async () => {
    const { cnf: _, ...rest } = claims(undefined);
    await expect(ctlV.validate(ctl.sign(rest))).resolves.toMatchObject({ clientId: 'c' });
  });

  it('an introspection response with cnf (a string) is refused the same way', async () => {
    const opaque = createTokenValidator({
      issuer: ctl.url,
      resource: RESOURCE,
      allowInsecureHttpForLoopback: true,
      tokenFormat: 'opaque',
      introspection: { clientId: 'rs', clientSecret: 's', endpoint: `${ctl.url}/introspect` },
    });
    try {
      ctl.introspection.set('opaque-cnf', { active: true, ...claims('thumbprint') });
      const err = await rejectsWith(opaque.validate('opaque-cnf'), 'ERR_NOT_ACCESS_TOKEN');
      expect(err).toMatchObject({ claim: 'cnf', reason: 'sender_constrained' });
    } finally {
      ctl.introspection.delete('opaque-cnf');
      await opaque.close();
    }
  });
});
