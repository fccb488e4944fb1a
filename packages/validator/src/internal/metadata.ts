import { discoverAuthorizationServer } from '@mcp-auth/discovery';
import { TokenValidationError } from '../errors.js';
import { Backoff } from './backoff.js';
import type { HttpSettings } from './http.js';
import type { Logger } from './logger.js';

/** The parts of the authorization server metadata the validator uses. */
export interface IssuerEndpoints {
  jwksUri: string | undefined;
  introspectionEndpoint: string | undefined;
  introspectionAuthMethods: string[] | undefined;
}

/**
 * Lazy, single-flight discovery of the issuer's metadata (RFC 8414 / OIDC Discovery), with
 * backoff while it fails. Never throws synchronously and never leaves a rejection unhandled: a
 * failure becomes `ERR_AUTH_SERVER_UNAVAILABLE` for the requests that need it, and the next
 * request after the backoff tries again (recovery without restart). Successful metadata is kept
 * for `maxAgeMs` and refreshed after; a failed refresh keeps the previous metadata.
 */
export class IssuerMetadata {
  private value: IssuerEndpoints | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<IssuerEndpoints> | undefined;
  private readonly backoff: Backoff;
  fetches = 0;

  constructor(
    private readonly issuer: string,
    private readonly o: {
      http: HttpSettings;
      timeoutMs: number;
      maxAgeMs: number;
      now: () => number;
      logger: Logger;
    },
  ) {
    this.backoff = new Backoff(o.now, 1000, 60_000);
  }

  get(): Promise<IssuerEndpoints> {
    const value = this.value;
    if (value !== undefined && this.o.now() - this.fetchedAt <= this.o.maxAgeMs) {
      return Promise.resolve(value);
    }
    if (this.inflight) return this.inflight;
    const wait = this.backoff.remainingMs();
    if (wait > 0) {
      if (value !== undefined) return Promise.resolve(value);
      return Promise.reject(
        new TokenValidationError(
          'ERR_AUTH_SERVER_UNAVAILABLE',
          'The authorization server metadata is unavailable',
          { reason: 'discovery_backoff', retryAfterSeconds: wait / 1000 },
        ),
      );
    }
    const p = this.load().finally(() => {
      this.inflight = undefined;
    });
    this.inflight = p;
    return p;
  }

  private async load(): Promise<IssuerEndpoints> {
    try {
      const { metadata } = await discoverAuthorizationServer(this.issuer, {
        ...(this.o.http.fetch ? { fetch: this.o.http.fetch } : {}),
        timeoutMs: Math.ceil(this.o.timeoutMs),
        // A resource server never runs the code flow: PKCE metadata is not its concern.
        requirePkceS256: false,
        // This class caches and backs off itself (on the injected clock); no second cache.
        cache: false,
        allowInsecureHttpForLoopback: this.o.http.allowInsecureHttpForLoopback,
      });
      const m = metadata as Record<string, unknown>;
      const endpoints: IssuerEndpoints = {
        jwksUri: typeof m.jwks_uri === 'string' ? m.jwks_uri : undefined,
        introspectionEndpoint:
          typeof m.introspection_endpoint === 'string' ? m.introspection_endpoint : undefined,
        introspectionAuthMethods: Array.isArray(m.introspection_endpoint_auth_methods_supported)
          ? (m.introspection_endpoint_auth_methods_supported as unknown[]).filter(
              (x): x is string => typeof x === 'string',
            )
          : undefined,
      };
      this.value = endpoints;
      this.fetchedAt = this.o.now();
      this.fetches++;
      this.backoff.succeeded();
      return endpoints;
    } catch (cause) {
      this.backoff.failed();
      const code = (cause as { code?: unknown }).code;
      // A mismatching issuer or invalid metadata is a configuration problem: say it loudly.
      const log =
        code === 'ERR_METADATA_ISSUER_MISMATCH' || code === 'ERR_INVALID_METADATA'
          ? 'error'
          : 'warn';
      this.o.logger[log]?.('Authorization server discovery failed', {
        issuer: this.issuer,
        code,
        message: (cause as Error)?.message,
      });
      if (this.value !== undefined) return this.value;
      throw new TokenValidationError(
        'ERR_AUTH_SERVER_UNAVAILABLE',
        'The authorization server metadata could not be discovered',
        {
          reason: code === 'ERR_TIMEOUT' ? 'discovery_timeout' : 'discovery_failed',
          retryAfterSeconds: this.backoff.remainingMs() / 1000,
          cause,
        },
      );
    }
  }
}
