import { chooseClientSecretMethod } from '@mcp-auth/discovery';
import { TokenValidationError } from '../errors.js';
import type { IntrospectionSettings } from '../introspection.js';
import { allowlistedKeys, type KeyResolver } from '../jwt.js';
import { RemoteKeySet } from './jwks.js';
import { IssuerMetadata } from './metadata.js';
import type { ResolvedOptions } from './options.js';

/** Discovered metadata is refreshed after an hour. */
const METADATA_MAX_AGE_MS = 3_600_000;

/**
 * Everything the validator fetches from one authorization server: its metadata (discovered
 * lazily), its signing keys, and the introspection endpoint with the client authentication to use.
 */
export class IssuerClient {
  readonly metadata: IssuerMetadata;
  readonly keys: RemoteKeySet;
  /** The key function of every JWT verification: the algorithm allowlist, then the issuer's keys. */
  readonly jwtKeys: KeyResolver;

  constructor(
    private readonly cfg: ResolvedOptions,
    /** Called when a successful JWKS refresh no longer lists keys it had (see RemoteKeySet). */
    onKeysRemoved?: () => void,
  ) {
    this.metadata = new IssuerMetadata(cfg.issuer, {
      http: cfg.http,
      timeoutMs: cfg.discoveryTimeoutMs,
      maxAgeMs: METADATA_MAX_AGE_MS,
      now: cfg.now,
      logger: cfg.logger,
    });
    this.keys = new RemoteKeySet({
      uri: () => this.jwksUri(),
      http: cfg.http,
      timeoutMs: cfg.jwt.jwksTimeoutMs,
      maxBytes: cfg.jwt.jwksMaxBytes,
      maxAgeMs: cfg.jwt.jwksCacheMaxAgeSeconds * 1000,
      cooldownMs: cfg.jwt.jwksRefetchCooldownSeconds * 1000,
      maxStaleMs: cfg.jwt.jwksStaleMaxAgeSeconds * 1000,
      ...(onKeysRemoved === undefined ? {} : { onKeysRemoved }),
      now: cfg.now,
      logger: cfg.logger,
    });
    this.jwtKeys = allowlistedKeys(cfg.jwt.algorithms, this.keys.getKey);
  }

  /** The configured `jwks_uri`, or the discovered one. */
  private async jwksUri(): Promise<string> {
    const cfg = this.cfg;
    if (cfg.jwt.jwksUri !== undefined) return cfg.jwt.jwksUri;
    const m = await this.metadata.get();
    if (m.jwksUri === undefined) {
      cfg.logger.error?.('The authorization server metadata has no jwks_uri', {
        issuer: cfg.issuer,
      });
      throw new TokenValidationError(
        'ERR_AUTH_SERVER_UNAVAILABLE',
        'The authorization server publishes no keys (jwks_uri)',
        { reason: 'no_jwks_uri', retryAfterSeconds: 60 },
      );
    }
    return m.jwksUri;
  }

  /**
   * The introspection endpoint and client authentication: configured, or discovered. An
   * explicitly configured endpoint needs no discovery (its auth method then defaults to basic).
   */
  async introspectionSettings(): Promise<IntrospectionSettings> {
    const cfg = this.cfg;
    const i = cfg.introspection!;
    let endpoint = i.endpoint;
    let authMethod = i.authMethod;
    if (endpoint !== undefined) authMethod ??= 'client_secret_basic';
    if (endpoint === undefined || authMethod === undefined) {
      const m = await this.metadata.get();
      endpoint ??= m.introspectionEndpoint;
      if (endpoint === undefined) {
        cfg.logger.error?.('The authorization server metadata has no introspection_endpoint', {
          issuer: cfg.issuer,
        });
        throw new TokenValidationError(
          'ERR_AUTH_SERVER_UNAVAILABLE',
          'The authorization server offers no token introspection',
          { reason: 'no_introspection_endpoint', retryAfterSeconds: 60 },
        );
      }
      const methods = m.introspectionAuthMethods;
      authMethod ??= chooseClientSecretMethod(methods);
    }
    return {
      endpoint,
      clientId: i.clientId,
      clientSecret: i.clientSecret,
      authMethod,
      timeoutMs: i.timeoutMs,
      maxResponseBytes: i.maxResponseBytes,
    };
  }
}
