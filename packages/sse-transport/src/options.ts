import { createMessageScopeResolver, type MessageScopeResolver } from '@mcp-auth/gate';
import { positiveInteger, urlPath } from '@mcp-auth/internal';
import { randomInstanceId } from './cluster/cluster.js';
import type { ResolvedClusterOptions } from './cluster/types.js';
import type { Logger } from './internal/logger.js';
import { createOriginGuard, type OriginGuard } from './internal/origin-guard.js';
import type { OAuthRouteOptions } from './oauth/routes.js';
import type { SseServerOptions } from './server-options.js';
import type { ModernHandler } from './streamable/modern.js';
import type { AuthEvent } from './telemetry/events.js';
import type { McpServerFactory, McpServerLike, SseAuthProvider } from './types.js';

export type { SseServerOptions, StreamableHttpOptions } from './server-options.js';

/** The options after validation, with every default applied. */
export interface ResolvedOptions {
  readonly createMcpServer: McpServerFactory;
  readonly streamable:
    | {
        endpoint: string;
        stateful: boolean;
        idleTimeoutMs: number;
        modern: ModernHandler | undefined;
        sharedServer: McpServerLike | undefined;
      }
    | undefined;
  readonly sse: { endpoint: string; messageEndpoint: string } | undefined;
  readonly healthEndpoint: string | undefined;
  readonly authorizeEndpoint: string;
  readonly oauthRoutes: OAuthRouteOptions;
  readonly provider: SseAuthProvider | undefined;
  readonly originGuard: OriginGuard;
  readonly authSse: boolean;
  readonly authMessages: boolean;
  readonly messageScopes: MessageScopeResolver | undefined;
  readonly maxMessageBytes: number;
  readonly maxBatchLength: number;
  readonly bodyTimeoutMs: number;
  readonly keepAliveMs: number;
  readonly maxSessions: number;
  readonly maxSessionsPerPrincipal: number;
  readonly maxBufferedBytes: number;
  readonly closeOnTokenExpiry: boolean;
  readonly cluster: ResolvedClusterOptions | undefined;
  readonly onAuthEvent: ((event: AuthEvent) => void) | undefined;
  readonly logger: Logger;
  readonly now: () => number;
}

function resolveProvider(options: SseServerOptions): SseAuthProvider | undefined {
  const provider = options.auth?.provider;
  if (options.auth !== undefined) {
    if (
      provider === null ||
      typeof provider !== 'object' ||
      typeof provider.authenticate !== 'function' ||
      typeof provider.getAuthError !== 'function'
    ) {
      throw new TypeError('"auth.provider" must be an OAuthProvider');
    }
    if (options.insecureNoAuth === true) {
      throw new TypeError('"insecureNoAuth" cannot be combined with "auth"');
    }
    const scopes = provider.requiredScopes;
    if (
      scopes !== undefined &&
      (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string'))
    ) {
      throw new TypeError('"auth.provider.requiredScopes" must be an array of scope strings');
    }
  } else if (options.insecureNoAuth !== true) {
    throw new TypeError(
      '"auth.provider" is required (pass "insecureNoAuth: true" to serve without authentication)',
    );
  }
  return provider;
}

function resolveStreamable(options: SseServerOptions): ResolvedOptions['streamable'] {
  const o = options.streamableHttp;
  if (o === false) return undefined;
  if (o !== undefined && (o === null || typeof o !== 'object')) {
    throw new TypeError('"streamableHttp" must be an options object or false');
  }
  const modern = o?.modern;
  if (modern !== undefined && typeof modern?.fetch !== 'function') {
    throw new TypeError('"streamableHttp.modern" must have a fetch(request, { authInfo }) method');
  }
  const stateful = o?.sessions ?? true;
  const sharedServer = o?.server;
  if (sharedServer !== undefined) {
    if (stateful)
      throw new TypeError('"streamableHttp.server" needs "streamableHttp.sessions: false"');
    if (typeof sharedServer?.connect !== 'function') {
      throw new TypeError('"streamableHttp.server" must be an McpServer (or Server)');
    }
  }
  return {
    endpoint: urlPath(o?.endpoint ?? '/mcp', 'streamableHttp.endpoint'),
    stateful,
    sharedServer,
    idleTimeoutMs: positiveInteger(
      o?.sessionIdleTimeoutMs ?? 30 * 60_000,
      'streamableHttp.sessionIdleTimeoutMs',
    ),
    modern,
  };
}

function resolveSse(options: SseServerOptions): ResolvedOptions['sse'] {
  if (options.sse === false) return undefined;
  const endpoint = urlPath(options.endpoint ?? '/sse', 'endpoint');
  const messageEndpoint = urlPath(options.messageEndpoint ?? '/messages', 'messageEndpoint');
  if (endpoint === messageEndpoint) {
    throw new TypeError('"endpoint" and "messageEndpoint" must differ');
  }
  return { endpoint, messageEndpoint };
}

function resolveCluster(
  options: SseServerOptions,
  streamable: ResolvedOptions['streamable'],
): ResolvedClusterOptions | undefined {
  const c = options.cluster;
  if (c === undefined) return undefined;
  if (c === null || typeof c !== 'object') throw new TypeError('"cluster" must be an object');
  const redis = c.redis;
  if (typeof redis === 'string') {
    if (!/^rediss?:\/\//.test(redis) || !URL.canParse(redis)) {
      throw new TypeError(
        '"cluster.redis" must be a redis:// or rediss:// URL, or a node-redis client',
      );
    }
  } else if (
    redis === null ||
    typeof redis !== 'object' ||
    typeof redis.duplicate !== 'function' ||
    typeof redis.publish !== 'function'
  ) {
    throw new TypeError(
      '"cluster.redis" must be a redis:// or rediss:// URL, or a node-redis client',
    );
  }
  const instanceId = c.instanceId ?? randomInstanceId();
  if (typeof instanceId !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(instanceId)) {
    throw new TypeError('"cluster.instanceId" must be 1-64 characters of [A-Za-z0-9_.-]');
  }
  const prefix = c.prefix ?? 'mcp-auth:cluster:';
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError('"cluster.prefix" must be a non-empty string');
  }
  return {
    redis,
    instanceId,
    prefix,
    heartbeatMs: positiveInteger(c.heartbeatMs ?? 2_000, 'cluster.heartbeatMs'),
    forwardTimeoutMs: positiveInteger(c.forwardTimeoutMs ?? 2_000, 'cluster.forwardTimeoutMs'),
    commandTimeoutMs: positiveInteger(c.commandTimeoutMs ?? 500, 'cluster.commandTimeoutMs'),
    sessionTtlMs: (streamable?.idleTimeoutMs ?? 30 * 60_000) + 60_000,
  };
}

function resolveOnAuthEvent(hook: unknown): ((event: AuthEvent) => void) | undefined {
  if (hook !== undefined && typeof hook !== 'function') {
    throw new TypeError('"onAuthEvent" must be a function');
  }
  return hook as ((event: AuthEvent) => void) | undefined;
}

/** Validates every option (TypeError naming it) and applies the defaults. */
export function resolveOptions(options: SseServerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('options must be an object');
  }
  if (typeof options.createMcpServer !== 'function') {
    throw new TypeError('"createMcpServer" must be a function that returns an McpServer or Server');
  }
  const streamable = resolveStreamable(options);
  const sse = resolveSse(options);
  if (streamable === undefined && sse === undefined) {
    throw new TypeError('"streamableHttp" and "sse" cannot both be turned off');
  }
  if (streamable !== undefined && sse !== undefined) {
    if (streamable.endpoint === sse.endpoint || streamable.endpoint === sse.messageEndpoint) {
      throw new TypeError('"streamableHttp.endpoint" must differ from the SSE endpoints');
    }
  }
  const provider = resolveProvider(options);
  const authSse = provider !== undefined && options.auth?.endpoints?.sse !== false;
  const authMessages = provider !== undefined && options.auth?.endpoints?.messages !== false;
  const messageScopes = createMessageScopeResolver(
    options.auth?.toolScopes,
    options.auth?.scopesFor,
    {
      toolScopes: 'auth.toolScopes',
      scopesFor: 'auth.scopesFor',
    },
  );
  if (messageScopes !== undefined && sse !== undefined && !authMessages) {
    throw new TypeError(
      '"auth.toolScopes" and "auth.scopesFor" need authentication on the message endpoint (auth.endpoints.messages)',
    );
  }
  return {
    createMcpServer: options.createMcpServer,
    streamable,
    sse,
    healthEndpoint:
      options.healthEndpoint === false
        ? undefined
        : urlPath(options.healthEndpoint ?? '/health', 'healthEndpoint'),
    authorizeEndpoint: urlPath(
      options.authorizeEndpoint ?? '/oauth/authorize',
      'authorizeEndpoint',
    ),
    oauthRoutes: options.oauth ?? {},
    provider,
    originGuard: createOriginGuard({
      resource: options.resource ?? provider?.resourceUri,
      allowedOrigins: options.allowedOrigins,
      allowedHosts: options.allowedHosts,
    }),
    authSse,
    authMessages,
    messageScopes,
    maxMessageBytes: positiveInteger(options.maxMessageBytes ?? 1024 * 1024, 'maxMessageBytes'),
    maxBatchLength: positiveInteger(options.maxBatchLength ?? 100, 'maxBatchLength'),
    bodyTimeoutMs: positiveInteger(options.bodyTimeoutMs ?? 30_000, 'bodyTimeoutMs'),
    keepAliveMs: positiveInteger(options.keepAliveMs ?? 15_000, 'keepAliveMs', { allowZero: true }),
    maxSessions: positiveInteger(options.maxSessions ?? 10_000, 'maxSessions'),
    maxSessionsPerPrincipal: positiveInteger(
      options.maxSessionsPerPrincipal ?? 100,
      'maxSessionsPerPrincipal',
    ),
    maxBufferedBytes: positiveInteger(
      options.maxBufferedBytes ?? 4 * 1024 * 1024,
      'maxBufferedBytes',
    ),
    closeOnTokenExpiry: options.closeStreamOnTokenExpiry ?? true,
    cluster: resolveCluster(options, streamable),
    onAuthEvent: resolveOnAuthEvent(options.onAuthEvent),
    logger: options.logger ?? {},
    now: options.now ?? Date.now,
  };
}
