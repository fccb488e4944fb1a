import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolveCors } from '@mcp-auth/gate';
import { urlPath } from '@mcp-auth/internal';
import { Cluster } from './cluster/cluster.js';
import { requestPath, sendError, sendJson } from './internal/http.js';
import { createRequestAuth } from './internal/request-auth.js';
import { handleAuthorize, handleCallback } from './oauth/routes.js';
import { type ResolvedOptions, resolveOptions, type SseServerOptions } from './options.js';
import { type SessionInfo, SessionRegistry } from './sessions.js';
import { createSseEndpoints } from './sse/endpoint.js';
import { createStreamableEndpoint } from './streamable/endpoint.js';
import { Telemetry } from './telemetry/telemetry.js';

/** A `(req, res, next?)` handler for `node:http`, connect or Express. */
export interface SseHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** Ends every stream, session and MCP server, and refuses new sessions. */
  close(): Promise<void>;
  /** Number of live sessions (both transports). */
  readonly sessionCount: number;
  /** The live sessions held by this instance (a snapshot). */
  sessions(): SessionInfo[];
  /**
   * Resolves once the handler is ready to serve sessions held by other instances (`cluster`: Redis
   * connected and subscribed); at once without `cluster`.
   */
  ready(): Promise<void>;
  /** This instance's id in the cluster; `undefined` without `cluster`. */
  readonly instanceId: string | undefined;
}

type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** One path's handlers by method; `OPTIONS` (preflight) and 405 come from the table. */
type MethodTable = Partial<Record<'GET' | 'HEAD' | 'POST' | 'DELETE', Route>>;

/**
 * Creates the MCP endpoints with OAuth 2.1 as a `(req, res, next?)` handler, to mount in an
 * existing `node:http`, connect or Express server. Requests for other paths go to `next()` (or get
 * a 404 without `next`).
 *
 * Endpoints: the Streamable HTTP endpoint `/mcp` (POST, GET, DELETE), the deprecated HTTP+SSE pair
 * `GET /sse` + `POST /messages?sessionId=…`, the protected resource metadata at both well-known
 * URLs, `GET /oauth/authorize` and the callback (with a `clientId`), `GET /health`, and `OPTIONS`
 * preflights.
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
 * http.createServer(handler).listen(3000, '127.0.0.1'); // MCP at http://127.0.0.1:3000/mcp
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#streamable-http
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-challenge-handling
 */
export function createHandler(options: SseServerOptions): SseHandler {
  const o = resolveOptions(options);
  if (o.provider !== undefined && o.sse !== undefined && (!o.authSse || !o.authMessages)) {
    o.logger.warn?.('sse-transport: an endpoint is served without authentication', {
      sse: o.authSse,
      messages: o.authMessages,
    });
  }
  const cors = resolveCors(options.cors);
  const corsHeaders = (req: IncomingMessage): Record<string, string> =>
    cors ? cors.headers(req.headers.origin) : {};
  const cluster = o.cluster === undefined ? undefined : new Cluster(o.cluster, o.logger, o.now);
  const registry = new SessionRegistry({
    listener: cluster,
    // Cluster-wide per-account cap (falls back to the local count while Redis is down).
    sessionsElsewhere: cluster && ((account) => cluster.sessionsElsewhere(account)),
    maxSessions: o.maxSessions,
    maxSessionsPerPrincipal: o.maxSessionsPerPrincipal,
    idleTimeoutMs: o.streamable?.idleTimeoutMs ?? 30 * 60_000,
    keepAliveMs: o.keepAliveMs,
    closeOnTokenExpiry: o.closeOnTokenExpiry,
    now: o.now,
  });
  let closing = false;
  const telemetry = new Telemetry(o.onAuthEvent, () => countByTransport(registry), o.logger, o.now);
  const routes = buildRoutes(o, registry, cluster, telemetry, corsHeaders, () => closing);

  function preflight(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(204, {
      ...(cors ? cors.preflight(req.headers.origin) : {}),
      'content-length': '0',
    });
    res.end();
  }

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    next?: (err?: unknown) => void,
  ): Promise<void> {
    // DNS rebinding: every path, preflights and metadata included, before anything else.
    if (!o.originGuard(req, res, (reason) => telemetry.originRefused(req, reason))) return;
    const target =
      (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const path = requestPath(target);
    if (path === undefined) {
      sendError(res, 400, 'invalid_request', 'Invalid request target');
      return;
    }
    // Every metadata URL is under /.well-known/ (RFC 9728 §3): no work for other requests.
    if (path.startsWith('/.well-known/') && o.provider?.handleMetadataRequest(req, res)) return;
    const table = routes.get(path);
    if (table === undefined) {
      if (next) next();
      else sendError(res, 404, 'not_found', 'Not found', corsHeaders(req));
      return;
    }
    const method = (req.method ?? 'GET') as keyof MethodTable | 'OPTIONS';
    if (method === 'OPTIONS' && !routes.noPreflight.has(path)) return preflight(req, res);
    const handle = method === 'OPTIONS' ? undefined : table[method];
    if (handle !== undefined) return handle(req, res);
    sendError(res, 405, 'invalid_request', 'Method not allowed', {
      ...corsHeaders(req),
      allow: allowHeader(table, !routes.noPreflight.has(path)),
    });
  }

  const handler = ((req, res, next) => {
    route(req, res, next).catch((error: unknown) => {
      o.logger.error?.('sse-transport: request failed', { error: String(error) });
      if (!res.headersSent) sendError(res, 500, 'server_error', 'Internal server error');
      else if (!res.writableEnded) res.destroy();
    });
  }) as SseHandler;
  Object.defineProperty(handler, 'sessionCount', { get: () => registry.size });
  Object.defineProperty(handler, 'instanceId', { get: () => cluster?.instanceId });
  handler.sessions = () => registry.list();
  handler.ready = async () => {
    await telemetry.loaded;
    await cluster?.ready();
  };
  handler.close = async () => {
    closing = true;
    registry.close();
    await cluster?.close();
  };
  return handler;
}

/**
 * `GET /health/ready`: 200 when this instance can serve (not shutting down, Redis connected when
 * `cluster` is on, the authorization server's metadata and JWKS reachable or fresh in cache), else
 * 503 with `Retry-After`; the body names each check. `/health` stays liveness (the process answers).
 */
async function readiness(
  o: ResolvedOptions,
  cluster: Cluster | undefined,
  closing: boolean,
  _req: IncomingMessage,
  res: ServerResponse,
  cors: Record<string, string>,
): Promise<void> {
  const checks: Record<string, string> = {};
  if (cluster !== undefined) checks['redis'] = cluster.healthy ? 'ok' : 'down';
  if (o.provider?.checkReadiness !== undefined) {
    checks['authorizationServer'] = await o.provider.checkReadiness();
  }
  const ok = !closing && !Object.values(checks).includes('down');
  sendJson(
    res,
    ok ? 200 : 503,
    { status: closing ? 'closing' : ok ? 'ready' : 'not_ready', checks },
    ok ? cors : { ...cors, 'retry-after': '5' },
  );
}

function countByTransport(registry: SessionRegistry): Record<'sse' | 'streamable-http', number> {
  const counts = { sse: 0, 'streamable-http': 0 };
  for (const session of registry.list()) counts[session.transport]++;
  return counts;
}

function allowHeader(table: MethodTable, preflight: boolean): string {
  const methods: string[] = Object.keys(table);
  if (preflight) methods.push('OPTIONS');
  return methods.join(', ');
}

/** The routing table: path → method → handler (plus the paths that take no preflight). */
function buildRoutes(
  o: ResolvedOptions,
  registry: SessionRegistry,
  cluster: Cluster | undefined,
  telemetry: Telemetry,
  corsHeaders: (req: IncomingMessage) => Record<string, string>,
  isClosing: () => boolean,
): Map<string, MethodTable> & { noPreflight: Set<string> } {
  const routes = new Map<string, MethodTable>() as Map<string, MethodTable> & {
    noPreflight: Set<string>;
  };
  routes.noPreflight = new Set();
  const requestAuth = (on: boolean, transport: 'sse' | 'streamable-http') =>
    on && o.provider !== undefined
      ? createRequestAuth(o.provider, o.messageScopes, o.logger, telemetry, transport)
      : undefined;
  const shared = {
    registry,
    cluster,
    telemetry,
    corsHeaders,
    createMcpServer: o.createMcpServer,
    maxMessageBytes: o.maxMessageBytes,
    bodyTimeoutMs: o.bodyTimeoutMs,
    maxBatchLength: o.maxBatchLength,
    maxBufferedBytes: o.maxBufferedBytes,
    logger: o.logger,
    now: o.now,
    isClosing,
  };
  if (o.streamable !== undefined) {
    const mcp = createStreamableEndpoint({
      ...shared,
      auth: requestAuth(true, 'streamable-http'),
      stateful: o.streamable.stateful,
      modern: o.streamable.modern,
      sharedServer: o.streamable.sharedServer,
    });
    routes.set(o.streamable.endpoint, { POST: mcp.post, GET: mcp.get, DELETE: mcp.delete });
  }
  if (o.sse !== undefined) {
    const sse = createSseEndpoints({
      ...shared,
      streamAuth: requestAuth(o.authSse, 'sse'),
      messageAuth: requestAuth(o.authMessages, 'sse'),
      messageEndpoint: o.sse.messageEndpoint,
    });
    routes.set(o.sse.endpoint, { GET: sse.stream });
    routes.set(o.sse.messageEndpoint, { POST: sse.message });
  }
  if (o.healthEndpoint !== undefined) {
    const health: Route = (req, res) =>
      sendJson(res, 200, { status: isClosing() ? 'closing' : 'ok' }, corsHeaders(req));
    routes.set(o.healthEndpoint, { GET: health, HEAD: health });
    routes.noPreflight.add(o.healthEndpoint);
    const readyPath = `${o.healthEndpoint.replace(/\/$/, '')}/ready`;
    const ready: Route = (req, res) =>
      readiness(o, cluster, isClosing(), req, res, corsHeaders(req));
    routes.set(readyPath, { GET: ready, HEAD: ready });
    routes.noPreflight.add(readyPath);
  }
  const provider = o.provider;
  if (provider?.clientId !== undefined) {
    const oauthRoutes = o.oauthRoutes;
    routes.set(o.authorizeEndpoint, {
      GET: (req, res) =>
        telemetry.flow('authorize', res, () =>
          handleAuthorize(provider, req, res, oauthRoutes, o.logger),
        ),
    });
    const callbackPath = urlPath(provider.callbackPath, 'callbackPath');
    routes.set(callbackPath, {
      GET: (req, res) =>
        telemetry.flow('callback', res, () =>
          handleCallback(provider, req, res, oauthRoutes, o.logger),
        ),
    });
    routes.noPreflight.add(o.authorizeEndpoint);
    routes.noPreflight.add(callbackPath);
  }
  return routes;
}
