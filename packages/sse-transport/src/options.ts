import {
  type CorsOptions,
  createMessageScopeResolver,
  type MessageScopeResolver,
  type ScopesFor,
  type ToolScopes,
} from '@mcp-auth/gate';
import { type ResolvedClusterOptions, randomInstanceId } from './cluster/cluster.js';
import type { ClusterOptions } from './cluster/types.js';
import type { Logger } from './internal/logger.js';
import { createOriginGuard, type OriginGuard } from './internal/origin-guard.js';
import type { OAuthRouteOptions } from './oauth/routes.js';
import type { ModernHandler } from './streamable/modern.js';
import type { AuthEvent } from './telemetry/events.js';
import type { McpServerFactory, McpServerLike, SseAuthProvider } from './types.js';

/** Options of the Streamable HTTP endpoint. */
export interface StreamableHttpOptions {
  /** Path of the MCP endpoint. Default `/mcp`. */
  endpoint?: string;
  /**
   * `true` (default): `initialize` opens an `Mcp-Session-Id` session bound to its principal, with
   * GET streams and DELETE. `false`: stateless, one MCP server per request, no GET stream.
   */
  sessions?: boolean;
  /**
   * With `sessions: false`: one MCP server for every request instead of `createMcpServer` per
   * request (which dominates the cost of a stateless request: ~0.9 ms for an McpServer with one
   * tool). Every request is still authorized and its `authInfo` reaches tool handlers in
   * `extra.authInfo`; request ids are remapped so clients cannot collide. Use it when the server
   * keeps no per-client state (its tools do not depend on who initialized it).
   */
  server?: McpServerLike;
  /** A session with no request and no open stream for this long ends (ms). Default 30 minutes. */
  sessionIdleTimeoutMs?: number;
  /**
   * Serves MCP revision 2026-07-28 requests (per-request envelopes, no sessions): pass the v2 SDK's
   * `createMcpHandler(factory, { legacy: 'reject' })`. The server authorizes every such request,
   * checks its headers and scopes, and hands it over with the verified `authInfo`. Without it,
   * 2026-07-28 requests are answered "unsupported protocol version" naming the session revisions,
   * and clients fall back to them.
   */
  modern?: ModernHandler;
}

/** Options of {@link createHandler} and {@link createServer}. */
export interface SseServerOptions {
  /** Creates an SDK `McpServer` (or `Server`), v1 or v2, per session (or stateless request). Required. */
  createMcpServer: McpServerFactory;
  /** Port for {@link createServer}'s `listen()`. Default 0 (a free port). */
  port?: number;
  /** Interface for {@link createServer}'s `listen()`. Default `127.0.0.1`. */
  host?: string;
  /** The Streamable HTTP endpoint (the transport of current MCP clients), or `false`. On by default. */
  streamableHttp?: StreamableHttpOptions | false;
  /**
   * The legacy HTTP+SSE endpoints (`GET /sse` + `POST /messages`), deprecated by the MCP
   * specification; `false` turns them off. On by default, for old clients.
   */
  sse?: boolean;
  /** Path of the SSE stream. Default `/sse`. */
  endpoint?: string;
  /** Path clients POST messages to. Default `/messages`. */
  messageEndpoint?: string;
  /** Path of the health check, or `false`. Default `/health`. */
  healthEndpoint?: string | false;
  /** Path that starts the browser OAuth flow (when the provider has a `clientId`). Default `/oauth/authorize`. */
  authorizeEndpoint?: string;
  /**
   * `Origin` values allowed besides the defaults (DNS-rebinding protection, on every endpoint):
   * a request whose `Origin` is present and not allowed gets 403. Defaults: for a resource on a
   * loopback host, loopback origins only; otherwise the resource's own origin. CORS settings
   * (even `allowOrigin: '*'`) never widen this.
   */
  allowedOrigins?: string[];
  /**
   * `Host` values allowed besides the defaults (the resource's host; for a loopback resource,
   * `localhost`, `127.0.0.1` and `[::1]` with its port). Another `Host` gets 403.
   */
  allowedHosts?: string[];
  /**
   * The URL clients reach the MCP endpoint at, when `auth` has no provider that knows it
   * (`insecureNoAuth`): its host decides the `Host`/`Origin` defaults. Without it, only loopback
   * hosts and origins are served.
   */
  resource?: string;
  /**
   * CORS; `false` sends no CORS headers. `WWW-Authenticate` and `Mcp-Session-Id` are always
   * exposed, `Authorization` always allowed.
   */
  cors?: CorsOptions | false;
  /**
   * Authentication. Every endpoint is protected by default. Turning an SSE one off weakens
   * security: a message without authentication carries no `authInfo` and is not bound to a
   * principal. The Streamable HTTP endpoint is always protected when `auth` is set.
   */
  auth?: {
    provider: SseAuthProvider;
    endpoints?: { sse?: boolean; messages?: boolean };
    /**
     * Scopes some tools need on top of the provider's required scopes, e.g.
     * `{ server_stats: ['mcp:admin'] }`. A request whose message (or any message of its batch) is
     * a `tools/call` of a listed tool needs them; without them it gets 403 `insufficient_scope`
     * whose `WWW-Authenticate` `scope` lists every scope the request needs (required + extra), and
     * nothing of it reaches the MCP server. Clients step up on that 403.
     */
    toolScopes?: ToolScopes;
    /**
     * Extra scopes for any message, for rules `toolScopes` cannot express (by method, by
     * arguments). Called once per message of the body, after it was validated as JSON-RPC; return
     * `undefined` or `[]` for none. Combined with `toolScopes` (union). If it throws or returns
     * something else than scope strings, the request fails closed with 500 and nothing is delivered.
     */
    scopesFor?: ScopesFor;
  };
  /**
   * Serve without any authentication (for local experiments and benchmarks). Required to omit
   * `auth`, so an open server is never an accident.
   */
  insecureNoAuth?: boolean;
  /** Hooks of the browser OAuth flow. */
  oauth?: OAuthRouteOptions;
  /**
   * Largest accepted message body in bytes (413 above). Default 1 MiB: parsing a body blocks the
   * event loop for a time proportional to its size (about 10 ms per MiB on an idle core), so this
   * bounds how long one request can hold up every other. Raise it for tools that take large inputs.
   */
  maxMessageBytes?: number;
  /**
   * Most messages in one JSON-RPC batch (400 above): bounds the work one request can cause.
   * Default 100.
   */
  maxBatchLength?: number;
  /** Time allowed to receive a message body (408 after). Default 30000 ms. */
  bodyTimeoutMs?: number;
  /** Interval of keep-alive comments on idle streams, in ms; 0 disables them. Default 15000. */
  keepAliveMs?: number;
  /** Most concurrent sessions (both transports); the next gets 503. Default 10000. */
  maxSessions?: number;
  /**
   * Most concurrent sessions of one user (issuer + subject, across clients and transports); the
   * next gets 429 (an idle Streamable HTTP session of the same user is ended to make room first).
   * Default 100.
   */
  maxSessionsPerPrincipal?: number;
  /** A stream whose unsent data (or a JSON answer whose size) passes this many bytes is dropped. Default 4 MiB. */
  maxBufferedBytes?: number;
  /**
   * End streams when the newest token their principal presented expires (clients reconnect with
   * a fresh token). Default true.
   */
  closeStreamOnTokenExpiry?: boolean;
  /**
   * Several instances behind a load balancer without sticky routing: sessions of both transports
   * are found through a directory in Redis, and a request that lands on another instance than the
   * one holding its session is authorized there, checked against the session's owner, and relayed
   * over Redis pub/sub to the holder, whose answer is relayed back. Tokens never go through Redis.
   */
  cluster?: ClusterOptions;
  /**
   * Receives one typed event per authorization decision (accepted, refused with its code, step-up
   * demanded, session hijack refused, Origin refused, rate-limited), for your audit log. Events
   * carry no token, code, session id or secret. Called synchronously; an exception is logged.
   */
  onAuthEvent?: (event: AuthEvent) => void;
  logger?: Logger;
  /** Clock in ms, for tests. */
  now?: () => number;
}

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

export function checkPath(name: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\/[^\s?#]*$/.test(value)) {
    throw new TypeError(`"${name}" must be a path starting with "/" (no query, no fragment)`);
  }
  return value;
}

export function checkPositiveInt(name: string, value: unknown, allowZero = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  ) {
    throw new TypeError(`"${name}" must be a ${allowZero ? 'non-negative' : 'positive'} integer`);
  }
  return value;
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
    endpoint: checkPath('streamableHttp.endpoint', o?.endpoint ?? '/mcp'),
    stateful,
    sharedServer,
    idleTimeoutMs: checkPositiveInt(
      'streamableHttp.sessionIdleTimeoutMs',
      o?.sessionIdleTimeoutMs ?? 30 * 60_000,
    ),
    modern,
  };
}

function resolveSse(options: SseServerOptions): ResolvedOptions['sse'] {
  if (options.sse === false) return undefined;
  const endpoint = checkPath('endpoint', options.endpoint ?? '/sse');
  const messageEndpoint = checkPath('messageEndpoint', options.messageEndpoint ?? '/messages');
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
    heartbeatMs: checkPositiveInt('cluster.heartbeatMs', c.heartbeatMs ?? 2_000),
    forwardTimeoutMs: checkPositiveInt('cluster.forwardTimeoutMs', c.forwardTimeoutMs ?? 2_000),
    commandTimeoutMs: checkPositiveInt('cluster.commandTimeoutMs', c.commandTimeoutMs ?? 500),
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
        : checkPath('healthEndpoint', options.healthEndpoint ?? '/health'),
    authorizeEndpoint: checkPath(
      'authorizeEndpoint',
      options.authorizeEndpoint ?? '/oauth/authorize',
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
    maxMessageBytes: checkPositiveInt('maxMessageBytes', options.maxMessageBytes ?? 1024 * 1024),
    maxBatchLength: checkPositiveInt('maxBatchLength', options.maxBatchLength ?? 100),
    bodyTimeoutMs: checkPositiveInt('bodyTimeoutMs', options.bodyTimeoutMs ?? 30_000),
    keepAliveMs: checkPositiveInt('keepAliveMs', options.keepAliveMs ?? 15_000, true),
    maxSessions: checkPositiveInt('maxSessions', options.maxSessions ?? 10_000),
    maxSessionsPerPrincipal: checkPositiveInt(
      'maxSessionsPerPrincipal',
      options.maxSessionsPerPrincipal ?? 100,
    ),
    maxBufferedBytes: checkPositiveInt(
      'maxBufferedBytes',
      options.maxBufferedBytes ?? 4 * 1024 * 1024,
    ),
    closeOnTokenExpiry: options.closeStreamOnTokenExpiry ?? true,
    cluster: resolveCluster(options, streamable),
    onAuthEvent: resolveOnAuthEvent(options.onAuthEvent),
    logger: options.logger ?? {},
    now: options.now ?? Date.now,
  };
}
