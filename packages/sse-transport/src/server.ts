import { createHash } from 'node:crypto';
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenValidationError } from '@mcp-auth/validator';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { type CorsOptions, resolveCors } from './internal/cors.js';
import {
  hasBody,
  parseJsonContentType,
  readBody,
  requestPath,
  requestQuery,
  sendError,
  sendJson,
} from './internal/http.js';
import type { Logger } from './internal/logger.js';
import {
  createMessageScopeResolver,
  type ScopesFor,
  type ToolScopes,
} from './internal/message-scopes.js';
import { handleAuthorize, handleCallback, type OAuthRouteOptions } from './oauth/routes.js';
import { parseJsonRpcMessages, type SseCloseReason, SseServerTransport } from './transport.js';
import type { SseAuthProvider } from './types.js';

export type { CorsOptions } from './internal/cors.js';
export type { RenderedResponse } from './internal/http.js';
export type { ScopesFor, ToolScopes } from './internal/message-scopes.js';

/** An SDK `McpServer` or `Server`: anything that connects to a transport and closes. */
export interface McpServerLike {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

/** What the factory receives for each new SSE session. */
export interface SessionContext {
  sessionId: string;
  /** The principal that opened the stream; undefined when the SSE endpoint is unauthenticated. */
  authInfo: AuthInfo | undefined;
  req: IncomingMessage;
}

/** Creates an MCP server for one session. */
export type McpServerFactory = (context: SessionContext) => McpServerLike | Promise<McpServerLike>;

/** Options of {@link createHandler} and {@link createServer}. */
export interface SseServerOptions {
  /** Creates an SDK `McpServer` (or `Server`) per SSE session. Required. */
  createMcpServer: McpServerFactory;
  /** Port for {@link createServer}'s `listen()`. Default 0 (a free port). */
  port?: number;
  /** Interface for {@link createServer}'s `listen()`. Default `127.0.0.1`. */
  host?: string;
  /** Path of the SSE stream. Default `/sse`. */
  endpoint?: string;
  /** Path clients POST messages to. Default `/messages`. */
  messageEndpoint?: string;
  /** Path of the health check, or `false`. Default `/health`. */
  healthEndpoint?: string | false;
  /** Path that starts the browser OAuth flow (when the provider has a `clientId`). Default `/oauth/authorize`. */
  authorizeEndpoint?: string;
  /** CORS; `false` sends no CORS headers. `WWW-Authenticate` is always exposed, `Authorization` always allowed. */
  cors?: CorsOptions | false;
  /**
   * Authentication. Both endpoints are protected by default. Turning one off weakens security:
   * a message without authentication carries no `authInfo` and is not bound to a principal.
   */
  auth?: {
    provider: SseAuthProvider;
    endpoints?: { sse?: boolean; messages?: boolean };
    /**
     * Scopes some tools need on top of the provider's required scopes, e.g.
     * `{ server_stats: ['mcp:admin'] }`. A `POST /messages` whose message (or any message of its
     * batch) is a `tools/call` of a listed tool needs them; without them it gets 403
     * `insufficient_scope` whose `WWW-Authenticate` `scope` lists every scope the request needs
     * (required + extra), and nothing of it reaches the MCP server. Clients step up on that 403.
     * Needs authentication on the message endpoint.
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
  /** Largest accepted message body in bytes (413 above). Default 4 MiB. */
  maxMessageBytes?: number;
  /** Time allowed to receive a message body (408 after). Default 30000 ms. */
  bodyTimeoutMs?: number;
  /** Interval of keep-alive comments on idle streams, in ms; 0 disables them. Default 15000. */
  keepAliveMs?: number;
  /** Most concurrent sessions; the next SSE request gets 503. Default 10000. */
  maxSessions?: number;
  /** Most concurrent sessions of one principal (issuer + subject + client); the next gets 429. Default 100. */
  maxSessionsPerPrincipal?: number;
  /** A session whose unsent stream data passes this many bytes is dropped. Default 4 MiB. */
  maxBufferedBytes?: number;
  /**
   * End a stream when the newest token its principal presented expires (clients reconnect with a
   * fresh token). Default true.
   */
  closeStreamOnTokenExpiry?: boolean;
  logger?: Logger;
  /** Clock in ms, for tests. */
  now?: () => number;
}

/** One live SSE session. */
export interface SessionInfo {
  sessionId: string;
  /** Issuer, subject and client of the token that opened the stream; '' when unauthenticated. */
  principal: string;
  createdAt: number;
  /** Seconds since the epoch: when the newest token of the principal expires. */
  expiresAt: number | undefined;
}

interface Session extends SessionInfo {
  /** For a stream opened without authentication: the principal of its first authenticated message. */
  claimedBy?: string;
  transport: SseServerTransport;
  server: McpServerLike | undefined;
}

/** A `(req, res, next?)` handler for `node:http`, connect or Express. */
export interface SseHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** Ends every stream and MCP server, and refuses new sessions. */
  close(): Promise<void>;
  /** Number of live sessions. */
  readonly sessionCount: number;
  /** The live sessions (a snapshot). */
  sessions(): SessionInfo[];
}

/** The standalone server of {@link createServer}. */
export interface SseServer {
  readonly handler: SseHandler;
  readonly httpServer: HttpServer;
  /** Starts listening (on `options.port` and `options.host` unless given); resolves with the URL. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Ends the streams, then the HTTP server and its connections. */
  close(): Promise<void>;
}

const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

function checkPath(name: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\/[^\s?#]*$/.test(value)) {
    throw new TypeError(`"${name}" must be a path starting with "/" (no query, no fragment)`);
  }
  return value;
}

function checkPositiveInt(name: string, value: unknown, allowZero = false): number {
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

function principalOf(authInfo: AuthInfo | undefined): string {
  if (authInfo === undefined) return '';
  const extra = authInfo.extra ?? {};
  const issuer = typeof extra['issuer'] === 'string' ? extra['issuer'] : '';
  // Without a subject (a custom validator may not report one) the session is bound to the exact
  // token instead: stricter (a refreshed token cannot continue the session), never looser.
  const subject =
    typeof extra['subject'] === 'string' && extra['subject'] !== ''
      ? extra['subject']
      : `token:${createHash('sha256').update(authInfo.token).digest('base64url')}`;
  // NUL cannot occur in any of the three, so the key is unambiguous.
  return `${issuer}\u0000${subject}\u0000${authInfo.clientId}`;
}

/**
 * Creates the MCP HTTP+SSE endpoints with OAuth 2.1 as a `(req, res, next?)` handler, to mount in
 * an existing `node:http`, connect or Express server. Requests for other paths go to `next()` (or
 * get a 404 without `next`).
 *
 * Endpoints: `GET /sse` (the stream), `POST /messages?sessionId=…`, the protected resource metadata
 * at both well-known URLs, `GET /oauth/authorize` and the callback (with a `clientId`), `GET /health`,
 * and `OPTIONS` preflights.
 *
 * @example
 * ```ts
 * const handler = createHandler({
 *   // server_stats also needs mcp:admin: without it, 403 insufficient_scope and the client steps up
 *   auth: { provider, toolScopes: { server_stats: ['mcp:admin'] } },
 *   createMcpServer: () => {
 *     const server = new McpServer({ name: 'demo', version: '1.0.0' });
 *     server.registerTool('whoami', {}, async (_args, extra) => ({
 *       content: [{ type: 'text', text: String(extra.authInfo?.extra?.subject) }],
 *     }));
 *     return server;
 *   },
 * });
 * http.createServer(handler).listen(3000, '127.0.0.1');
 * ```
 * @see https://modelcontextprotocol.io/specification/2024-11-05/basic/transports#http-with-sse
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-challenge-handling
 */
export function createHandler(options: SseServerOptions): SseHandler {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('options must be an object');
  }
  if (typeof options.createMcpServer !== 'function') {
    throw new TypeError('"createMcpServer" must be a function that returns an McpServer or Server');
  }
  const endpoint = checkPath('endpoint', options.endpoint ?? '/sse');
  const messageEndpoint = checkPath('messageEndpoint', options.messageEndpoint ?? '/messages');
  const healthEndpoint =
    options.healthEndpoint === false
      ? undefined
      : checkPath('healthEndpoint', options.healthEndpoint ?? '/health');
  const authorizeEndpoint = checkPath(
    'authorizeEndpoint',
    options.authorizeEndpoint ?? '/oauth/authorize',
  );
  if (endpoint === messageEndpoint) {
    throw new TypeError('"endpoint" and "messageEndpoint" must differ');
  }
  const maxMessageBytes = checkPositiveInt(
    'maxMessageBytes',
    options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  );
  const bodyTimeoutMs = checkPositiveInt('bodyTimeoutMs', options.bodyTimeoutMs ?? 30_000);
  const keepAliveMs = checkPositiveInt('keepAliveMs', options.keepAliveMs ?? 15_000, true);
  const maxSessions = checkPositiveInt('maxSessions', options.maxSessions ?? 10_000);
  const maxPerPrincipal = checkPositiveInt(
    'maxSessionsPerPrincipal',
    options.maxSessionsPerPrincipal ?? 100,
  );
  const maxBufferedBytes = checkPositiveInt(
    'maxBufferedBytes',
    options.maxBufferedBytes ?? 4 * 1024 * 1024,
  );
  const closeOnExpiry = options.closeStreamOnTokenExpiry ?? true;
  const logger = options.logger ?? {};
  const now = options.now ?? Date.now;
  const cors = resolveCors(options.cors);

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
  } else if (options.insecureNoAuth !== true) {
    throw new TypeError(
      '"auth.provider" is required (pass "insecureNoAuth: true" to serve without authentication)',
    );
  }
  const authSse = provider !== undefined && options.auth?.endpoints?.sse !== false;
  const authMessages = provider !== undefined && options.auth?.endpoints?.messages !== false;
  if (provider !== undefined && (!authSse || !authMessages)) {
    logger.warn?.('sse-transport: an endpoint is served without authentication', {
      sse: authSse,
      messages: authMessages,
    });
  }
  const messageScopes = createMessageScopeResolver(
    options.auth?.toolScopes,
    options.auth?.scopesFor,
  );
  if (messageScopes !== undefined && !authMessages) {
    throw new TypeError(
      '"auth.toolScopes" and "auth.scopesFor" need authentication on the message endpoint (auth.endpoints.messages)',
    );
  }
  const baseScopes = provider?.requiredScopes;
  if (
    baseScopes !== undefined &&
    (!Array.isArray(baseScopes) || baseScopes.some((s) => typeof s !== 'string'))
  ) {
    throw new TypeError('"auth.provider.requiredScopes" must be an array of scope strings');
  }
  const oauthEnabled = provider?.clientId !== undefined;
  const callbackPath = oauthEnabled ? checkPath('callbackPath', provider!.callbackPath) : undefined;
  const oauthRoutes: OAuthRouteOptions = options.oauth ?? {};

  const sessions = new Map<string, Session>();
  const perPrincipal = new Map<string, number>();
  let closing = false;

  const keepAliveTimer =
    keepAliveMs > 0
      ? setInterval(() => {
          for (const session of sessions.values()) session.transport.keepAlive();
        }, keepAliveMs)
      : undefined;
  keepAliveTimer?.unref();
  const expiryTimer = closeOnExpiry
    ? setInterval(
        () => {
          const nowSeconds = now() / 1000;
          for (const session of sessions.values()) {
            if (session.expiresAt !== undefined && session.expiresAt <= nowSeconds) {
              session.transport.closeWithReason('token-expired');
            }
          }
        },
        Math.min(keepAliveMs || 5_000, 5_000),
      )
    : undefined;
  expiryTimer?.unref();

  const corsHeaders = (req: IncomingMessage): Record<string, string> =>
    cors ? cors.headers(req) : {};

  /** Authenticates, or answers the failure and resolves undefined. */
  /** Authenticates, or answers the failure and resolves undefined. (No async wrapper: hot path.) */
  function authenticate(req: IncomingMessage, res: ServerResponse): Promise<AuthInfo | undefined> {
    return provider!.authenticate(req).catch((error: unknown) => {
      const rendered = provider!.getAuthError(error);
      if (rendered.status >= 500) {
        logger.warn?.('sse-transport: token validation unavailable', {
          status: rendered.status,
          code: (error as { code?: unknown })?.code,
        });
      }
      const headers: Record<string, string> = { ...corsHeaders(req), ...rendered.headers };
      // Do not read a body nobody will use; closing is cheaper than draining it.
      if (hasBody(req)) headers['connection'] = 'close';
      sendJson(res, rendered.status, rendered.body, headers);
      return undefined;
    });
  }

  function removeSession(session: Session, reason: SseCloseReason): void {
    if (sessions.get(session.sessionId) !== session) return;
    sessions.delete(session.sessionId);
    const count = (perPrincipal.get(session.principal) ?? 1) - 1;
    if (count <= 0) perPrincipal.delete(session.principal);
    else perPrincipal.set(session.principal, count);
    logger.debug?.('sse-transport: session closed', { reason, sessions: sessions.size });
    const server = session.server;
    session.server = undefined;
    server?.close().catch((error: unknown) => {
      logger.warn?.('sse-transport: MCP server close failed', { error: String(error) });
    });
  }

  async function handleSse(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cors = corsHeaders(req);
    if (closing) {
      sendError(res, 503, 'temporarily_unavailable', 'The server is shutting down', {
        ...cors,
        'retry-after': '5',
      });
      return;
    }
    let authInfo: AuthInfo | undefined;
    if (authSse) {
      authInfo = await authenticate(req, res);
      if (authInfo === undefined) return;
    }
    if (closing) {
      sendError(res, 503, 'temporarily_unavailable', 'The server is shutting down', cors);
      return;
    }
    if (sessions.size >= maxSessions) {
      sendError(res, 503, 'temporarily_unavailable', 'Too many sessions, try again later', {
        ...cors,
        'retry-after': '5',
      });
      return;
    }
    const principal = principalOf(authInfo);
    const count = perPrincipal.get(principal) ?? 0;
    if (authInfo !== undefined && count >= maxPerPrincipal) {
      sendError(res, 429, 'too_many_sessions', 'Too many open sessions for this principal', {
        ...cors,
        'retry-after': '5',
      });
      return;
    }
    const transport = new SseServerTransport(res, {
      messageEndpoint,
      maxBufferedBytes,
      headers: cors,
    });
    const session: Session = {
      sessionId: transport.sessionId,
      principal,
      createdAt: now(),
      expiresAt: authInfo?.expiresAt,
      transport,
      server: undefined,
    };
    // Registered before anything async so maxSessions counts it.
    sessions.set(session.sessionId, session);
    perPrincipal.set(principal, count + 1);
    transport.onclosereason = (reason) => removeSession(session, reason);
    if (req.socket.destroyed) {
      transport.closeWithReason('client-disconnected');
      return;
    }
    let server: McpServerLike;
    try {
      server = await options.createMcpServer({ sessionId: session.sessionId, authInfo, req });
      session.server = server;
      await server.connect(transport);
    } catch (error) {
      logger.error?.('sse-transport: could not start the MCP session', { error: String(error) });
      if (!transport.isOpen && sessions.get(session.sessionId) === session) {
        transport.closeWithReason('closed');
        sendError(res, 500, 'server_error', 'Could not start the session', cors);
      } else {
        transport.closeWithReason('closed');
      }
      return;
    }
    if (!transport.isOpen) {
      // The client left while the server was being created.
      removeSession(session, 'client-disconnected');
      return;
    }
    logger.debug?.('sse-transport: session opened', { sessions: sessions.size });
  }

  async function handleMessage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cors = corsHeaders(req);
    const reject = (status: number, error: string, description: string) => {
      const headers: Record<string, string> = { ...cors };
      if (hasBody(req) && !req.complete) headers['connection'] = 'close';
      sendError(res, status, error, description, headers);
    };
    let authInfo: AuthInfo | undefined;
    if (authMessages) {
      authInfo = await authenticate(req, res);
      if (authInfo === undefined) return;
    }
    const sessionId = new URLSearchParams(requestQuery(req.url ?? '')).get('sessionId');
    if (sessionId === null || sessionId === '') {
      reject(400, 'invalid_request', 'The sessionId query parameter is required');
      return;
    }
    const session = SESSION_ID.test(sessionId) ? sessions.get(sessionId) : undefined;
    if (session === undefined || !session.transport.isOpen) {
      reject(404, 'session_not_found', 'No open session with this id');
      return;
    }
    if (authMessages && session.principal === '' && session.claimedBy === undefined) {
      // The stream was opened without authentication (endpoints.sse: false): the first
      // authenticated sender claims the session, and only that principal may use it afterwards.
      session.claimedBy = principalOf(authInfo);
    }
    if (authMessages && (session.claimedBy ?? session.principal) !== principalOf(authInfo)) {
      // A valid token of someone else: the session is not theirs. Nothing is read or delivered.
      logger.warn?.('sse-transport: message refused, the session belongs to another principal');
      reject(403, 'access_denied', 'This session belongs to another principal');
      return;
    }
    const contentType = parseJsonContentType(req.headers['content-type']);
    if (!contentType.ok) {
      reject(415, 'invalid_request', 'Content-Type must be application/json (UTF-8)');
      return;
    }
    let message: unknown;
    const parsedBefore = (req as IncomingMessage & { body?: unknown }).body;
    if (req.readableEnded && parsedBefore !== undefined) {
      // Mounted behind a body parser (express.json()): it enforced its own size limit.
      message = parsedBefore;
      if (typeof message === 'string' || Buffer.isBuffer(message)) {
        try {
          message = JSON.parse(message.toString());
        } catch {
          reject(400, 'invalid_request', 'The body is not valid JSON');
          return;
        }
      }
    } else {
      const read = await readBody(req, maxMessageBytes, bodyTimeoutMs);
      if (!read.ok) {
        if (read.reason === 'too-large') {
          reject(413, 'invalid_request', `The message is larger than ${maxMessageBytes} bytes`);
        } else if (read.reason === 'bad-length') {
          reject(400, 'invalid_request', 'Invalid Content-Length');
        } else if (read.reason === 'timeout') {
          reject(408, 'invalid_request', 'The message body did not arrive in time');
        } else if (read.reason === 'consumed') {
          reject(500, 'server_error', 'The request body was consumed before this handler');
        } else if (!res.writableEnded) {
          res.destroy();
        }
        return;
      }
      try {
        message = JSON.parse(read.body.toString('utf8'));
      } catch {
        reject(400, 'invalid_request', 'The body is not valid JSON');
        return;
      }
    }
    const messages = parseJsonRpcMessages(message);
    if (messages === undefined) {
      session.transport.onerror?.(new Error('Invalid JSON-RPC message'));
      reject(400, 'invalid_request', 'The body is not a JSON-RPC 2.0 message (or batch)');
      return;
    }
    if (messageScopes !== undefined && authInfo !== undefined) {
      let extraScopes: string[];
      try {
        extraScopes = messageScopes(messages);
      } catch (error) {
        logger.error?.('sse-transport: auth.scopesFor failed; message refused', {
          error: String(error),
        });
        reject(500, 'server_error', 'Could not determine the scopes this request needs');
        return;
      }
      if (extraScopes.length > 0) {
        const granted = authInfo.scopes;
        const needed = [...new Set([...(baseScopes ?? []), ...extraScopes])];
        if (!needed.every((s) => granted.includes(s))) {
          // Rendered by the provider like every other token failure (the validator's challenge).
          const rendered = provider!.getAuthError(
            new TokenValidationError('ERR_INSUFFICIENT_SCOPE', 'The token lacks a required scope', {
              requiredScopes: needed,
              reason: 'missing_scope',
            }),
          );
          sendJson(res, rendered.status, rendered.body, { ...cors, ...rendered.headers });
          return;
        }
      }
    }
    if (!session.transport.isOpen) {
      reject(404, 'session_not_found', 'No open session with this id');
      return;
    }
    if (authInfo?.expiresAt !== undefined) {
      if (session.expiresAt === undefined || authInfo.expiresAt > session.expiresAt) {
        session.expiresAt = authInfo.expiresAt;
      }
    }
    const extra: MessageExtraInfo = {
      requestInfo: { headers: req.headers },
    };
    if (authInfo !== undefined) extra.authInfo = authInfo;
    session.transport.deliver(messages, extra);
    res.writeHead(202, {
      ...cors,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': '8',
      'cache-control': 'no-store',
    });
    res.end('Accepted');
  }

  function preflight(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(204, { ...(cors ? cors.preflight(req) : {}), 'content-length': '0' });
    res.end();
  }

  function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: string): void {
    sendError(res, 405, 'invalid_request', 'Method not allowed', {
      ...corsHeaders(req),
      allow,
    });
  }

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    next?: (err?: unknown) => void,
  ): Promise<void> {
    const target =
      (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const path = requestPath(target);
    if (path === undefined) {
      sendError(res, 400, 'invalid_request', 'Invalid request target');
      return;
    }
    const method = req.method ?? 'GET';
    // Every metadata URL is under /.well-known/ (RFC 9728 §3): no work for other requests.
    if (path.startsWith('/.well-known/') && provider?.handleMetadataRequest(req, res)) return;
    if (path === endpoint) {
      if (method === 'GET') return handleSse(req, res);
      if (method === 'OPTIONS') return preflight(req, res);
      return methodNotAllowed(req, res, 'GET, OPTIONS');
    }
    if (path === messageEndpoint) {
      if (method === 'POST') return handleMessage(req, res);
      if (method === 'OPTIONS') return preflight(req, res);
      return methodNotAllowed(req, res, 'POST, OPTIONS');
    }
    if (healthEndpoint !== undefined && path === healthEndpoint) {
      if (method === 'GET' || method === 'HEAD') {
        sendJson(res, 200, { status: closing ? 'closing' : 'ok' }, corsHeaders(req));
        return;
      }
      return methodNotAllowed(req, res, 'GET, HEAD');
    }
    if (oauthEnabled && (path === authorizeEndpoint || path === callbackPath)) {
      if (method !== 'GET') return methodNotAllowed(req, res, 'GET');
      if (path === authorizeEndpoint) {
        return handleAuthorize(provider!, req, res, oauthRoutes, logger);
      }
      return handleCallback(provider!, req, res, oauthRoutes, logger);
    }
    if (next) {
      next();
      return;
    }
    sendError(res, 404, 'not_found', 'Not found', corsHeaders(req));
  }

  const handler = ((req, res, next) => {
    route(req, res, next).catch((error: unknown) => {
      logger.error?.('sse-transport: request failed', { error: String(error) });
      if (!res.headersSent) sendError(res, 500, 'server_error', 'Internal server error');
      else if (!res.writableEnded) res.destroy();
    });
  }) as SseHandler;
  Object.defineProperty(handler, 'sessionCount', { get: () => sessions.size });
  handler.sessions = () =>
    [...sessions.values()].map(({ sessionId, principal, createdAt, expiresAt }) => ({
      sessionId,
      principal,
      createdAt,
      expiresAt,
    }));
  handler.close = async () => {
    closing = true;
    if (keepAliveTimer) clearInterval(keepAliveTimer);
    if (expiryTimer) clearInterval(expiryTimer);
    const servers: Promise<void>[] = [];
    for (const session of [...sessions.values()]) {
      const server = session.server;
      session.transport.closeWithReason('server-shutdown');
      if (server) servers.push(server.close().catch(() => undefined));
    }
    await Promise.all(servers);
  };
  return handler;
}

/**
 * Creates a standalone `node:http` server with the endpoints of {@link createHandler}, listening on
 * `127.0.0.1` unless told otherwise.
 *
 * @example
 * ```ts
 * const server = createServer({ port: 3000, auth: { provider }, createMcpServer });
 * const { url } = await server.listen();
 * // …
 * await server.close();
 * ```
 * @see https://modelcontextprotocol.io/specification/2024-11-05/basic/transports#http-with-sse
 */
export function createServer(options: SseServerOptions): SseServer {
  const handler = createHandler(options);
  if (options.port !== undefined) checkPositiveInt('port', options.port, true);
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) {
    throw new TypeError('"host" must be a non-empty string');
  }
  const httpServer = createHttpServer(handler);
  // Streams are long-lived; the default request timeout (5 min) would cut them.
  httpServer.requestTimeout = 0;
  httpServer.headersTimeout = 30_000;
  let closed: Promise<void> | undefined;
  return {
    handler,
    httpServer,
    listen(port = options.port ?? 0, host = options.host ?? '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        httpServer.once('error', onError);
        httpServer.listen(port, host, () => {
          httpServer.off('error', onError);
          const address = httpServer.address() as AddressInfo;
          const h = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ url: `http://${h}:${address.port}`, port: address.port });
        });
      });
    },
    close() {
      closed ??= (async () => {
        await handler.close();
        await new Promise<void>((resolve) => {
          if (!httpServer.listening) {
            resolve();
            return;
          }
          httpServer.close(() => resolve());
          httpServer.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}
