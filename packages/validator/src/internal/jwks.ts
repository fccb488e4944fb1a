import { type CryptoKey, createLocalJWKSet, type JWK, type JWSHeaderParameters } from 'jose';
import { TokenValidationError } from '../errors.js';
import { Backoff } from './backoff.js';
import { type HttpSettings, requestAuthServer } from './http.js';
import type { Logger } from './logger.js';
import { SPANS, traced } from './tracing.js';

/** Settings of the issuer's remote key set. */
export interface RemoteKeySetOptions {
  /** Resolves the JWKS URI (configured, or discovered lazily). */
  uri: () => Promise<string>;
  http: HttpSettings;
  timeoutMs: number;
  maxBytes: number;
  /** Keys older than this are refetched before use. */
  maxAgeMs: number;
  /** At most one unknown-`kid` refetch per this interval. */
  cooldownMs: number;
  /** After a failed refresh, the previous keys are used at most this long past `maxAgeMs`. */
  maxStaleMs: number;
  /** Called after a successful refresh that no longer lists keys the previous one had. */
  onKeysRemoved?: (kids: (string | undefined)[]) => void;
  now: () => number;
  logger: Logger;
}

type LocalSet = ReturnType<typeof createLocalJWKSet>;

const ASYMMETRIC_KTY = new Set(['RSA', 'EC', 'OKP']);

function garbage(reason: string, message: string, cause?: unknown): TokenValidationError {
  return new TokenValidationError('ERR_AUTH_SERVER_UNAVAILABLE', message, {
    reason,
    retryAfterSeconds: 5,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The identity of a key selection: `alg` and `kid` exactly as jose matches them (a string `kid`
 * or none). Any other `kid` type is never remembered, so it always goes through jose's checks.
 */
function selectionId(header: JWSHeaderParameters): string | undefined {
  const { alg, kid } = header;
  if (typeof alg !== 'string') return undefined;
  if (kid === undefined) return `${alg}:`;
  return typeof kid === 'string' ? `${alg}:k${kid}` : undefined;
}

/** What identifies a published key across fetches: its id, type and public parameters. */
function keyIdentity(k: JWK): string {
  return JSON.stringify([k.kid, k.kty, k.alg, k.use, k.crv, k.n, k.e, k.x, k.y]);
}

/** The keys of `before` that `after` no longer lists. */
function removedKeys(before: readonly JWK[], after: readonly JWK[]): JWK[] {
  const still = new Set(after.map(keyIdentity));
  return before.filter((k) => !still.has(keyIdentity(k)));
}

/**
 * Parses a JWKS body. Only asymmetric public keys are kept: symmetric (`oct`) members are dropped,
 * so an HMAC algorithm can never find a key, whatever the allowlist says; members carrying private
 * parts are dropped too. A body that is not a key set, or has no usable key, is garbage (503).
 */
export function parseJwks(body: string): { keys: JWK[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (cause) {
    throw garbage('jwks_invalid', 'The authorization server keys (JWKS) are not JSON', cause);
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Array.isArray(keys)) {
    throw garbage(
      'jwks_invalid',
      'The authorization server keys (JWKS) are not a JSON Web Key Set',
    );
  }
  const usable = keys.filter(
    (k): k is JWK =>
      typeof k === 'object' &&
      k !== null &&
      !Array.isArray(k) &&
      typeof (k as JWK).kty === 'string' &&
      ASYMMETRIC_KTY.has((k as JWK).kty!) &&
      (k as JWK).d === undefined,
  );
  if (usable.length === 0) {
    throw garbage(
      'jwks_empty',
      'The authorization server keys (JWKS) contain no usable public key',
    );
  }
  return { keys: usable };
}

/**
 * The issuer's signing keys, fetched from `jwks_uri` with a timeout and a size limit, cached for
 * `maxAgeMs`, refetched once (rate-limited by `cooldownMs`) when a token names an unknown `kid`
 * (key rotation), with single-flight fetching and backoff while the server is down. Key selection
 * and import (kid, `alg` ↔ `kty`/`crv`, `use`, `key_ops`) is jose's `createLocalJWKSet`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 * @see https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 */
export class RemoteKeySet {
  private local: LocalSet | undefined;
  /** The usable keys of the last successful fetch (to see which ones a refresh removed). */
  private published: readonly JWK[] = [];
  /** Keys selected from `local`, by `alg` and `kid` (header values are attacker input: bounded). */
  private selected = new Map<string, CryptoKey>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private readonly backoff: Backoff;
  /** Number of JWKS documents fetched successfully (for stats and tests). */
  fetches = 0;

  constructor(private readonly o: RemoteKeySetOptions) {
    this.backoff = new Backoff(o.now, Math.min(1000, Math.max(50, o.cooldownMs)), 30_000);
  }

  /**
   * Until when a result verified with the current keys may be reused without asking for a key
   * again (ms): the end of the keys' freshness. Past it, the next verification refetches them, so
   * a key the issuer removed is found out at most `maxAgeMs` after the previous fetch. Results
   * verified with stale keys (refreshes failing) are not reused at all.
   */
  freshUntilMs(): number {
    return this.fetchedAt + this.o.maxAgeMs;
  }

  /** How long until an unknown `kid` may trigger a refetch again (ms, 0 when it may now). */
  nextRefetchInMs(): number {
    return Math.max(0, this.lastAttemptAt + this.o.cooldownMs - this.o.now());
  }

  /** The key function handed to `jwtVerify`. */
  readonly getKey = (header: JWSHeaderParameters): Promise<CryptoKey> | CryptoKey => {
    const local = this.local;
    if (local !== undefined && this.o.now() - this.fetchedAt <= this.o.maxAgeMs) {
      // Hot path: keys are fresh and this (kid, alg) was selected before from this very key set:
      // the CryptoKey is returned synchronously (jose awaits a plain value at no cost).
      const id = selectionId(header);
      const selected = id === undefined ? undefined : this.selected.get(id);
      if (selected !== undefined) return selected;
      return this.select(local, header).catch((err) => this.onSelectError(err, header));
    }
    return this.slowGetKey(header);
  };

  /** jose's selection (kid, alg ↔ kty/crv, use, key_ops), remembered per (alg, kid) for this key set. */
  private async select(local: LocalSet, header: JWSHeaderParameters): Promise<CryptoKey> {
    const key = (await local(header)) as CryptoKey;
    // Only remember for the key set that selected it (a refresh replaces `local` and the map).
    const id = selectionId(header);
    if (this.local === local && id !== undefined) {
      if (this.selected.size >= 64) this.selected.clear(); // bounded: a JWKS has a handful of keys
      this.selected.set(id, key);
    }
    return key;
  }

  private async slowGetKey(header: JWSHeaderParameters): Promise<CryptoKey> {
    if (this.local === undefined) {
      await this.refresh();
    } else {
      try {
        await this.refresh();
      } catch (err) {
        if (this.o.now() - this.fetchedAt > this.o.maxAgeMs + this.o.maxStaleMs) throw err;
        this.o.logger.warn?.('JWKS refresh failed; using the previous keys', {
          reason: (err as TokenValidationError).reason,
        });
      }
    }
    try {
      return await this.select(this.local!, header);
    } catch (err) {
      return this.onSelectError(err, header);
    }
  }

  private async onSelectError(err: unknown, header: JWSHeaderParameters): Promise<CryptoKey> {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_JWKS_NO_MATCHING_KEY') {
      // Key rotation: refetch once, unless we fetched (or tried) within the cooldown.
      if (this.o.now() - this.lastAttemptAt >= this.o.cooldownMs) {
        await this.refresh();
        try {
          return await this.select(this.local!, header);
        } catch (again) {
          throw this.mapSelectError(again);
        }
      }
    }
    throw this.mapSelectError(err);
  }

  private mapSelectError(err: unknown): Error {
    const code = (err as { code?: unknown }).code;
    switch (code) {
      case 'ERR_JWKS_NO_MATCHING_KEY':
        return new TokenValidationError(
          'ERR_KEY_NOT_FOUND',
          'No key of the issuer matches the token',
          {
            claim: 'kid',
            reason: 'no_matching_key',
          },
        );
      case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
        // Trying each key would multiply the signature work an attacker can cause: demand a kid.
        return new TokenValidationError(
          'ERR_KEY_NOT_FOUND',
          'Several keys of the issuer match a token without "kid"',
          { claim: 'kid', reason: 'ambiguous' },
        );
      case 'ERR_JOSE_NOT_SUPPORTED':
        return new TokenValidationError(
          'ERR_ALG_NOT_ALLOWED',
          'The token algorithm is not allowed',
          {
            claim: 'alg',
            reason: 'unsupported',
          },
        );
      default:
        if (err instanceof TokenValidationError) return err;
        // A matching JWK that cannot be imported: the server publishes garbage.
        return garbage('jwks_invalid', 'A key of the authorization server (JWKS) is invalid', err);
    }
  }

  /** Fetches the JWKS now (single-flight); throws `ERR_AUTH_SERVER_UNAVAILABLE` on failure. */
  refresh(): Promise<void> {
    if (this.inflight) return this.inflight;
    const wait = this.backoff.remainingMs();
    if (wait > 0) {
      return Promise.reject(
        new TokenValidationError(
          'ERR_AUTH_SERVER_UNAVAILABLE',
          'The authorization server keys (JWKS) are unavailable',
          { reason: 'jwks_backoff', retryAfterSeconds: wait / 1000 },
        ),
      );
    }
    this.lastAttemptAt = this.o.now();
    const p = this.load().finally(() => {
      this.inflight = undefined;
    });
    this.inflight = p;
    return p;
  }

  /** One JWKS fetch, in a `mcp_auth.jwks.fetch` span when tracing is on. */
  private load(): Promise<void> {
    return traced(
      SPANS.jwksFetch,
      {},
      () => this.fetchKeys(),
      () => ({
        'mcp_auth.jwks.keys': this.published.length,
      }),
    );
  }

  private async fetchKeys(): Promise<void> {
    try {
      const uri = await this.o.uri();
      const res = await requestAuthServer(uri, 'jwks', this.o.http, {
        timeoutMs: this.o.timeoutMs,
        maxBytes: this.o.maxBytes,
        init: { headers: { accept: 'application/jwk-set+json, application/json' } },
        retryAfterSeconds: 1,
      });
      if (res.status !== 200) {
        throw garbage(
          'jwks_http_status',
          `The authorization server keys (JWKS) answered HTTP ${res.status}`,
        );
      }
      const jwks = parseJwks(res.body);
      this.local = createLocalJWKSet(jwks);
      this.selected = new Map();
      this.fetchedAt = this.o.now();
      this.fetches++;
      this.backoff.succeeded();
      const removed = removedKeys(this.published, jwks.keys);
      this.published = jwks.keys;
      if (removed.length > 0) {
        // A key the issuer stopped publishing is refused from now on, by every path.
        this.o.logger.info?.('JWKS refresh removed keys; they are no longer trusted', {
          kids: removed.map((k) => k.kid),
        });
        this.o.onKeysRemoved?.(removed.map((k) => k.kid));
      }
    } catch (err) {
      this.backoff.failed();
      const e =
        err instanceof TokenValidationError
          ? err
          : garbage(
              'jwks_unreachable',
              'The authorization server keys (JWKS) could not be fetched',
              err,
            );
      const retry = Math.max(1, Math.ceil(this.backoff.remainingMs() / 1000));
      this.o.logger.warn?.('JWKS fetch failed', { reason: e.reason });
      throw new TokenValidationError('ERR_AUTH_SERVER_UNAVAILABLE', e.message, {
        ...(e.reason !== undefined ? { reason: e.reason } : {}),
        retryAfterSeconds: retry,
        cause: e.cause ?? e,
      });
    }
  }
}
