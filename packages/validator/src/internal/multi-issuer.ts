import { base64url } from 'jose';
import { TokenValidationError } from '../errors.js';
import type { AuthInfo, TokenValidatorStats } from '../types.js';
import {
  IssuerValidator,
  type ScopeOption,
  type TokenRouter,
  type TokenSyntax,
} from './issuer-validator.js';
import { assertCanonicalJws } from './jws.js';
import type { ResolvedOptions } from './options.js';
import { looksLikeJwt } from './verifier.js';

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

function malformed(): TokenValidationError {
  return new TokenValidationError('ERR_TOKEN_MALFORMED', 'The token is not a well-formed JWT', {
    reason: 'jws_invalid',
  });
}

/**
 * The `iss` a JWT claims, read without verifying anything: only to choose which issuer's keys
 * and rules verify it. Everything is verified afterwards by that issuer, `iss` included.
 */
export function unverifiedIssuer(token: string): string {
  assertCanonicalJws(token);
  const first = token.indexOf('.');
  const payload = token.slice(first + 1, token.indexOf('.', first + 1));
  let claims: unknown;
  try {
    claims = JSON.parse(strictDecoder.decode(base64url.decode(payload)));
  } catch {
    throw malformed();
  }
  const iss = (claims as { iss?: unknown } | null)?.iss;
  if (typeof claims !== 'object' || claims === null || typeof iss !== 'string') {
    throw new TokenValidationError('ERR_ISSUER_MISMATCH', 'The token has no "iss" claim', {
      claim: 'iss',
      reason: 'missing',
    });
  }
  return iss;
}

/**
 * Several authorization servers for one resource: one {@link IssuerValidator} per issuer (own
 * metadata, keys, caches and rules; nothing shared but the configuration of the resource). A
 * cached token is answered by the validator that cached it; a new JWT goes to the validator of
 * its `iss`, an unlisted `iss` is refused before any network call; other tokens go to the one
 * issuer with introspection (or, without one, to the first issuer, which refuses or runs the
 * custom validator).
 */
export class MultiIssuerRouter implements TokenRouter {
  private readonly validators: IssuerValidator[];
  private readonly byIssuer = new Map<string, IssuerValidator>();
  private readonly opaque: IssuerValidator;

  constructor(configs: readonly ResolvedOptions[]) {
    this.validators = configs.map((cfg) => new IssuerValidator(cfg));
    for (const [i, cfg] of configs.entries()) this.byIssuer.set(cfg.issuer, this.validators[i]!);
    const introspecting = configs.findIndex((cfg) => cfg.introspection !== undefined);
    this.opaque = this.validators[introspecting === -1 ? 0 : introspecting]!;
  }

  /** The answer of the validator that cached `token`, or undefined. */
  cached(token: string, o: ScopeOption): Promise<AuthInfo> | undefined {
    for (const v of this.validators) {
      const hit = v.cached(token, o);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  validateToken(token: string, o: ScopeOption, syntax: TokenSyntax): Promise<AuthInfo> {
    const hit = this.cached(token, o);
    if (hit !== undefined) return hit;
    if (typeof token !== 'string' || !looksLikeJwt(token)) {
      return this.opaque.validateToken(token, o, syntax);
    }
    let validator: IssuerValidator | undefined;
    try {
      validator = this.byIssuer.get(unverifiedIssuer(token));
    } catch (err) {
      return Promise.reject(err);
    }
    if (validator === undefined) {
      return Promise.reject(
        new TokenValidationError(
          'ERR_ISSUER_MISMATCH',
          'The token was issued by an issuer this server does not accept',
          { claim: 'iss', reason: 'unknown_issuer' },
        ),
      );
    }
    return validator.validateToken(token, o, syntax);
  }

  async evict(token: string): Promise<void> {
    await Promise.all(this.validators.map((v) => v.evict(token)));
  }

  /** The sum over the issuers. */
  stats(): TokenValidatorStats {
    const total: TokenValidatorStats = {
      jwtVerifications: 0,
      introspections: 0,
      jwksFetches: 0,
      discoveries: 0,
      cache: { hits: 0, misses: 0, loads: 0, coalesced: 0, negativeHits: 0, size: 0 },
    };
    for (const v of this.validators) {
      const s = v.stats();
      total.jwtVerifications += s.jwtVerifications;
      total.introspections += s.introspections;
      total.jwksFetches += s.jwksFetches;
      total.discoveries += s.discoveries;
      for (const k of Object.keys(total.cache) as (keyof TokenValidatorStats['cache'])[]) {
        total.cache[k] += s.cache[k];
      }
    }
    return total;
  }

  async close(): Promise<void> {
    await Promise.all(this.validators.map((v) => v.close()));
  }
}
