import { numberAtLeast } from '@mcp-auth/internal';
import { type JwsAlgorithm, SUPPORTED_ALGORITHMS } from '../jwt.js';
import { DpopNonces } from './nonce.js';
import { type DpopReplayStore, memoryDpopReplayStore } from './replay-store.js';

/** The `dpop` option of `createTokenValidator` (RFC 9449). */
export interface DpopOptions {
  /**
   * `disabled` (the default): DPoP-bound tokens are refused, the `DPoP` scheme is not accepted.
   * `allowed`: Bearer tokens and DPoP-bound tokens with a proof. `required`: DPoP only.
   */
  mode: 'disabled' | 'allowed' | 'required';
  /** Proof algorithms accepted (asymmetric only; `none` and HMAC are a `TypeError`). Default: every supported one. */
  algorithms?: JwsAlgorithm[];
  /** How old a proof's `iat` may be, in seconds; also how long its `jti` is remembered. Default 60. */
  iatWindowSeconds?: number;
  /** How far in the future a proof's `iat` may be (clock skew), in seconds. Default 5. */
  clockSkewSeconds?: number;
  /** Longest `DPoP` header accepted, in characters. Default 8192. */
  maxProofLength?: number;
  /**
   * Server nonces (RFC 9449 §9): `DPoP-Nonce` is HMAC-SHA-256(secret, time window), so every
   * instance with the same secret accepts it. `required` (default true): a proof without the
   * nonce gets `401 use_dpop_nonce` with a fresh `DPoP-Nonce`.
   */
  nonce?: { secret: string | Uint8Array; rotationSeconds?: number; required?: boolean };
  /**
   * Where proof `jti`s are remembered. Default: in-process (`memoryDpopReplayStore()`). Required
   * when `cache.store` is a shared store: use `redisDpopReplayStore({ client })` so a proof
   * replayed to another instance is refused.
   */
  replayStore?: DpopReplayStore;
}

/** `dpop` after validation and defaults (mode `allowed` or `required`). */
export interface ResolvedDpop {
  mode: 'allowed' | 'required';
  algorithms: readonly string[];
  iatWindowSeconds: number;
  clockSkewSeconds: number;
  maxProofLength: number;
  nonces: DpopNonces | undefined;
  nonceRequired: boolean;
  replayStore: DpopReplayStore;
  /** We created the replay store: close it with the validator. */
  ownsReplayStore: boolean;
}

function resolveNonce(
  value: DpopOptions['nonce'],
  now: () => number,
): { nonces: DpopNonces | undefined; required: boolean } {
  if (value === undefined) return { nonces: undefined, required: false };
  if (value === null || typeof value !== 'object') {
    throw new TypeError('"dpop.nonce" must be an object { secret, rotationSeconds?, required? }');
  }
  const secret =
    typeof value.secret === 'string' ? new TextEncoder().encode(value.secret) : value.secret;
  if (!(secret instanceof Uint8Array) || secret.length < 32) {
    throw new TypeError('"dpop.nonce.secret" must be a string or bytes of at least 32 bytes');
  }
  const rotation = numberAtLeast(value.rotationSeconds, 'dpop.nonce.rotationSeconds', {
    fallback: 300,
    min: 1,
  });
  const required = value.required ?? true;
  if (typeof required !== 'boolean') throw new TypeError('"dpop.nonce.required" must be a boolean');
  return { nonces: new DpopNonces(new Uint8Array(secret), rotation * 1000, now), required };
}

/**
 * Validates the `dpop` option (a `TypeError` naming the option) and applies the defaults;
 * `undefined` when DPoP is disabled.
 */
export function resolveDpopOptions(
  value: unknown,
  shared: { sharedCacheStore: boolean; now: () => number },
): ResolvedDpop | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError('"dpop" must be an object { mode, … }');
  }
  const o = value as DpopOptions;
  if (o.mode !== 'disabled' && o.mode !== 'allowed' && o.mode !== 'required') {
    throw new TypeError('"dpop.mode" must be "disabled", "allowed" or "required"');
  }
  if (o.mode === 'disabled') return undefined;
  const algorithms = o.algorithms ?? [...SUPPORTED_ALGORITHMS];
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError('"dpop.algorithms" must be a non-empty array');
  }
  for (const alg of algorithms) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new TypeError(
        `"dpop.algorithms": ${JSON.stringify(alg)} is not an asymmetric JWS algorithm (none and HMAC are never accepted)`,
      );
    }
  }
  const replay = o.replayStore;
  if (replay !== undefined && (typeof replay !== 'object' || typeof replay?.add !== 'function')) {
    throw new TypeError('"dpop.replayStore" must be a DpopReplayStore ({ add(key, ttlMs) })');
  }
  if (replay === undefined && shared.sharedCacheStore) {
    throw new TypeError(
      '"dpop.replayStore" is required with a shared "cache.store": use redisDpopReplayStore({ client }) so a proof replayed to another instance is refused',
    );
  }
  const maxProofLength = numberAtLeast(o.maxProofLength, 'dpop.maxProofLength', {
    fallback: 8192,
    min: 64,
  });
  if (!Number.isInteger(maxProofLength)) {
    throw new TypeError('"dpop.maxProofLength" must be an integer');
  }
  const nonce = resolveNonce(o.nonce, shared.now);
  return {
    mode: o.mode,
    algorithms: Object.freeze([...new Set(algorithms)]),
    iatWindowSeconds: numberAtLeast(o.iatWindowSeconds, 'dpop.iatWindowSeconds', {
      fallback: 60,
      min: 1,
    }),
    clockSkewSeconds: numberAtLeast(o.clockSkewSeconds, 'dpop.clockSkewSeconds', {
      fallback: 5,
      min: 0,
    }),
    maxProofLength,
    nonces: nonce.nonces,
    nonceRequired: nonce.required,
    replayStore: replay ?? memoryDpopReplayStore({ now: shared.now }),
    ownsReplayStore: replay === undefined,
  };
}
