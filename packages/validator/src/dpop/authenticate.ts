import { hashKey } from '@mcp-auth/cache';
import {
  type Credentials,
  extractCredentials,
  type HeaderSource,
  headerValues,
} from '../bearer.js';
import {
  type DpopChallenge,
  isTokenValidationError,
  TokenValidationError,
  withDpopChallenge,
} from '../errors.js';
import type { TokenRouter } from '../internal/issuer-validator.js';
import type { AuthInfo } from '../types.js';
import { requestHtu } from './htu.js';
import type { ResolvedDpop } from './options.js';
import { ProofKeyCache, type VerifiedDpopProof, verifyDpopProof } from './proof.js';

/** The per-call options of `authenticate` with DPoP. */
export interface DpopCallOptions {
  requiredScopes?: string[];
  /** The request's public URL (for `htu`), when it is not the resource origin + the request path. */
  url?: string;
}

/** `cnf.jkt` of a validated token, or undefined. */
export function boundKey(auth: AuthInfo): string | undefined {
  const cnf = (auth.extra?.claims as { cnf?: { jkt?: unknown } } | undefined)?.cnf;
  return typeof cnf?.jkt === 'string' ? cnf.jkt : undefined;
}

/** A DPoP-bound token without its proof (Bearer scheme, `validate`, the SDK verifier): refused. */
export function refuseBoundToken(auth: AuthInfo): AuthInfo {
  if (boundKey(auth) !== undefined) {
    throw new TokenValidationError(
      'ERR_DPOP_BOUND_TOKEN_AS_BEARER',
      'A DPoP-bound token must be presented with the DPoP scheme and a proof',
      { claim: 'cnf', reason: 'downgrade' },
    );
  }
  return auth;
}

function methodOf(req: unknown): string | undefined {
  const method = (req as { method?: unknown } | null)?.method;
  return typeof method === 'string' ? method.toUpperCase() : undefined;
}

/**
 * `authenticate()` of a validator with `dpop.mode` `allowed` or `required` (RFC 9449 §7): reads
 * `Authorization: Bearer|DPoP`, verifies the one `DPoP` proof against the request, the token and
 * the server nonce, remembers its `jti` (replays refused, fail closed), validates the token through
 * the usual path (cached tokens cost a lookup), and binds them: `cnf.jkt` must be the proof key's
 * thumbprint. Every failure carries the DPoP challenge (`WWW-Authenticate: Bearer …, DPoP algs=…`,
 * `DPoP-Nonce`).
 */
export class DpopAuthenticator {
  private readonly resourceOrigin: string;
  private readonly keys = new ProofKeyCache();

  constructor(
    private readonly cfg: ResolvedDpop,
    private readonly router: TokenRouter,
    private readonly o: { resource: string; maxTokenLength: number; now: () => number },
  ) {
    this.resourceOrigin = new URL(o.resource).origin;
  }

  async authenticate(req: unknown, s: DpopCallOptions | undefined): Promise<AuthInfo> {
    let scheme: Credentials['scheme'] = 'Bearer';
    try {
      const credentials = extractCredentials(req as HeaderSource, {
        maxLength: this.o.maxTokenLength,
      });
      scheme = credentials.scheme;
      const scopes =
        s?.requiredScopes === undefined ? undefined : { requiredScopes: s.requiredScopes };
      if (scheme === 'Bearer') return await this.bearer(credentials.token, scopes);
      return await this.dpop(req, credentials.token, scopes, s?.url);
    } catch (err) {
      throw isTokenValidationError(err) ? await this.decorate(err, scheme) : err;
    }
  }

  private async bearer(token: string, scopes: { requiredScopes: string[] } | undefined) {
    if (this.cfg.mode === 'required') {
      throw new TokenValidationError(
        'ERR_DPOP_REQUIRED',
        'This resource accepts only DPoP-bound tokens (Authorization: DPoP)',
        { reason: 'bearer_scheme' },
      );
    }
    return refuseBoundToken(await this.router.validateToken(token, scopes, 'token68'));
  }

  private async dpop(
    req: unknown,
    token: string,
    scopes: { requiredScopes: string[] } | undefined,
    url: string | undefined,
  ): Promise<AuthInfo> {
    const proof = await this.verifyProof(req, token, url);
    const auth = await this.router.validateToken(token, scopes, 'token68');
    const jkt = boundKey(auth);
    if (jkt === undefined) {
      throw new TokenValidationError(
        'ERR_DPOP_TOKEN_NOT_BOUND',
        'The token is not bound to a DPoP key (no cnf.jkt)',
        { claim: 'cnf', reason: 'not_bound' },
      );
    }
    if (jkt !== proof.jkt) {
      throw new TokenValidationError(
        'ERR_DPOP_KEY_MISMATCH',
        'The token is bound to another key than the DPoP proof',
        { claim: 'cnf', reason: 'jkt_mismatch' },
      );
    }
    return Object.freeze({
      ...auth,
      extra: Object.freeze({
        ...auth.extra,
        senderConstrained: 'dpop',
        dpop: Object.freeze({ jkt }),
      }),
    }) as AuthInfo;
  }

  /** The one `DPoP` header, verified, its nonce checked, its `jti` recorded. */
  private async verifyProof(
    req: unknown,
    token: string,
    url: string | undefined,
  ): Promise<VerifiedDpopProof> {
    const values =
      typeof req === 'object' && req !== null ? headerValues(req as HeaderSource, 'dpop') : [];
    if (values.length === 0) {
      throw new TokenValidationError(
        'ERR_DPOP_PROOF_MISSING',
        'Authorization: DPoP needs a DPoP proof header',
        { reason: 'missing' },
      );
    }
    // A Fetch Headers joins repeated headers with ", ": a JWS never contains a comma.
    if (values.length > 1 || values[0]!.includes(',')) {
      throw new TokenValidationError('ERR_DPOP_MULTIPLE_PROOFS', 'More than one DPoP header', {
        reason: 'multiple_headers',
      });
    }
    const raw = values[0]!.trim();
    if (raw.length > this.cfg.maxProofLength) {
      throw new TokenValidationError(
        'ERR_DPOP_PROOF_TOO_LARGE',
        `The DPoP proof is longer than ${this.cfg.maxProofLength} characters`,
        { reason: 'too_large' },
      );
    }
    const nowMs = this.o.now();
    const proof = await verifyDpopProof(
      raw,
      this.cfg,
      {
        method: methodOf(req) ?? '',
        htu: requestHtu(req, this.resourceOrigin, url),
        accessToken: token,
        nowMs,
      },
      this.keys,
    );
    await this.checkNonce(proof.nonce);
    await this.remember(proof, nowMs);
    return proof;
  }

  private async checkNonce(nonce: string | undefined): Promise<void> {
    const nonces = this.cfg.nonces;
    if (nonces === undefined) return;
    if (nonce === undefined) {
      if (!this.cfg.nonceRequired) return;
      throw new TokenValidationError(
        'ERR_DPOP_NONCE_INVALID',
        'The DPoP proof needs the server nonce',
        {
          claim: 'nonce',
          reason: 'missing',
        },
      );
    }
    if (!(await nonces.accepts(nonce))) {
      throw new TokenValidationError(
        'ERR_DPOP_NONCE_INVALID',
        'The DPoP nonce is stale or unknown',
        {
          claim: 'nonce',
          reason: 'stale',
        },
      );
    }
  }

  /** Records the proof's `jti` (per key) for as long as its `iat` is acceptable; a replay is refused. */
  private async remember(proof: VerifiedDpopProof, nowMs: number): Promise<void> {
    const ttlMs = Math.max(1000, (proof.iat + this.cfg.iatWindowSeconds + 1) * 1000 - nowMs);
    let fresh: boolean;
    try {
      fresh = await this.cfg.replayStore.add(hashKey(`${proof.jkt} ${proof.jti}`), ttlMs);
    } catch (err) {
      throw new TokenValidationError(
        'ERR_DPOP_REPLAY_STORE_UNAVAILABLE',
        'The DPoP replay check is unavailable',
        { reason: 'replay_store', retryAfterSeconds: 1, cause: err },
      );
    }
    if (!fresh) {
      throw new TokenValidationError('ERR_DPOP_REPLAYED', 'The DPoP proof was already used', {
        claim: 'jti',
        reason: 'replayed',
      });
    }
  }

  /** The error with this validator's DPoP challenge (and a fresh nonce when nonces are on). */
  private async decorate(err: TokenValidationError, scheme: 'Bearer' | 'DPoP') {
    const nonce = await this.cfg.nonces?.current();
    const challenge: DpopChallenge = {
      mode: this.cfg.mode,
      algs: this.cfg.algorithms,
      scheme,
      ...(nonce === undefined ? {} : { nonce }),
    };
    return withDpopChallenge(err, challenge);
  }

  async close(): Promise<void> {
    if (this.cfg.ownsReplayStore) await this.cfg.replayStore.close?.();
  }
}
