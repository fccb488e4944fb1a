import { TokenValidationError } from '../errors.js';
import { introspectToken } from '../introspection.js';
import { type VerifiedJwt, verifyJwt } from '../jwt.js';
import { runCustomValidator } from './custom.js';
import {
  acceptClaims,
  type CachedAuth,
  type EntryRules,
  type JwsKeyId,
  type TokenType,
} from './entry.js';
import { IntrospectionLimits } from './introspection-limits.js';
import type { IssuerClient } from './issuer-client.js';
import { isTokenRejection } from './load-policy.js';
import type { ResolvedOptions } from './options.js';

/** Three non-empty-prefix segments: the shape of a JWS compact serialisation. */
export function looksLikeJwt(token: string): boolean {
  const first = token.indexOf('.');
  if (first <= 0) return false;
  const second = token.indexOf('.', first + 1);
  return second > first && token.indexOf('.', second + 1) === -1;
}

/**
 * The key a verified JWT names (jose checked `alg` is a string; `kid` a string when present). One
 * object per checked header: every token of one issuer key shares its header object (jws.ts).
 */
const keyIds = new WeakMap<object, JwsKeyId>();

function keyId(jwt: VerifiedJwt): JwsKeyId {
  const known = keyIds.get(jwt.header);
  if (known !== undefined) return known;
  const { alg, kid } = jwt.header;
  const id = Object.freeze({ alg: alg as string, kid: typeof kid === 'string' ? kid : undefined });
  keyIds.set(jwt.header, id);
  return id;
}

function malformed(message: string): TokenValidationError {
  return new TokenValidationError('ERR_TOKEN_MALFORMED', message, { reason: 'not_a_jwt' });
}

/**
 * Verifies a token that is not in any cache: decides how (`tokenFormat`, the token's shape,
 * whether introspection and a custom validator are configured), then runs exactly one of three
 * paths, each ending in {@link acceptClaims}:
 *
 * - JWT: {@link verifyJwt} (the one signature path), then the custom validator if any;
 * - opaque: RFC 7662 introspection, then the custom validator if any;
 * - custom: the custom validator alone supplies the claims.
 */
export class TokenVerifier {
  /** Signature verifications started (for stats). */
  jwtVerifications = 0;
  /** Introspection requests started (for stats). */
  introspections = 0;

  /** Bounds of the introspection traffic (only when introspection is configured). */
  readonly limits: IntrospectionLimits | undefined;

  constructor(
    private readonly cfg: ResolvedOptions,
    private readonly rules: EntryRules,
    private readonly issuer: IssuerClient,
  ) {
    const i = cfg.introspection;
    this.limits =
      i === undefined
        ? undefined
        : new IntrospectionLimits({
            maxConcurrent: i.maxConcurrent,
            maxPerSecond: i.maxPerSecond,
            failureTtlSeconds: i.failureTtlSeconds,
            failureMaxEntries: 10_000,
            now: cfg.now,
          });
  }

  /** The path a token takes. */
  private route(token: string): TokenType | TokenValidationError {
    const { tokenFormat: format, introspection, customValidator } = this.cfg;
    const jwtShaped = looksLikeJwt(token);
    if (
      format === 'custom' ||
      (format === 'auto' && !jwtShaped && introspection === undefined && customValidator)
    ) {
      return 'custom';
    }
    if (format === 'jwt' || (format === 'auto' && jwtShaped)) {
      return jwtShaped ? 'jwt' : malformed('The token is not a JWT (three segments)');
    }
    if (introspection === undefined) {
      return malformed('The token is not a JWT and token introspection is not configured');
    }
    return 'opaque';
  }

  /**
   * The token's entry: a value when it was verified synchronously (a JWT checked in place, see
   * `verifyJwt`), else a promise. Throws or rejects with the `TokenValidationError`.
   * `canonicalJws`: the caller already found the token a canonical compact JWS.
   */
  verify(token: string, canonicalJws = false): CachedAuth | Promise<CachedAuth> {
    const route = this.route(token);
    switch (route) {
      case 'jwt':
        return this.verifyJwtToken(token, canonicalJws);
      case 'opaque':
        return this.verifyOpaqueToken(token);
      case 'custom':
        return this.verifyCustomToken(token);
      default:
        throw route;
    }
  }

  /** The common cold path (a JWT, no custom validator): synchronous when checked in place. */
  private verifyJwtToken(token: string, canonicalJws: boolean): CachedAuth | Promise<CachedAuth> {
    this.jwtVerifications++;
    const { jwtKeys } = this.issuer;
    const verified = verifyJwt(token, jwtKeys, this.cfg.jwt, this.cfg.now, canonicalJws);
    if (this.cfg.customValidator !== undefined) {
      return Promise.resolve(verified).then(this.acceptJwtWithCustom);
    }
    return verified instanceof Promise ? verified.then(this.acceptJwt) : this.acceptJwt(verified);
  }

  private readonly acceptJwt = (jwt: VerifiedJwt): CachedAuth =>
    acceptClaims(this.rules, jwt.token, 'jwt', jwt.claims, undefined, this.cfg.now(), keyId(jwt));

  private readonly acceptJwtWithCustom = async (jwt: VerifiedJwt): Promise<CachedAuth> => {
    const custom = await this.runCustom(
      jwt.token,
      'jwt',
      jwt.claims,
      jwt.header as Record<string, unknown>,
    );
    return acceptClaims(
      this.rules,
      jwt.token,
      'jwt',
      jwt.claims,
      custom,
      this.cfg.now(),
      keyId(jwt),
    );
  };

  /**
   * RFC 7662 introspection, bounded: a token refused recently is refused again without a request;
   * beyond the concurrency or rate cap the answer is 503 with `Retry-After` and no request.
   */
  private async verifyOpaqueToken(token: string): Promise<CachedAuth> {
    const limits = this.limits!;
    const remembered = limits.rememberedFailure(token);
    if (remembered !== undefined) throw remembered;
    const settings = await this.issuer.introspectionSettings();
    limits.acquire();
    this.introspections++;
    try {
      let claims: Record<string, unknown>;
      try {
        claims = await introspectToken(token, settings, this.cfg.http, this.cfg.logger);
      } finally {
        limits.release();
      }
      const custom = await this.runCustom(token, 'opaque', claims, undefined);
      return acceptClaims(this.rules, token, 'opaque', claims, custom, this.cfg.now());
    } catch (err) {
      if (isTokenRejection(err)) limits.rememberFailure(token, err);
      throw err;
    }
  }

  private async verifyCustomToken(token: string): Promise<CachedAuth> {
    const result = await this.runCustom(token, 'custom', undefined, undefined);
    if (result === undefined || typeof result.claims !== 'object' || result.claims === null) {
      throw new TokenValidationError(
        'ERR_CUSTOM_VALIDATION_FAILED',
        'The token was not recognised',
        {
          reason: 'no_claims',
        },
      );
    }
    const { claims, ...rest } = result;
    return acceptClaims(this.rules, token, 'custom', { ...claims }, rest, this.cfg.now());
  }

  private runCustom(
    token: string,
    tokenType: TokenType,
    claims: Record<string, unknown> | undefined,
    header: Record<string, unknown> | undefined,
  ) {
    const custom = this.cfg.customValidator;
    if (custom === undefined) return Promise.resolve(undefined);
    return runCustomValidator(custom, token, {
      tokenType,
      claims,
      header,
      issuer: this.cfg.issuer,
      resource: this.cfg.resource,
    });
  }
}
