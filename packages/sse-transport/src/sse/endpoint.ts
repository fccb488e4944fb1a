import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import type { Cluster } from '../cluster/cluster.js';
import { relayedHeaders, withoutToken } from '../cluster/relay-call.js';
import type { RelayedCall } from '../cluster/types.js';
import { hasBody, requestQuery, sendError } from '../internal/http.js';
import { readJsonBody } from '../internal/json-body.js';
import { readJsonRpcBody } from '../internal/jsonrpc.js';
import type { Logger } from '../internal/logger.js';
import { type Principal, principalOf } from '../internal/principal.js';
import type { RequestAuth } from '../internal/request-auth.js';
import type { RegisteredSession, SessionRegistry } from '../sessions.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { McpServerFactory, McpServerLike } from '../types.js';
import { SseServerTransport } from './transport.js';

/** What the legacy HTTP+SSE endpoints need from their handler. */
export interface SseContext {
  readonly registry: SessionRegistry;
  /** Sessions held by other instances (`cluster` option). */
  readonly cluster: Cluster | undefined;
  readonly telemetry: Telemetry;
  /** Authentication of `GET /sse`; `undefined` when the stream is opened without a token. */
  readonly streamAuth: RequestAuth | undefined;
  /** Authentication of `POST /messages`; `undefined` when messages carry no token. */
  readonly messageAuth: RequestAuth | undefined;
  readonly corsHeaders: (req: IncomingMessage) => Record<string, string>;
  readonly createMcpServer: McpServerFactory;
  readonly messageEndpoint: string;
  readonly maxMessageBytes: number;
  readonly bodyTimeoutMs: number;
  readonly maxBatchLength: number;
  readonly maxBufferedBytes: number;
  readonly logger: Logger;
  readonly now: () => number;
  readonly isClosing: () => boolean;
}

interface SseSession extends RegisteredSession {
  readonly stream: SseServerTransport;
  server: McpServerLike | undefined;
  /** For a stream opened without authentication: the principal of its first authenticated message. */
  claimedBy?: string;
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The legacy HTTP+SSE endpoints (revision 2024-11-05; deprecated by the MCP specification, still
 * served for old clients): `GET /sse` opens a session's stream, `POST /messages?sessionId=…`
 * delivers messages to it.
 *
 * @see https://modelcontextprotocol.io/specification/2024-11-05/basic/transports#http-with-sse
 */
export function createSseEndpoints(ctx: SseContext): {
  stream(req: IncomingMessage, res: ServerResponse): Promise<void>;
  message(req: IncomingMessage, res: ServerResponse): Promise<void>;
} {
  function unavailable(res: ServerResponse, cors: Record<string, string>, text: string): void {
    sendError(res, 503, 'temporarily_unavailable', text, { ...cors, 'retry-after': '5' });
  }

  async function stream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cors = ctx.corsHeaders(req);
    if (ctx.isClosing()) return unavailable(res, cors, 'The server is shutting down');
    let authInfo: AuthInfo | undefined;
    if (ctx.streamAuth !== undefined) {
      authInfo = await ctx.streamAuth.authenticate(req, res, cors);
      if (authInfo === undefined) return;
    }
    if (ctx.isClosing()) return unavailable(res, cors, 'The server is shutting down');
    const owner = principalOf(authInfo);
    const refusal = ctx.registry.sharesCounts
      ? await ctx.registry.admitShared(owner)
      : ctx.registry.admit(owner);
    if (refusal !== undefined && (refusal === 'server-full' || authInfo !== undefined)) {
      const reason = refusal === 'server-full' ? 'sessions-total' : 'sessions-per-principal';
      ctx.telemetry.rateLimited(req, 'sse', reason, authInfo);
    }
    if (refusal === 'server-full')
      return unavailable(res, cors, 'Too many sessions, try again later');
    if (refusal === 'principal-full' && authInfo !== undefined) {
      sendError(res, 429, 'too_many_sessions', 'Too many open sessions for this principal', {
        ...cors,
        'retry-after': '5',
      });
      return;
    }
    const session = register(res, owner, authInfo, cors);
    if (req.socket.destroyed) {
      session.stream.closeWithReason('client-disconnected');
      return;
    }
    await connect(session, req, res, authInfo, cors);
  }

  function register(
    res: ServerResponse,
    owner: Principal,
    authInfo: AuthInfo | undefined,
    cors: Record<string, string>,
  ): SseSession {
    const transport = new SseServerTransport(res, {
      messageEndpoint: ctx.messageEndpoint,
      maxBufferedBytes: ctx.maxBufferedBytes,
      headers: cors,
    });
    const now = ctx.now();
    const session: SseSession = {
      sessionId: transport.sessionId,
      transport: 'sse',
      principal: owner.owner,
      owner,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: authInfo?.expiresAt,
      stream: transport,
      server: undefined,
      end: (reason) => {
        ctx.logger.debug?.('sse-transport: session closed', { reason });
        transport.closeWithReason(reason === 'token-expired' ? 'token-expired' : 'server-shutdown');
        const current = session.server;
        session.server = undefined;
        current?.close().catch((error: unknown) => {
          ctx.logger.warn?.('sse-transport: MCP server close failed', { error: String(error) });
        });
      },
      keepAlive: () => transport.keepAlive(),
      hasOpenStream: () => transport.isOpen,
      closeStreams: () => transport.closeWithReason('token-expired'),
    };
    // Registered before anything async so maxSessions counts it.
    ctx.registry.add(session);
    transport.onclosereason = (reason) => ctx.registry.remove(session, reason);
    return session;
  }

  async function connect(
    session: SseSession,
    req: IncomingMessage,
    res: ServerResponse,
    authInfo: AuthInfo | undefined,
    cors: Record<string, string>,
  ): Promise<void> {
    const transport = session.stream;
    try {
      session.server = await ctx.createMcpServer({
        sessionId: session.sessionId,
        transport: 'sse',
        authInfo,
        req,
      });
      await session.server.connect(transport);
    } catch (error) {
      ctx.logger.error?.('sse-transport: could not start the MCP session', {
        error: String(error),
      });
      const answered = transport.isOpen || ctx.registry.get(session.sessionId) !== session;
      transport.closeWithReason('closed');
      if (!answered) sendError(res, 500, 'server_error', 'Could not start the session', cors);
      return;
    }
    if (!transport.isOpen) {
      // The client left while the server was being created.
      ctx.registry.remove(session, 'client-disconnected');
      return;
    }
    ctx.logger.debug?.('sse-transport: session opened', { sessions: ctx.registry.size });
  }

  async function message(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cors = ctx.corsHeaders(req);
    const reject = (status: number, error: string, description: string) => {
      if (status === 403 && error === 'access_denied') {
        ctx.telemetry.sessionHijack(req, 'sse', authInfo);
      }
      const headers: Record<string, string> = { ...cors };
      if (hasBody(req) && !req.complete) headers['connection'] = 'close';
      sendError(res, status, error, description, headers);
    };
    let authInfo: AuthInfo | undefined;
    if (ctx.messageAuth !== undefined) {
      authInfo = await ctx.messageAuth.authenticate(req, res, cors);
      if (authInfo === undefined) return;
    }
    const sessionId = new URLSearchParams(requestQuery(req.url ?? '')).get('sessionId');
    if (sessionId === null || sessionId === '') {
      reject(400, 'invalid_request', 'The sessionId query parameter is required');
      return;
    }
    if (ctx.cluster !== undefined && SESSION_ID.test(sessionId) && !ctx.registry.get(sessionId)) {
      return relayed(req, res, sessionId, authInfo, cors, reject);
    }
    const session = findSession(sessionId, principalOf(authInfo).owner, reject);
    if (session === undefined) return;
    const messages = await readMessages(req, res, reject, session);
    if (messages === undefined) return;
    if (authInfo !== undefined && !ctx.messageAuth!.allowsMessages(messages, authInfo, res, cors)) {
      return;
    }
    if (!session.stream.isOpen) {
      reject(404, 'session_not_found', 'No open session with this id');
      return;
    }
    ctx.registry.touch(session, authInfo?.expiresAt);
    const extra: MessageExtraInfo = { requestInfo: { headers: req.headers } };
    if (authInfo !== undefined) extra.authInfo = authInfo;
    session.stream.deliver(messages, extra);
    accepted(res, cors);
  }

  /** Reads and validates the body (JSON, then JSON-RPC); `undefined` when the refusal was answered. */
  async function readMessages(
    req: IncomingMessage,
    res: ServerResponse,
    reject: (status: number, error: string, description: string) => void,
    session: SseSession | undefined,
  ): Promise<JSONRPCMessage[] | undefined> {
    const body = await readJsonBody(req, ctx.maxMessageBytes, ctx.bodyTimeoutMs);
    if (!body.ok) {
      if (body.kind === 'aborted') {
        if (!res.writableEnded) res.destroy();
      } else {
        reject(
          body.status,
          body.status === 500 ? 'server_error' : 'invalid_request',
          body.description,
        );
      }
      return undefined;
    }
    const parsed = readJsonRpcBody(body.value, ctx.maxBatchLength);
    if (!parsed.ok) {
      session?.stream.onerror?.(new Error('Invalid JSON-RPC message'));
      reject(
        400,
        'invalid_request',
        parsed.reason === 'batch-too-long'
          ? `A batch may hold at most ${ctx.maxBatchLength} messages`
          : 'The body is not a JSON-RPC 2.0 message (or batch)',
      );
      return undefined;
    }
    return parsed.messages;
  }

  /**
   * A message for a session held by another instance: 404 when the directory does not know it (or
   * its instance died), 403 for another principal (nothing read or forwarded), 503 while Redis
   * cannot tell; otherwise relayed to its instance, which delivers it and answers 202.
   */
  async function relayed(
    req: IncomingMessage,
    res: ServerResponse,
    sessionId: string,
    authInfo: AuthInfo | undefined,
    cors: Record<string, string>,
    reject: (status: number, error: string, description: string) => void,
  ): Promise<void> {
    const refuse = (status: 404 | 503) =>
      status === 404
        ? reject(404, 'session_not_found', 'No open session with this id')
        : sendError(res, 503, 'temporarily_unavailable', 'The session is temporarily unreachable', {
            ...cors,
            'retry-after': '2',
            ...(hasBody(req) && !req.complete ? { connection: 'close' } : {}),
          });
    const location = await ctx.cluster!.locate(sessionId);
    if (location.kind !== 'remote') return refuse(location.kind === 'unknown' ? 404 : 503);
    const owner = principalOf(authInfo).owner;
    if (ctx.messageAuth !== undefined && location.owner !== '' && location.owner !== owner) {
      ctx.logger.warn?.('sse-transport: message refused, the session belongs to another principal');
      reject(403, 'access_denied', 'This session belongs to another principal');
      return;
    }
    const messages = await readMessages(req, res, reject, undefined);
    if (messages === undefined) return;
    if (authInfo !== undefined && !ctx.messageAuth!.allowsMessages(messages, authInfo, res, cors)) {
      return;
    }
    const call: RelayedCall = {
      sessionId,
      transport: 'sse',
      method: 'post',
      owner,
      messages,
      authInfo: withoutToken(authInfo),
      headers: relayedHeaders(req.headers),
    };
    await ctx.cluster!.forward(location, call, res, cors, refuse);
  }

  /** A message relayed by another instance for a session held here (checked again here). */
  function serveRelayed(call: RelayedCall, res: ServerResponse): void {
    const reject = (status: number, error: string, description: string) =>
      sendError(res, status, error, description);
    const session = findSession(call.sessionId, call.owner, reject);
    if (session === undefined) return;
    ctx.registry.touch(session, call.authInfo?.expiresAt);
    const extra: MessageExtraInfo = { requestInfo: { headers: call.headers } };
    if (call.authInfo !== undefined) extra.authInfo = call.authInfo;
    session.stream.deliver(call.messages ?? [], extra);
    accepted(res, {});
  }
  ctx.cluster?.serve('sse', serveRelayed);

  function accepted(res: ServerResponse, cors: Record<string, string>): void {
    res.writeHead(202, {
      ...cors,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': '8',
      'cache-control': 'no-store',
    });
    res.end('Accepted');
  }

  /** The open session `sessionId`, owned by `sender`; or the refusal was answered. */
  function findSession(
    sessionId: string,
    sender: string,
    reject: (status: number, error: string, description: string) => void,
  ): SseSession | undefined {
    const found = SESSION_ID.test(sessionId) ? ctx.registry.get(sessionId) : undefined;
    const session = found?.transport === 'sse' ? (found as SseSession) : undefined;
    if (session === undefined || !session.stream.isOpen) {
      reject(404, 'session_not_found', 'No open session with this id');
      return undefined;
    }
    if (ctx.messageAuth === undefined) return session;
    if (session.principal === '' && session.claimedBy === undefined) {
      // The stream was opened without authentication (endpoints.sse: false): the first
      // authenticated sender claims the session, and only that principal may use it afterwards.
      session.claimedBy = sender;
    }
    if ((session.claimedBy ?? session.principal) !== sender) {
      // A valid token of someone else: the session is not theirs. Nothing is read or delivered.
      ctx.logger.warn?.('sse-transport: message refused, the session belongs to another principal');
      reject(403, 'access_denied', 'This session belongs to another principal');
      return undefined;
    }
    return session;
  }

  return { stream, message };
}
