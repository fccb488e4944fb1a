import {
  createMetadataFetchHandler,
  createProtectedResourceMetadata,
  protectedResourceMetadataUrl,
} from '@mcp-auth/discovery';
import { isScopeToken, positiveInteger, unionScopes } from '@mcp-auth/internal';
import type { Logger, TokenValidator } from '@mcp-auth/validator';
import { type ResolvedCors, resolveCors } from '../cors.js';
import { DEFAULT_MAX_BATCH_LENGTH } from '../jsonrpc.js';
import { createMessageScopeResolver, type MessageScopeResolver } from '../message-scopes.js';
import { createOriginPolicy, type OriginPolicy } from '../origin-policy.js';
import { createScopeHierarchy, type ScopeChecker } from '../scope-hierarchy.js';
import { memorySessionStore, type SessionStore } from '../session-binding.js';
import type { GateOptions } from '../types.js';

/** Everything `createGate` needs, validated once. */
export interface ResolvedGateOptions {
  validator: TokenValidator;
  resource: string;
  resourceMetadataUrl: string;
  requiredScopes: string[];
  /** The scopes named in a challenge besides the request's own: validator + gate required. */
  baseChallengeScopes: string[];
  messageScopes: MessageScopeResolver | undefined;
  scopes: ScopeChecker;
  policy: OriginPolicy;
  cors: ResolvedCors | undefined;
  endpointPaths: string[];
  /** Lower-cased, without trailing slashes: what a lenient router might also send to the endpoint. */
  endpointKeys: Set<string>;
  maxBatchLength: number;
  maxBodyBytes: number;
  sessions: { store: SessionStore; ttlSeconds: number } | undefined;
  metadata: ((request: Request) => Response | undefined) | undefined;
  logger: Logger;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function scopeList(value: unknown, option: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isScopeToken)) {
    throw new TypeError(`"${option}" must be an array of scope strings`);
  }
  if (value.includes('offline_access')) {
    throw new TypeError(`"${option}" must not contain offline_access`);
  }
  return unionScopes(value as string[]);
}

/** The key a lenient router (Express: case-insensitive, optional trailing slash) matches on. */
export function endpointKey(path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Undecodable: compare as is.
  }
  return decoded.toLowerCase().replace(/\/+$/, '') || '/';
}

function resolveEndpointPaths(value: unknown, resource: string): string[] {
  if (value === undefined) return [new URL(resource).pathname || '/'];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError('"endpointPath" must be a path or a non-empty array of paths');
  }
  for (const p of list) {
    if (typeof p !== 'string' || !/^\/[^?#\s]*$/.test(p)) {
      throw new TypeError('"endpointPath" entries must be paths starting with "/" (no query)');
    }
  }
  return [...list] as string[];
}

function resolveSessions(o: GateOptions['sessions']): ResolvedGateOptions['sessions'] {
  if (o === false) return undefined;
  const s = o ?? {};
  if (s === null || typeof s !== 'object')
    throw new TypeError('"sessions" must be an object or false');
  const ttlSeconds = positiveInteger(s.ttlSeconds, 'sessions.ttlSeconds', { fallback: 3600 });
  const maxEntries = positiveInteger(s.maxEntries, 'sessions.maxEntries', {
    fallback: 10_000,
  });
  const store = s.store ?? memorySessionStore({ maxEntries });
  for (const m of ['get', 'set', 'delete'] as const) {
    if (typeof store[m] !== 'function') {
      throw new TypeError('"sessions.store" must have get, set and delete methods');
    }
  }
  return { store, ttlSeconds };
}

/** Every issuer the validator accepts (`issuers` when it has several), for `authorization_servers`. */
function issuersOf(validator: TokenValidator): string[] {
  const several = (validator as { issuers?: unknown }).issuers;
  if (Array.isArray(several) && several.length > 0 && several.every((i) => typeof i === 'string')) {
    return [...(several as string[])];
  }
  return [validator.issuer];
}

function resolveMetadata(
  options: GateOptions,
  validator: TokenValidator,
  defaultScopes: string[],
): ResolvedGateOptions['metadata'] {
  const m = options.resourceMetadata;
  if (m === false) return undefined;
  const o = m ?? {};
  if (o === null || typeof o !== 'object') {
    throw new TypeError('"resourceMetadata" must be an object or false');
  }
  const scopesSupported =
    o.scopesSupported === undefined
      ? defaultScopes
      : scopeList(o.scopesSupported, 'resourceMetadata.scopesSupported');
  // RFC 9728 §2: the DPoP algorithms accepted, and whether only DPoP-bound tokens are.
  const dpop = validator.dpop;
  const document = createProtectedResourceMetadata({
    ...(dpop === undefined
      ? {}
      : {
          dpop_signing_alg_values_supported: [...dpop.algorithms],
          dpop_bound_access_tokens_required: dpop.mode === 'required',
        }),
    ...(o.extra ?? {}),
    resource: validator.resource,
    authorizationServers: o.authorizationServers ?? issuersOf(validator),
    ...(scopesSupported.length > 0 ? { scopesSupported } : {}),
    ...(o.resourceName !== undefined ? { resourceName: o.resourceName } : {}),
    ...(o.resourceDocumentation !== undefined
      ? { resourceDocumentation: o.resourceDocumentation }
      : {}),
    allowInsecureHttpForLoopback: options.allowInsecureHttpForLoopback === true,
  });
  return createMetadataFetchHandler(document, {
    ...(o.cacheMaxAgeSeconds !== undefined ? { cacheMaxAgeSeconds: o.cacheMaxAgeSeconds } : {}),
  });
}

/** Validates every option (a `TypeError` naming it) and precomputes what requests need. */
export function resolveGateOptions(options: GateOptions): ResolvedGateOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('createGate options are required');
  }
  const validator = options.validator;
  if (
    validator === null ||
    typeof validator !== 'object' ||
    typeof validator.authenticate !== 'function' ||
    typeof validator.resource !== 'string'
  ) {
    throw new TypeError('"validator" must be a TokenValidator (createTokenValidator)');
  }
  if (
    options.allowInsecureHttpForLoopback !== undefined &&
    typeof options.allowInsecureHttpForLoopback !== 'boolean'
  ) {
    throw new TypeError('"allowInsecureHttpForLoopback" must be a boolean');
  }
  const requiredScopes = scopeList(options.requiredScopes, 'requiredScopes');
  const messageScopes = createMessageScopeResolver(options.toolScopes, options.scopesFor);
  const scopes = createScopeHierarchy(options.scopeHierarchy);
  // The validator checks its own requiredScopes without the hierarchy: a token holding a broader
  // scope would be refused there. Say so now rather than on the first request.
  for (const s of validator.requiredScopes) {
    if (scopes.isImplied(s)) {
      throw new TypeError(
        `"scopeHierarchy" implies "${s}", which the validator requires itself: move it from the validator's requiredScopes to the gate's requiredScopes`,
      );
    }
  }
  const toolScopeValues = Object.values(options.toolScopes ?? {}).flat() as string[];
  const defaultScopes = unionScopes(
    validator.requiredScopes,
    requiredScopes,
    toolScopeValues,
  ).filter((s) => s !== 'offline_access');
  const logger = options.logger ?? {};
  if (logger === null || typeof logger !== 'object')
    throw new TypeError('"logger" must be an object');
  const endpointPaths = resolveEndpointPaths(options.endpointPath, validator.resource);
  return {
    validator,
    resource: validator.resource,
    resourceMetadataUrl:
      validator.resourceMetadataUrl ?? protectedResourceMetadataUrl(validator.resource),
    requiredScopes,
    baseChallengeScopes: unionScopes(validator.requiredScopes, requiredScopes),
    messageScopes,
    scopes,
    policy: createOriginPolicy({
      resource: validator.resource,
      ...(options.allowedOrigins !== undefined ? { allowedOrigins: options.allowedOrigins } : {}),
      ...(options.allowedHosts !== undefined ? { allowedHosts: options.allowedHosts } : {}),
    }),
    cors: resolveCors(options.cors),
    endpointPaths,
    endpointKeys: new Set(endpointPaths.map(endpointKey)),
    maxBatchLength: positiveInteger(options.maxBatchLength, 'maxBatchLength', {
      fallback: DEFAULT_MAX_BATCH_LENGTH,
    }),
    maxBodyBytes: positiveInteger(options.maxBodyBytes, 'maxBodyBytes', {
      fallback: DEFAULT_MAX_BODY_BYTES,
    }),
    sessions: resolveSessions(options.sessions),
    metadata: resolveMetadata(options, validator, defaultScopes),
    logger,
  };
}
