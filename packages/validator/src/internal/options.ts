import type { CacheStore } from '@mcp-auth/cache';
import { canonicalizeResourceUri, isLoopbackHost } from '@mcp-auth/discovery';
import { isPlainObject, numberAtLeast, optionalObject, stringList } from '@mcp-auth/internal';
import { DEFAULT_MAX_TOKEN_LENGTH } from '../bearer.js';
import type { IntrospectionAuthMethod } from '../introspection.js';
import { type JwsAlgorithm, type JwtSettings, SUPPORTED_ALGORITHMS } from '../jwt.js';
import { resolveProfile } from '../profiles/index.js';
import type { ValidatorProfile } from '../profiles/types.js';
import type { CustomValidator, IssuerOptions, TokenValidatorOptions } from '../types.js';
import type { HttpSettings } from './http.js';
import type { Logger } from './logger.js';

/** Options after validation and defaults. */
export interface ResolvedOptions {
  issuer: string;
  resource: string;
  audiences: ReadonlySet<string>;
  requiredScopes: string[];
  tokenFormat: 'auto' | 'jwt' | 'opaque' | 'custom';
  jwt: JwtSettings & {
    jwksUri: string | undefined;
    maxTokenAgeSeconds: number | undefined;
    jwksCacheMaxAgeSeconds: number;
    jwksRefetchCooldownSeconds: number;
    jwksStaleMaxAgeSeconds: number;
    jwksTimeoutMs: number;
    jwksMaxBytes: number;
  };
  introspection:
    | {
        endpoint: string | undefined;
        clientId: string;
        clientSecret: string;
        authMethod: IntrospectionAuthMethod | undefined;
        timeoutMs: number;
        maxResponseBytes: number;
        cacheMaxSeconds: number;
        maxConcurrent: number;
        maxPerSecond: number;
        failureTtlSeconds: number;
      }
    | undefined;
  cache: {
    ttlSeconds: number;
    maxEntries: number;
    store: CacheStore | undefined;
    negativeTtlSeconds: number;
    negativeMaxEntries: number;
  };
  strictAudienceValidation: boolean;
  allowedClientIds: ReadonlySet<string> | undefined;
  profile: ValidatorProfile;
  customValidator: CustomValidator | undefined;
  maxTokenLength: number;
  discoveryTimeoutMs: number;
  http: HttpSettings;
  now: () => number;
  logger: Logger;
  /** `dpop.mode` is `allowed` or `required` (checked by `resolveDpopOptions`): `cnf.jkt` tokens pass the claim checks. */
  acceptDpopBinding: boolean;
}

function fetchableUrl(value: unknown, name: string, allowInsecure: boolean): string {
  if (typeof value !== 'string') throw new TypeError(`"${name}" must be an absolute URL string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`"${name}" must be an absolute URL`);
  }
  if (url.protocol === 'https:') return value;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    if (allowInsecure) return value;
    throw new TypeError(
      `"${name}" uses http:; set allowInsecureHttpForLoopback: true (loopback only, weakens security)`,
    );
  }
  throw new TypeError(`"${name}" must be an https: URL`);
}

/** Top-level options that belong to one issuer: with `issuers`, they are set per issuer. */
const PER_ISSUER = [
  'profile',
  'acceptedAudiences',
  'strictAudienceValidation',
  'allowedClientIds',
  'jwt',
  'introspection',
] as const;

/**
 * With `issuers`: one options object per issuer (the shared options plus the issuer's own), each
 * then resolved like a single-issuer configuration. Undefined without `issuers`.
 */
export function resolveIssuerList(
  options: TokenValidatorOptions,
): TokenValidatorOptions[] | undefined {
  if (!isPlainObject(options)) throw new TypeError('createTokenValidator needs an options object');
  const list = options.issuers;
  if (list === undefined) return undefined;
  if (options.issuer !== undefined) {
    throw new TypeError('"issuer" and "issuers" cannot both be set');
  }
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(
      '"issuers" must be a non-empty array of { issuer, profile?, audience?, … }',
    );
  }
  for (const name of PER_ISSUER) {
    if (options[name] !== undefined) {
      throw new TypeError(`"${name}" is set per issuer with "issuers" (issuers[i].${name})`);
    }
  }
  const { issuers: _, ...shared } = options;
  const seen = new Set<unknown>();
  let introspecting = 0;
  const out = list.map((entry, i) => {
    if (!isPlainObject(entry)) throw new TypeError(`"issuers[${i}]" must be an object`);
    if (seen.has(entry.issuer)) {
      throw new TypeError(`"issuers[${i}].issuer" is listed twice`);
    }
    seen.add(entry.issuer);
    if (entry.introspection !== undefined) introspecting++;
    const { audience, ...own } = entry as IssuerOptions;
    if (audience !== undefined && typeof audience !== 'string' && !Array.isArray(audience)) {
      throw new TypeError(`"issuers[${i}].audience" must be a string or an array of strings`);
    }
    return {
      ...shared,
      ...own,
      ...(audience === undefined
        ? {}
        : { acceptedAudiences: typeof audience === 'string' ? [audience] : audience }),
    } as TokenValidatorOptions;
  });
  if (introspecting > 1) {
    throw new TypeError(
      '"issuers": at most one issuer may configure "introspection" (opaque tokens carry no issuer to route by)',
    );
  }
  return out;
}

/** Validates every option (TypeError naming it) and applies the defaults. */
export function resolveOptions(options: TokenValidatorOptions): ResolvedOptions {
  if (!isPlainObject(options)) throw new TypeError('createTokenValidator needs an options object');
  const allowInsecure = options.allowInsecureHttpForLoopback ?? false;
  if (typeof allowInsecure !== 'boolean')
    throw new TypeError('"allowInsecureHttpForLoopback" must be a boolean');

  const issuer = fetchableUrl(options.issuer, 'issuer', allowInsecure);
  if (new URL(issuer).search !== '' || issuer.includes('#')) {
    throw new TypeError('"issuer" must not contain a query or a fragment (RFC 8414 §2)');
  }

  if (typeof options.resource !== 'string')
    throw new TypeError('"resource" must be an absolute URL string');
  let resource: string;
  try {
    resource = canonicalizeResourceUri(options.resource);
  } catch (err) {
    throw new TypeError(
      `"resource" must be an absolute http(s) URL without fragment: ${(err as Error).message}`,
    );
  }

  const requiredScopes = stringList(options.requiredScopes, 'requiredScopes', { scopes: true });
  if (requiredScopes.includes('offline_access')) {
    // Required scopes end up in the insufficient_scope challenge; offline_access asks for a
    // refresh token and is never a resource's requirement (SPEC-NOTES: never in a challenge).
    throw new TypeError(
      '"requiredScopes" must not contain offline_access (a refresh-token scope, never required by a resource)',
    );
  }
  const accepted = stringList(options.acceptedAudiences, 'acceptedAudiences').map((aud) => {
    if (!/^https?:\/\//i.test(aud)) return aud; // api://default, a GUID, …: compared verbatim
    try {
      return canonicalizeResourceUri(aud);
    } catch (err) {
      throw new TypeError(
        `"acceptedAudiences" entry ${JSON.stringify(aud.slice(0, 200))}: ${(err as Error).message}`,
      );
    }
  });
  const audiences = new Set<string>([resource, ...accepted]);

  const tokenFormat = options.tokenFormat ?? 'auto';
  if (!['auto', 'jwt', 'opaque', 'custom'].includes(tokenFormat)) {
    throw new TypeError('"tokenFormat" must be one of auto, jwt, opaque, custom');
  }

  const profile = resolveProfile(options.profile);
  profile.checkOptions?.({ issuer, acceptedAudiences: accepted });

  const jwtIn = optionalObject(options.jwt, 'jwt');
  const algorithms = (jwtIn.algorithms ?? [...SUPPORTED_ALGORITHMS]) as unknown;
  if (
    !Array.isArray(algorithms) ||
    algorithms.length === 0 ||
    algorithms.some((a) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(a))
  ) {
    throw new TypeError(
      `"jwt.algorithms" must be a non-empty array of ${SUPPORTED_ALGORITHMS.join(', ')} (never none or HMAC)`,
    );
  }
  const requireTyp = jwtIn.requireTyp ?? profile.requireTyp;
  if (typeof requireTyp !== 'boolean') throw new TypeError('"jwt.requireTyp" must be a boolean');
  const jwt: ResolvedOptions['jwt'] = {
    jwksUri:
      jwtIn.jwksUri === undefined
        ? undefined
        : fetchableUrl(jwtIn.jwksUri, 'jwt.jwksUri', allowInsecure),
    algorithms: [...new Set(algorithms as JwsAlgorithm[])],
    requireTyp,
    clockToleranceSeconds: numberAtLeast(jwtIn.clockToleranceSeconds, 'jwt.clockToleranceSeconds', {
      fallback: 30,
    }),
    maxTokenAgeSeconds:
      jwtIn.maxTokenAgeSeconds === undefined
        ? undefined
        : numberAtLeast(jwtIn.maxTokenAgeSeconds, 'jwt.maxTokenAgeSeconds', {
            fallback: 0,
            min: 1,
          }),
    jwksCacheMaxAgeSeconds: numberAtLeast(
      jwtIn.jwksCacheMaxAgeSeconds,
      'jwt.jwksCacheMaxAgeSeconds',
      { fallback: 300 },
    ),
    jwksRefetchCooldownSeconds: numberAtLeast(
      jwtIn.jwksRefetchCooldownSeconds,
      'jwt.jwksRefetchCooldownSeconds',
      { fallback: 5 },
    ),
    jwksStaleMaxAgeSeconds: numberAtLeast(
      jwtIn.jwksStaleMaxAgeSeconds,
      'jwt.jwksStaleMaxAgeSeconds',
      { fallback: 60 },
    ),
    jwksTimeoutMs: numberAtLeast(jwtIn.jwksTimeoutMs, 'jwt.jwksTimeoutMs', {
      fallback: 5000,
      min: 1,
    }),
    jwksMaxBytes: numberAtLeast(jwtIn.jwksMaxBytes, 'jwt.jwksMaxBytes', {
      fallback: 256 * 1024,
      min: 1,
      integer: true,
    }),
  };

  const inIn = optionalObject(options.introspection, 'introspection');
  let introspection: ResolvedOptions['introspection'];
  if (
    inIn.clientId !== undefined ||
    inIn.clientSecret !== undefined ||
    inIn.endpoint !== undefined
  ) {
    if (typeof inIn.clientId !== 'string' || inIn.clientId === '') {
      throw new TypeError('"introspection.clientId" must be a non-empty string');
    }
    if (typeof inIn.clientSecret !== 'string' || inIn.clientSecret === '') {
      throw new TypeError('"introspection.clientSecret" must be a non-empty string');
    }
    const authMethod = inIn.authMethod;
    if (
      authMethod !== undefined &&
      authMethod !== 'client_secret_basic' &&
      authMethod !== 'client_secret_post'
    ) {
      throw new TypeError(
        '"introspection.authMethod" must be client_secret_basic or client_secret_post',
      );
    }
    introspection = {
      endpoint:
        inIn.endpoint === undefined
          ? undefined
          : fetchableUrl(inIn.endpoint, 'introspection.endpoint', allowInsecure),
      clientId: inIn.clientId,
      clientSecret: inIn.clientSecret,
      authMethod: authMethod as IntrospectionAuthMethod | undefined,
      timeoutMs: numberAtLeast(inIn.timeoutMs, 'introspection.timeoutMs', {
        fallback: 5000,
        min: 1,
      }),
      maxResponseBytes: numberAtLeast(inIn.maxResponseBytes, 'introspection.maxResponseBytes', {
        fallback: 64 * 1024,
        min: 1,
        integer: true,
      }),
      cacheMaxSeconds: numberAtLeast(inIn.cacheMaxSeconds, 'introspection.cacheMaxSeconds', {
        fallback: 60,
        min: 1,
      }),
      maxConcurrent: numberAtLeast(inIn.maxConcurrent, 'introspection.maxConcurrent', {
        fallback: 10,
        min: 1,
        integer: true,
      }),
      maxPerSecond: numberAtLeast(inIn.maxPerSecond, 'introspection.maxPerSecond', {
        fallback: 50,
        min: 1,
      }),
      failureTtlSeconds: numberAtLeast(inIn.failureTtlSeconds, 'introspection.failureTtlSeconds', {
        fallback: 30,
      }),
    };
  } else if (inIn.authMethod !== undefined || inIn.timeoutMs !== undefined) {
    throw new TypeError('"introspection" needs clientId and clientSecret');
  }
  if (tokenFormat === 'opaque' && introspection === undefined) {
    throw new TypeError(
      'tokenFormat "opaque" needs "introspection.clientId" and "introspection.clientSecret"',
    );
  }

  const cacheIn = optionalObject(options.cache, 'cache');
  const store = cacheIn.store as CacheStore | undefined;
  if (
    store !== undefined &&
    (!isPlainObject(store) || (store.kind !== 'memory' && store.kind !== 'remote'))
  ) {
    throw new TypeError('"cache.store" must be a cache store (memoryStore(), redisStore(), …)');
  }
  const cache: ResolvedOptions['cache'] = {
    ttlSeconds: numberAtLeast(cacheIn.ttlSeconds, 'cache.ttlSeconds', { fallback: 300, min: 1 }),
    maxEntries: numberAtLeast(cacheIn.maxEntries, 'cache.maxEntries', {
      fallback: 10_000,
      min: 1,
      integer: true,
    }),
    // A memory store given explicitly is just the in-process tier.
    store: store?.kind === 'remote' ? store : undefined,
    negativeTtlSeconds: numberAtLeast(cacheIn.negativeTtlSeconds, 'cache.negativeTtlSeconds', {
      fallback: 30,
    }),
    negativeMaxEntries: numberAtLeast(cacheIn.negativeMaxEntries, 'cache.negativeMaxEntries', {
      fallback: 1_000,
      min: 1,
      integer: true,
    }),
  };

  const strict = options.strictAudienceValidation ?? profile.strictAudienceValidation;
  if (typeof strict !== 'boolean')
    throw new TypeError('"strictAudienceValidation" must be a boolean');
  const clientIds = stringList(options.allowedClientIds, 'allowedClientIds');
  if (!strict && clientIds.length === 0) {
    throw new TypeError(
      options.strictAudienceValidation === false
        ? '"strictAudienceValidation: false" requires "allowedClientIds" (there is no "accept any audience")'
        : `profile "${profile.name}": its access tokens carry no audience, so "allowedClientIds" is required (or set strictAudienceValidation: true)`,
    );
  }

  if (options.customValidator !== undefined && typeof options.customValidator !== 'function') {
    throw new TypeError('"customValidator" must be a function');
  }
  if (tokenFormat === 'custom' && options.customValidator === undefined) {
    throw new TypeError('tokenFormat "custom" needs "customValidator"');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function')
    throw new TypeError('"fetch" must be a function');
  if (options.now !== undefined && typeof options.now !== 'function')
    throw new TypeError('"now" must be a function');
  if (options.logger !== undefined && !isPlainObject(options.logger))
    throw new TypeError('"logger" must be an object');

  return {
    issuer,
    resource,
    audiences,
    requiredScopes,
    tokenFormat,
    jwt,
    introspection,
    cache,
    strictAudienceValidation: strict,
    allowedClientIds: clientIds.length > 0 ? new Set(clientIds) : undefined,
    profile,
    customValidator: options.customValidator,
    maxTokenLength: numberAtLeast(options.maxTokenLength, 'maxTokenLength', {
      fallback: DEFAULT_MAX_TOKEN_LENGTH,
      min: 16,
      integer: true,
    }),
    discoveryTimeoutMs: numberAtLeast(options.discoveryTimeoutMs, 'discoveryTimeoutMs', {
      fallback: 5000,
      min: 1,
    }),
    http: { fetch: options.fetch, allowInsecureHttpForLoopback: allowInsecure },
    now: options.now ?? Date.now,
    logger: options.logger ?? {},
    acceptDpopBinding: isPlainObject(options.dpop) && options.dpop.mode !== 'disabled',
  };
}
