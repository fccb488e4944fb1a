import { type CryptoKey, errors, type JWTHeaderParameters } from 'jose';
import { TokenValidationError } from './errors.js';
import { assertNotIdToken } from './internal/claims.js';
import {
  assertCanonicalJws,
  type CompactJws,
  decodeSegment,
  isPlainObject,
  parseCompactJws,
} from './internal/jws.js';
import {
  beginVerification,
  claimInPlaceSlot,
  endVerification,
  prepareKey,
  verifySignature,
} from './internal/signature.js';

/** Asymmetric JWS algorithms the validator can be configured with. `none` and HMAC never. */
export const SUPPORTED_ALGORITHMS = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const);

/** One of {@link SUPPORTED_ALGORITHMS}. */
export type JwsAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** Resolved JWT settings. */
export interface JwtSettings {
  algorithms: JwsAlgorithm[];
  requireTyp: boolean;
  clockToleranceSeconds: number;
}

/** The key function handed to jose (the issuer's remote key set). */
export type KeyResolver = (header: JWTHeaderParameters) => Promise<CryptoKey> | CryptoKey;

/**
 * The issuer's key function behind the algorithm allowlist: a token whose `alg` is not allowed
 * fails with jose's own `JOSEAlgNotAllowed` before any key is looked up. jose checks `crit` and the
 * presence of `alg` before it calls the key function, and would check the allowlist at the same
 * point, but from an `algorithms` option it builds a new `Set` on every call; this one is built
 * once per validator. The resolver is the only way the validator hands keys to jose.
 * @internal
 */
export function allowlistedKeys(algorithms: readonly string[], keys: KeyResolver): KeyResolver {
  const allowed: ReadonlySet<string> = new Set(algorithms);
  return (header) => {
    if (!allowed.has(header.alg as string)) {
      throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
    }
    return keys(header);
  };
}

function normaliseTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}

/** Maps a jose error to the validator's codes (one place, so every path agrees). */
/** @internal */
export function mapJoseError(err: unknown): TokenValidationError {
  if (err instanceof TokenValidationError) return err;
  const e = err as { code?: unknown; claim?: unknown; reason?: unknown; message?: unknown };
  const claim = typeof e.claim === 'string' ? e.claim : undefined;
  switch (e.code) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new TokenValidationError('ERR_ALG_NOT_ALLOWED', 'The token algorithm is not allowed', {
        claim: 'alg',
        reason: 'not_allowed',
      });
    case 'ERR_JOSE_NOT_SUPPORTED':
      if (typeof e.message === 'string' && e.message.includes('Extension Header Parameter')) {
        return new TokenValidationError(
          'ERR_CRIT_UNSUPPORTED',
          'The token header lists a critical extension this server does not understand',
          { claim: 'crit', reason: 'unsupported' },
        );
      }
      return new TokenValidationError(
        'ERR_ALG_NOT_ALLOWED',
        'The token algorithm is not supported',
        {
          claim: 'alg',
          reason: 'unsupported',
        },
      );
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new TokenValidationError('ERR_SIGNATURE_INVALID', 'The token signature is invalid', {
        reason: 'signature',
      });
    case 'ERR_JWT_EXPIRED':
      return claim === 'iat'
        ? new TokenValidationError('ERR_TOKEN_TOO_OLD', 'The token is too old', {
            claim,
            reason: 'check_failed',
          })
        : new TokenValidationError('ERR_TOKEN_EXPIRED', 'The token has expired', {
            claim: 'exp',
            reason: 'check_failed',
          });
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.reason === 'check_failed' && (claim === 'nbf' || claim === 'iat')) {
        return new TokenValidationError('ERR_TOKEN_NOT_YET_VALID', 'The token is not valid yet', {
          claim,
          reason: 'check_failed',
        });
      }
      return new TokenValidationError(
        'ERR_CLAIM_INVALID',
        `The "${claim ?? 'unknown'}" claim is invalid`,
        {
          ...(claim !== undefined ? { claim } : {}),
          reason: typeof e.reason === 'string' ? e.reason : 'invalid',
        },
      );
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return new TokenValidationError('ERR_TOKEN_MALFORMED', 'The token is not a well-formed JWT', {
        reason: 'jws_invalid',
        cause: err,
      });
    default:
      if (err instanceof TypeError && String(e.message).includes('modulusLength')) {
        return new TokenValidationError('ERR_ALG_NOT_ALLOWED', 'The signing key is too small', {
          claim: 'alg',
          reason: 'key_too_small',
        });
      }
      return new TokenValidationError('ERR_TOKEN_MALFORMED', 'The token could not be verified', {
        reason: 'unexpected',
        cause: err,
      });
  }
}

/** jose's own decoder for JWT claims sets: invalid UTF-8 is an error, never replaced. */
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

function timeClaim(claims: Record<string, unknown>, claim: string): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    throw new errors.JWTClaimValidationFailed(
      `"${claim}" claim must be a number`,
      claims,
      claim,
      'invalid',
    );
  }
  return value;
}

/**
 * What `jwtVerify` adds to `compactVerify` for the options the validator passes (algorithms and
 * clock tolerance; issuer, audience and the rest are our own checks), in jose's order and with
 * jose's errors, so {@link mapJoseError} maps every outcome exactly as before: no unencoded
 * payload (`b64: false`), the payload is strict UTF-8 JSON of a plain object, `iat`/`nbf`/`exp`
 * are numbers when present, `nbf` is not in the future and `exp` not in the past (whole seconds,
 * with the tolerance). One `JSON.parse`, no `Date`, no option parsing per token.
 * @internal
 */
export function parseClaims(
  header: JWTHeaderParameters,
  payload: Uint8Array,
  clockToleranceSeconds: number,
  nowMs: number,
): Record<string, unknown> {
  const crit = header.crit;
  if (Array.isArray(crit) && crit.includes('b64') && header.b64 === false) {
    throw new errors.JWTInvalid('JWTs MUST NOT use unencoded payload');
  }
  let claims: unknown;
  try {
    claims = JSON.parse(strictDecoder.decode(payload));
  } catch (cause) {
    throw new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object', { cause });
  }
  if (!isPlainObject(claims)) {
    throw new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object');
  }
  const now = Math.floor(nowMs / 1000);
  timeClaim(claims, 'iat');
  const nbf = timeClaim(claims, 'nbf');
  if (nbf !== undefined && nbf > now + clockToleranceSeconds) {
    throw new errors.JWTClaimValidationFailed(
      '"nbf" claim timestamp check failed',
      claims,
      'nbf',
      'check_failed',
    );
  }
  const exp = timeClaim(claims, 'exp');
  if (exp !== undefined && exp <= now - clockToleranceSeconds) {
    throw new errors.JWTExpired(
      '"exp" claim timestamp check failed',
      claims,
      'exp',
      'check_failed',
    );
  }
  return claims;
}

/** A JWT whose signature, claims set and header were verified (claims are checked by the caller). */
export interface VerifiedJwt {
  readonly token: string;
  readonly header: JWTHeaderParameters;
  readonly claims: Record<string, unknown>;
}

/**
 * The one JWT verification path of the validator. The JWS part is jose's `compactVerify`, step
 * for step and with jose's errors ({@link parseCompactJws}: header, `crit`, `b64`, `alg`; then
 * the algorithm allowlist of `keys` and the key lookup against the issuer's keys, never keys named
 * by the token: `jku`, `x5u`, `jwk` are ignored; then the key checks and the signature,
 * {@link verifySignature}: on Node with `node:crypto`, synchronously when nothing else is in
 * flight, on the thread pool when much is; WebCrypto elsewhere). Then the claims-set rules of
 * `jwtVerify` ({@link parseClaims}) and explicit typing ({@link checkJwtType}): `typ` must be
 * `at+jwt` when required, any `typ` other than `at+jwt`/`JWT` (a DPoP proof, a logout token, …)
 * is refused always, and ID tokens are refused. Every failure is a `TokenValidationError`
 * ({@link mapJoseError}). The access-token claim rules (issuer, audience, times, binding, scopes)
 * are the caller's, shared with introspection and custom tokens.
 *
 * `keys` must come from {@link allowlistedKeys}: the allowlist is checked there, where jose
 * checks it, before any key lookup.
 *
 * No promise where none is needed: a token whose key is at hand and that may be checked in place
 * ({@link claimInPlaceSlot}: on Node, nothing else in flight, the first such check of this
 * synchronous run) is verified here and now, its result returned or its `TokenValidationError`
 * thrown; otherwise a promise. The cache's single flight takes a synchronous result without a
 * promise or a deadline of its own. `canonicalJws`: the caller already checked the token with
 * `isCanonicalJws` (one scan, not two).
 *
 * @example
 * ```ts
 * const keys = allowlistedKeys(['RS256'], remoteKeySet.getKey);
 * const { header, claims } = await verifyJwt(token, keys, settings, Date.now);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc8725#section-3.11
 */
export function verifyJwt(
  token: string,
  keys: KeyResolver,
  settings: JwtSettings,
  now: () => number,
  canonicalJws = false,
): VerifiedJwt | Promise<VerifiedJwt> {
  let jws: CompactJws;
  let key: CryptoKey | Promise<CryptoKey>;
  try {
    if (!canonicalJws) assertCanonicalJws(token);
    jws = parseCompactJws(token);
    key = keys(jws.header);
  } catch (err) {
    throw mapJoseError(err);
  }
  if (!(key instanceof Promise) && claimInPlaceSlot()) {
    beginVerification();
    return verifyWithKey(token, jws, key, settings, now);
  }
  // Counted before the first hop, so tokens arriving together see each other when the
  // signature backend is chosen (in place alone, the thread pool in a burst).
  beginVerification();
  // One closure per token (the hop); the rest are module functions.
  return Promise.resolve(key).then(
    (k) => verifyWithKey(token, jws, k, settings, now),
    failVerification,
  );
}

/** The signature, then the claims set: in this same hop when the signature check was synchronous. */
function verifyWithKey(
  token: string,
  jws: CompactJws,
  key: CryptoKey,
  settings: JwtSettings,
  now: () => number,
): VerifiedJwt | Promise<VerifiedJwt> {
  let verified: true | Promise<true>;
  try {
    verified = verifySignature(
      prepareKey(jws.header.alg as string, key),
      jws.signingInput,
      jws.signature,
    );
  } catch (err) {
    return failVerification(err);
  }
  return verified === true
    ? finishVerification(token, jws, settings, now)
    : verified.then(() => finishVerification(token, jws, settings, now), failVerification);
}

function finishVerification(
  token: string,
  jws: CompactJws,
  settings: JwtSettings,
  now: () => number,
): VerifiedJwt {
  endVerification();
  try {
    const header = jws.header;
    const payload = decodeSegment(jws.payload);
    const claims = parseClaims(header, payload, settings.clockToleranceSeconds, now());
    checkJwtType(header, claims, settings);
    return { token, header, claims };
  } catch (err) {
    throw mapJoseError(err);
  }
}

function failVerification(err: unknown): never {
  endVerification();
  throw mapJoseError(err);
}

/** Explicit typing (RFC 9068 §4, RFC 8725 §3.11) and ID-token checks after jose verified the signature. @internal */
export function checkJwtType(
  header: JWTHeaderParameters,
  claims: Record<string, unknown>,
  settings: JwtSettings,
): void {
  assertNotIdToken(claims);
  const typ = header.typ;
  if (typ !== undefined || settings.requireTyp) {
    const normalised = typeof typ === 'string' ? normaliseTyp(typ) : undefined;
    const ok =
      normalised === 'application/at+jwt' ||
      (!settings.requireTyp && normalised === 'application/jwt');
    if (!ok) {
      throw new TokenValidationError(
        'ERR_TYP_INVALID',
        settings.requireTyp
          ? 'The token is not an RFC 9068 access token (typ must be at+jwt)'
          : 'The token type (typ) is not an access token type',
        { claim: 'typ', reason: typ === undefined ? 'missing' : 'check_failed' },
      );
    }
  }
}
