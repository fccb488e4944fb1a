import { type Cache, createCache, hashKey } from '@mcp-auth/cache';
import { TokenValidationError } from '../errors.js';

/** Bounds on the traffic the validator sends to the introspection endpoint. */
export interface IntrospectionLimitSettings {
  /** Introspection requests in flight at once. */
  maxConcurrent: number;
  /** Sustained requests per second (a token bucket holding one second's worth). */
  maxPerSecond: number;
  /** How long a token the endpoint refused is remembered (by hash); 0: not at all. */
  failureTtlSeconds: number;
  /** How many refused tokens are remembered. */
  failureMaxEntries: number;
  now: () => number;
}

function busy(reason: string, retryAfterSeconds: number): TokenValidationError {
  return new TokenValidationError(
    'ERR_AUTH_SERVER_UNAVAILABLE',
    'Too many token introspections in progress; retry later',
    { reason, retryAfterSeconds },
  );
}

/**
 * What stops a flood of random opaque tokens from becoming a flood of introspection requests:
 * tokens the endpoint refused are remembered by hash for a short time (answered without a
 * request), and requests are capped in concurrency and rate; beyond either cap the validator
 * answers 503 with `Retry-After` at once and sends nothing upstream.
 */
export class IntrospectionLimits {
  private inFlight = 0;
  private tokens: number;
  private refilledAt: number;
  private readonly failures: Cache<TokenValidationError> | undefined;

  constructor(private readonly o: IntrospectionLimitSettings) {
    this.tokens = o.maxPerSecond;
    this.refilledAt = o.now();
    this.failures =
      o.failureTtlSeconds > 0
        ? createCache<TokenValidationError>({
            maxEntries: o.failureMaxEntries,
            ttlSeconds: o.failureTtlSeconds,
            negative: false,
            now: o.now,
            name: 'validator-introspection-failures',
          })
        : undefined;
  }

  /** The remembered refusal of `token`, if the endpoint refused it recently. */
  rememberedFailure(token: string): TokenValidationError | undefined {
    return this.failures?.peek(hashKey(token));
  }

  /** Remembers that the endpoint refused `token` (a property of the token, not an outage). */
  rememberFailure(token: string, err: TokenValidationError): void {
    void this.failures?.set(hashKey(token), err).catch(() => {});
  }

  forget(token: string): void {
    void this.failures?.delete(hashKey(token)).catch(() => {});
  }

  /** Takes a slot for one request, or throws the 503 that replaces it. Call `release()` after. */
  acquire(): void {
    if (this.inFlight >= this.o.maxConcurrent) throw busy('introspection_concurrency', 1);
    const now = this.o.now();
    const rate = this.o.maxPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
    if (this.tokens < 1) {
      throw busy('introspection_rate', Math.max(1, Math.ceil((1 - this.tokens) / rate)));
    }
    this.tokens -= 1;
    this.inFlight++;
  }

  release(): void {
    this.inFlight--;
  }

  close(): Promise<void> {
    return this.failures?.close() ?? Promise.resolve();
  }
}
