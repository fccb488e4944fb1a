import type { CacheStore } from '@mcp-auth/cache';
import type { FetchLike } from '@mcp-auth/discovery';
import type { DpopOptions } from './dpop/options.js';
import type { Logger } from './internal/logger.js';
import type { IntrospectionAuthMethod } from './introspection.js';
import type { JwsAlgorithm } from './jwt.js';
import type { ProfileName, ValidatorProfile } from './profiles/types.js';

export type { Logger };

/**
 * What a successful validation returns: the MCP SDK's `AuthInfo` shape
 * (`@modelcontextprotocol/sdk/server/auth/types.js`), frozen.
 */
export interface AuthInfo {
  /** The access token. */
  token: string;
  /** The client the token was issued to (`client_id`, `azp` or `cid` per profile); `''` when the token names none. */
  clientId: string;
  /** Every scope the token grants (`scope`, `scp` and the profile's extra claims). */
  scopes: string[];
  /** `exp`, in seconds since the epoch. */
  expiresAt?: number;
  /** This server's canonical resource URI (the audience the token was checked against). */
  resource?: URL;
  extra?: AuthInfoExtra & Record<string, unknown>;
}

/** The validator's fields in `AuthInfo.extra`. */
export interface AuthInfoExtra {
  /** `sub`: the user (or the client, for client-credentials tokens). */
  subject: string | undefined;
  /** The issuer that was verified. */
  issuer: string;
  /** How the token was verified. */
  tokenType: 'jwt' | 'opaque' | 'custom';
  /** The verified claims (JWT payload, introspection response, or custom claims). */
  claims: Readonly<Record<string, unknown>>;
  /** `'dpop'` when the request proved possession of the token's key (RFC 9449); absent for Bearer. */
  senderConstrained?: 'dpop';
  /** The DPoP key the token is bound to and the proof was signed with: its RFC 7638 thumbprint (`cnf.jkt`). */
  dpop?: { jkt: string };
}

/** What `customValidator` receives. */
export interface CustomValidatorContext {
  /** `'jwt'` or `'opaque'` after built-in verification; `'custom'` when the token is yours to verify. */
  tokenType: 'jwt' | 'opaque' | 'custom';
  /** The verified claims (`undefined` for `'custom'`). */
  claims: Readonly<Record<string, unknown>> | undefined;
  /** The JWS protected header (JWTs only). */
  header: Readonly<Record<string, unknown>> | undefined;
  issuer: string;
  /** The canonical resource. */
  resource: string;
}

/**
 * What `customValidator` may return. For tokens verified by the validator (`jwt`, `opaque`) it can
 * only enrich or narrow: `extra` is merged, `scopes` are intersected with the token's, `expiresAt`
 * can only come earlier; `claims` and `clientId` are ignored. For `'custom'` tokens, `claims` is
 * required and goes through every built-in claim check (issuer when present, `exp`, `nbf`, `iat`,
 * audience or client binding, scopes).
 */
export interface CustomValidatorResult {
  claims?: Record<string, unknown>;
  scopes?: string[];
  expiresAt?: number;
  extra?: Record<string, unknown>;
}

/**
 * Extra verification. Return nothing to accept as is, a {@link CustomValidatorResult} to enrich,
 * `false` or throw to reject (`ERR_CUSTOM_VALIDATION_FAILED`, or your own `TokenValidationError`).
 */
export type CustomValidator = (
  token: string,
  context: CustomValidatorContext,
) =>
  | CustomValidatorResult
  | undefined
  | undefined
  | false
  | Promise<CustomValidatorResult | undefined | undefined | false>;

/**
 * One authorization server of a validator that accepts several (`issuers`). The options here are
 * the ones that belong to an issuer; everything else (`resource`, `requiredScopes`, `cache`, …)
 * is shared and set at the top level.
 */
export interface IssuerOptions {
  /** The issuer identifier, exactly as in its metadata and tokens. */
  issuer: string;
  /** This issuer's provider profile. Default `'generic'`. */
  profile?: ProfileName | ValidatorProfile;
  /** Audiences accepted from this issuer besides `resource` (e.g. Entra's application id): `acceptedAudiences` for this issuer. */
  audience?: string | string[];
  strictAudienceValidation?: boolean;
  allowedClientIds?: string[];
  jwt?: TokenValidatorOptions['jwt'];
  /** At most one issuer may configure introspection: opaque tokens go to it. */
  introspection?: TokenValidatorOptions['introspection'];
}

/** Options of `createTokenValidator`. */
export interface TokenValidatorOptions {
  /**
   * The authorization server's issuer identifier, exactly as in its metadata and tokens. Its
   * metadata is discovered lazily. Required unless `issuers` is given (never both).
   */
  issuer?: string;
  /**
   * Several authorization servers for one resource. A JWT is routed by its (unverified) `iss` to
   * exactly one of them and then fully verified against that issuer's keys and rules; an `iss`
   * not listed is refused (`ERR_ISSUER_MISMATCH`) before any network call. Opaque tokens go to
   * the one issuer that configures `introspection`. Each issuer has its own caches.
   */
  issuers?: IssuerOptions[];
  /** This server's canonical URI: the audience tokens must carry (RFC 8707). */
  resource: string;
  /** Scopes every request needs. Per-call `requiredScopes` are added to these. Default `[]`. */
  requiredScopes?: string[];
  /** `'auto'` (default: JWTs verified locally, other tokens introspected), `'jwt'`, `'opaque'`, or `'custom'` (only `customValidator`). */
  tokenFormat?: 'auto' | 'jwt' | 'opaque' | 'custom';
  /**
   * Audiences accepted besides `resource`, exactly (URLs after canonicalisation): e.g. Okta's
   * `api://default`, an Entra application id. Default `[]`.
   */
  acceptedAudiences?: string[];
  jwt?: {
    /** Default: the discovered `jwks_uri`. */
    jwksUri?: string;
    /** Allowed JWS algorithms (asymmetric only). Default: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA, Ed25519. */
    algorithms?: JwsAlgorithm[];
    /** Allowed clock skew for `exp`, `nbf`, `iat`. Default 30. */
    clockToleranceSeconds?: number;
    /** Require `typ: at+jwt` (RFC 9068). Default from the profile (generic: true; providers: false). */
    requireTyp?: boolean;
    /** Refuse tokens whose `iat` is older than this (requires `iat`). Default: no limit. */
    maxTokenAgeSeconds?: number;
    /**
     * How long fetched keys are used before a refetch; also the longest a cached JWT result is
     * reused without looking at the keys again. A key the issuer removes is refused from the
     * first refresh that no longer lists it: at most this long after it was removed. Default 300.
     */
    jwksCacheMaxAgeSeconds?: number;
    /**
     * Minimum interval between unknown-`kid` refetches (key rotation): a flood of unknown `kid`s
     * costs at most one JWKS fetch per interval, and a refusal for an unknown `kid` is remembered
     * no longer than this. Default 5.
     */
    jwksRefetchCooldownSeconds?: number;
    /**
     * While refreshes fail, the previous keys are still used for at most this long past
     * `jwksCacheMaxAgeSeconds`; after that, JWTs get 503 until the JWKS answers again. Default 60.
     */
    jwksStaleMaxAgeSeconds?: number;
    /** JWKS request deadline. Default 5000. */
    jwksTimeoutMs?: number;
    /** Largest JWKS body. Default 256 KiB. */
    jwksMaxBytes?: number;
  };
  introspection?: {
    /** Default: the discovered `introspection_endpoint`. */
    endpoint?: string;
    clientId?: string;
    clientSecret?: string;
    /** Default: `client_secret_basic` unless the metadata lists only `client_secret_post`. */
    authMethod?: IntrospectionAuthMethod;
    /** Deadline of one introspection request. Default 5000. */
    timeoutMs?: number;
    /** Largest introspection response. Default 64 KiB. */
    maxResponseBytes?: number;
    /**
     * An introspection result is reused for at most `min(exp, this)` seconds (in every cache
     * tier): a token revoked at the authorization server is refused at most this long after.
     * Default 60.
     */
    cacheMaxSeconds?: number;
    /** Introspection requests in flight at once; beyond it: 503 with `Retry-After`, no request. Default 10. */
    maxConcurrent?: number;
    /** Introspection requests per second (sustained; bursts up to one second's worth); beyond it: 503 with `Retry-After`, no request. Default 50. */
    maxPerSecond?: number;
    /** A token the endpoint refused (inactive, or failing a claim rule) is remembered by its hash this long and refused without a request; 0 disables. Default 30. */
    failureTtlSeconds?: number;
  };
  cache?: {
    /**
     * Positive results live at most `min(ttlSeconds, exp - now)`; JWT results also no longer than
     * the keys that verified them are fresh (`jwt.jwksCacheMaxAgeSeconds`), introspection results
     * no longer than `introspection.cacheMaxSeconds`. Default 300.
     */
    ttlSeconds?: number;
    /** Default 10_000. */
    maxEntries?: number;
    /** A shared store (e.g. `redisStore()`): keys are hashes of the token, never the token. The in-process tier stays in front. */
    store?: CacheStore;
    /** How long rejections are remembered. Default 30. */
    negativeTtlSeconds?: number;
    /** Bound of the rejection space. Default 1_000. */
    negativeMaxEntries?: number;
  };
  /** Require this resource in `aud` (default from the profile: true, Cognito false). False requires `allowedClientIds`. */
  strictAudienceValidation?: boolean;
  /** Client ids allowed; when set, every token's client id must be listed. Required when `strictAudienceValidation` is false. */
  allowedClientIds?: string[];
  /** A provider profile name or a custom profile object. Default `'generic'`. */
  profile?: ProfileName | ValidatorProfile;
  customValidator?: CustomValidator;
  /** Largest token accepted, in characters. Default 16384. */
  maxTokenLength?: number;
  /** Discovery deadline. Default 5000. */
  discoveryTimeoutMs?: number;
  /** Allow `http:` issuer, JWKS and introspection URLs on loopback hosts (tests, local dev). Weakens security. */
  allowInsecureHttpForLoopback?: boolean;
  fetch?: FetchLike;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
  logger?: Logger;
  /**
   * DPoP (RFC 9449): sender-constrained tokens, `Authorization: DPoP <token>` + a `DPoP` proof.
   * Default `{ mode: 'disabled' }`: DPoP-bound tokens (`cnf`) are refused.
   */
  dpop?: DpopOptions;
}

/** Counters of a validator, for monitoring and tests. */
export interface TokenValidatorStats {
  /** JWT signature verifications performed (jose `jwtVerify` calls). */
  jwtVerifications: number;
  /** Introspection requests sent. */
  introspections: number;
  /** Successful JWKS fetches. */
  jwksFetches: number;
  /** Successful discoveries of the issuer metadata. */
  discoveries: number;
  /** The in-process cache's counters. */
  cache: {
    hits: number;
    misses: number;
    loads: number;
    coalesced: number;
    negativeHits: number;
    size: number;
  };
}

/** A token validator (see `createTokenValidator`). */
export interface TokenValidator {
  /** Validates a bare token; resolves with `AuthInfo` or rejects with a `TokenValidationError`. */
  validate(token: string, o?: { requiredScopes?: string[] }): Promise<AuthInfo>;
  /** The MCP SDK's `OAuthTokenVerifier`: rejects with the SDK's error classes when the SDK is installed. */
  verifyAccessToken(token: string): Promise<AuthInfo>;
  /**
   * Reads the token from a node `IncomingMessage` or a Fetch `Request` (or `{ method, url, headers,
   * rawHeaders? }`) and validates it. With DPoP on, also `Authorization: DPoP` and its proof; the
   * proof's `htu` is compared with `url` when given, else with the resource's origin + the request path.
   */
  authenticate(req: unknown, o?: { requiredScopes?: string[]; url?: string }): Promise<AuthInfo>;
  /** The canonical resource URI. */
  readonly resource: string;
  /** The protected resource metadata URL for challenges (RFC 9728). */
  readonly resourceMetadataUrl: string;
  /** The scopes every request needs. */
  readonly requiredScopes: string[];
  /** The issuer (the first one, with `issuers`). */
  readonly issuer: string;
  /** Every accepted issuer, in configuration order (for `authorization_servers` in the PRM). */
  readonly issuers: readonly string[];
  /** DPoP as configured (`undefined` when disabled): for the PRM's `dpop_signing_alg_values_supported`. */
  readonly dpop:
    | { readonly mode: 'allowed' | 'required'; readonly algorithms: readonly string[] }
    | undefined;
  /**
   * Forgets everything remembered about `token` (a revoked token, a logged-out session): the
   * in-process result, a remembered rejection, and the shared store's entry (e.g. Redis). The
   * next request with it is verified again (signature or introspection). With a `redisStore`,
   * every other process on that store drops its in-process copy a few ms later (the token's hashed
   * key is broadcast); while Redis is down, their copies end with their cache life (see the
   * README, "Security model").
   */
  evict(token: string): Promise<void>;
  stats(): TokenValidatorStats;
  close(): Promise<void>;
}
