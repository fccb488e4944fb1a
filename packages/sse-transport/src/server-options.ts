import type { CorsOptions, ScopesFor, ToolScopes } from '@mcp-auth/gate';
import type { ClusterOptions } from './cluster/types.js';
import type { Logger } from './internal/logger.js';
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
