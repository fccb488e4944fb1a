import { canonicalizeResourceUri } from '@mcp-auth/discovery';
import { TokenValidationError } from '../errors.js';
import type { ValidatorProfile } from '../profiles/types.js';
import { extractScopes } from '../scopes.js';

/** Everything the claim checks need, resolved once at construction. */
export interface ClaimRules {
  issuer: string;
  /** The canonical resource and every accepted audience (canonicalised when it is a URL). */
  audiences: ReadonlySet<string>;
  strictAudience: boolean;
  allowedClientIds: ReadonlySet<string> | undefined;
  profile: ValidatorProfile;
  clockToleranceSeconds: number;
  maxTokenAgeSeconds: number | undefined;
  /**
   * DPoP is enabled: a `cnf` of exactly `{ jkt }` is accepted here and enforced per request
   * against the proof key (`src/dpop/`). False: any `cnf` is refused.
   */
  acceptDpopBinding?: boolean;
}

/** What the claim checks extract from a valid claim set. */
export interface CheckedClaims {
  clientId: string;
  scopes: string[];
  subject: string | undefined;
  /** `exp`, seconds. */
  expiresAt: number;
}

/**
 * An audience value as we compare it: its canonical form when it is an absolute http(s) URL
 * written canonically (only scheme/host case and the default port may differ), verbatim
 * otherwise. A URL written in any spelling a parser would rewrite (`/x/../mcp`, `%2e%2e`,
 * TAB/LF, `127.1`, `0x7f.0.0.1`, full-width digits) stays verbatim and so never equals the
 * resource: the comparison is a string comparison.
 */
export function normaliseAudience(value: string): string {
  if (!/^https?:\/\//i.test(value)) return value;
  try {
    return canonicalizeResourceUri(value);
  } catch {
    return value;
  }
}

function invalid(claim: string, message: string, reason = 'invalid'): TokenValidationError {
  return new TokenValidationError('ERR_CLAIM_INVALID', message, { claim, reason });
}

function numericDate(claims: Readonly<Record<string, unknown>>, claim: string): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(claim, `The "${claim}" claim must be a number of seconds`);
  }
  return value;
}

/** Claims of ID tokens that never appear in access tokens. */
const ID_TOKEN_MARKERS = ['nonce', 'at_hash', 'c_hash', 's_hash'] as const;

/**
 * Refuses ID tokens and other non-access tokens: OpenID Connect ID tokens are signed by the same
 * keys, and their hash and nonce claims never appear in access tokens; `token_use` (Cognito) must
 * be `access` when present. Confirmation claims (`cnf`) are {@link checkConfirmation}'s.
 */
export function assertNotIdToken(claims: Readonly<Record<string, unknown>>): void {
  for (const marker of ID_TOKEN_MARKERS) {
    if (claims[marker] !== undefined) {
      throw new TokenValidationError('ERR_NOT_ACCESS_TOKEN', 'An ID token is not an access token', {
        claim: marker,
        reason: 'id_token',
      });
    }
  }
  if (claims.token_use !== undefined && claims.token_use !== 'access') {
    throw new TokenValidationError('ERR_NOT_ACCESS_TOKEN', 'The token is not an access token', {
      claim: 'token_use',
      reason: claims.token_use === 'id' ? 'id_token' : 'token_use',
    });
  }
}

/** A JWK SHA-256 thumbprint (RFC 7638) as base64url: 43 characters. */
const JKT = /^[A-Za-z0-9_-]{43}$/;

/**
 * RFC 7800 confirmation (RFC 9449 §6 DPoP `jkt`, RFC 8705 §3 mTLS `x5t#S256`, or any other
 * shape). Without DPoP no confirmation method is enforced, so a token that carries one, of any
 * type (object, string, null, …), is refused rather than accepted as a plain Bearer token. With
 * DPoP, exactly `{ jkt: <thumbprint> }` passes here; the per-request check binds it to the proof
 * key, and refuses it as Bearer. Any other member (mTLS, unknown) is still refused: we cannot
 * enforce it.
 */
export function checkConfirmation(
  claims: Readonly<Record<string, unknown>>,
  acceptDpopBinding: boolean | undefined,
): void {
  const cnf = claims.cnf;
  if (cnf === undefined) return;
  if (
    acceptDpopBinding === true &&
    typeof cnf === 'object' &&
    cnf !== null &&
    !Array.isArray(cnf) &&
    Object.keys(cnf).length === 1 &&
    typeof (cnf as { jkt?: unknown }).jkt === 'string' &&
    JKT.test((cnf as { jkt: string }).jkt)
  ) {
    return;
  }
  throw new TokenValidationError(
    'ERR_NOT_ACCESS_TOKEN',
    acceptDpopBinding === true
      ? 'The token has a confirmation claim other than a DPoP key thumbprint'
      : 'A sender-constrained (DPoP or mTLS) token cannot be used as a Bearer token',
    { claim: 'cnf', reason: 'sender_constrained' },
  );
}

/**
 * The claim rules shared by JWTs, introspection responses and custom tokens: issuer, access-token
 * type, times, audience or client binding, scopes. Signature checks happen before; scope
 * *requirements* after (they depend on the request).
 */
export function checkAccessTokenClaims(
  claims: Readonly<Record<string, unknown>>,
  rules: ClaimRules,
  nowSeconds: number,
  kind: 'jwt' | 'opaque' | 'custom',
): CheckedClaims {
  // Issuer: exact string equality with the configured (and discovered) issuer. Required in JWTs
  // (RFC 9068 §4); optional in introspection responses and custom tokens, but exact when present.
  const iss = claims.iss;
  if (iss === undefined) {
    if (kind === 'jwt') {
      throw new TokenValidationError('ERR_ISSUER_MISMATCH', 'The token has no "iss" claim', {
        claim: 'iss',
        reason: 'missing',
      });
    }
  } else if (iss !== rules.issuer) {
    throw new TokenValidationError(
      'ERR_ISSUER_MISMATCH',
      'The token was issued by another issuer',
      {
        claim: 'iss',
        reason: 'check_failed',
      },
    );
  }

  assertNotIdToken(claims);
  checkConfirmation(claims, rules.acceptDpopBinding);
  if (rules.profile.checkClaims !== undefined) {
    try {
      rules.profile.checkClaims(claims);
    } catch (err) {
      if (err instanceof TokenValidationError) throw err;
      // A custom profile's check failed with its own error type: still a typed rejection.
      throw new TokenValidationError(
        'ERR_CLAIM_INVALID',
        `The token fails the "${rules.profile.name}" profile checks`,
        {
          reason: 'profile',
          cause: err,
        },
      );
    }
  }

  // Times.
  const tolerance = rules.clockToleranceSeconds;
  const exp = numericDate(claims, 'exp');
  if (exp === undefined) throw invalid('exp', 'The token has no "exp" claim', 'missing');
  if (exp <= nowSeconds - tolerance) {
    throw new TokenValidationError('ERR_TOKEN_EXPIRED', 'The token has expired', {
      claim: 'exp',
      reason: 'check_failed',
    });
  }
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && nbf > nowSeconds + tolerance) {
    throw new TokenValidationError('ERR_TOKEN_NOT_YET_VALID', 'The token is not valid yet (nbf)', {
      claim: 'nbf',
      reason: 'check_failed',
    });
  }
  const iat = numericDate(claims, 'iat');
  if (iat !== undefined && iat > nowSeconds + tolerance) {
    throw new TokenValidationError(
      'ERR_TOKEN_NOT_YET_VALID',
      'The token was issued in the future (iat)',
      {
        claim: 'iat',
        reason: 'check_failed',
      },
    );
  }
  if (rules.maxTokenAgeSeconds !== undefined) {
    if (iat === undefined) throw invalid('iat', 'The token has no "iat" claim', 'missing');
    if (nowSeconds - iat - tolerance > rules.maxTokenAgeSeconds) {
      throw new TokenValidationError(
        'ERR_TOKEN_TOO_OLD',
        'The token is older than maxTokenAgeSeconds',
        {
          claim: 'iat',
          reason: 'check_failed',
        },
      );
    }
  }

  const sub = claims.sub;
  if (sub !== undefined && typeof sub !== 'string')
    throw invalid('sub', 'The "sub" claim must be a string');

  // Client id: the first of the profile's claims that is present.
  let clientId = '';
  for (const name of rules.profile.clientIdClaims) {
    const value = claims[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalid(name, `The "${name}" claim must be a string`);
    clientId = value;
    break;
  }

  // Audience (RFC 8707, RFC 9068 §4): exact match after canonicalisation. No prefix, no origin
  // match, no "any audience". A present `aud` must name us even when the client binding is in use.
  const aud = claims.aud;
  if (aud === undefined) {
    if (rules.strictAudience) {
      throw new TokenValidationError('ERR_AUDIENCE_MISMATCH', 'The token has no "aud" claim', {
        claim: 'aud',
        reason: 'missing',
      });
    }
  } else {
    let ours: boolean;
    if (typeof aud === 'string') {
      // The common case (one audience): no array, no closure.
      ours = rules.audiences.has(aud) || rules.audiences.has(normaliseAudience(aud));
    } else {
      if (!Array.isArray(aud) || aud.length === 0 || aud.some((v) => typeof v !== 'string')) {
        throw invalid('aud', 'The "aud" claim must be a string or a non-empty array of strings');
      }
      ours = false;
      for (const value of aud as string[]) {
        if (rules.audiences.has(value) || rules.audiences.has(normaliseAudience(value))) {
          ours = true;
          break;
        }
      }
    }
    if (!ours) {
      throw new TokenValidationError(
        'ERR_AUDIENCE_MISMATCH',
        'The token was issued for another resource',
        {
          claim: 'aud',
          reason: 'check_failed',
        },
      );
    }
  }
  if (rules.allowedClientIds !== undefined && !rules.allowedClientIds.has(clientId)) {
    throw new TokenValidationError(
      'ERR_CLIENT_NOT_ALLOWED',
      'The token was issued to a client that is not allowed',
      {
        claim: rules.profile.clientIdClaims[0] ?? 'client_id',
        reason: clientId === '' ? 'missing' : 'check_failed',
      },
    );
  }

  const scopes = extractScopes(claims, rules.profile.extraScopeClaims);
  return { clientId, scopes, subject: sub as string | undefined, expiresAt: exp };
}
