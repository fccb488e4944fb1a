import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkMcpHeaders } from '@mcp-auth/gate';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import type { Cluster } from '../cluster/cluster.js';
import { relayedHeaders, withoutToken } from '../cluster/cluster.js';
import type { RelayedCall } from '../cluster/types.js';
import { sendError, sendJson } from '../internal/http.js';
import { readJsonBody } from '../internal/json-body.js';
import { JSONRPC, jsonRpcError, readJsonRpcBody } from '../internal/jsonrpc.js';
import type { Logger } from '../internal/logger.js';
import { principalOf } from '../internal/principal.js';
import type { RequestAuth } from '../internal/request-auth.js';
import type { RegisteredSession, SessionRegistry } from '../sessions.js';
import { generateSessionId } from '../sse/transport.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { McpServerFactory, McpServerLike } from '../types.js';
import { type ModernHandler, serveModern } from './modern.js';
import { accepts, isModernRequest, MODERN_REVISIONS, SESSION_REVISIONS } from './protocol.js';
import { StreamableHttpServerTransport } from './transport.js';

/** What the Streamable HTTP endpoint needs from its handler. */
export interface StreamableContext {
  readonly registry: SessionRegistry;
  /** Sessions held by other instances (`cluster` option). */
  readonly cluster: Cluster | undefined;
  readonly telemetry: Telemetry;
  /** `undefined` when the endpoint is served without authentication. */
  readonly auth: RequestAuth | undefined;
  readonly corsHeaders: (req: IncomingMessage) => Record<string, string>;
  readonly createMcpServer: McpServerFactory;
  /** `Mcp-Session-Id` sessions (true) or one MCP server per request (false). */
  readonly stateful: boolean;
  readonly modern: ModernHandler | undefined;
  /** Stateless with one MCP server for every request (ids remapped). */
  readonly sharedServer: McpServerLike | undefined;
  readonly maxMessageBytes: number;
  readonly bodyTimeoutMs: number;
  readonly maxBatchLength: number;
  readonly maxBufferedBytes: number;
  readonly logger: Logger;
  readonly now: () => number;
  readonly isClosing: () => boolean;
}

interface StreamableSession extends RegisteredSession {
  readonly stream: StreamableHttpServerTransport;
}

/** `Mcp-Session-Id` values this server issues (and the only ones it looks up). */
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The three methods of the MCP endpoint (POST, GET, DELETE), each a list of named steps. */
export interface StreamableEndpoint {
  post(req: IncomingMessage, res: ServerResponse): Promise<void>;
  get(req: IncomingMessage, res: ServerResponse): Promise<void>;
  delete(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/**
 * The Streamable HTTP endpoint: every request authorized, sessions bound to the principal that
 * opened them, the 2026-07-28 standard headers checked against the body, and 2026-07-28 requests
 * handed to the `modern` handler (the v2 SDK's) when one is configured.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#streamable-http
 */
export function createStreamableEndpoint(ctx: StreamableContext): StreamableEndpoint {
  /** A JSON-RPC error answer (the body MCP clients expect from this endpoint). */
  function rpcError(
    res: ServerResponse,
    status: number,
    code: number,
    message: string,
    cors: Record<string, string>,
    extra: Record<string, string> = {},
  ): void {
    sendJson(res, status, jsonRpcError(code, message), { ...cors, ...extra });
  }

  /** Authenticates when the endpoint is protected; `null` means the failure was answered. */
  async function authorize(
    req: IncomingMessage,
    res: ServerResponse,
    cors: Record<string, string>,
  ): Promise<AuthInfo | undefined | null> {
    if (ctx.auth === undefined) return undefined;
    return (await ctx.auth.authenticate(req, res, cors)) ?? null;
  }

  /**
   * The session named by `Mcp-Session-Id`, owned by this principal; or the refusal was answered,
   * or (a session held by another instance) the request was relayed there and answered.
   */
  async function ownedSession(
    req: IncomingMessage,
    res: ServerResponse,
    authInfo: AuthInfo | undefined,
    cors: Record<string, string>,
    relay: Pick<RelayedCall, 'method' | 'messages' | 'batch'>,
  ): Promise<StreamableSession | undefined> {
    const id = req.headers['mcp-session-id'];
    if (typeof id !== 'string' || id === '') {
      rpcError(
        res,
        400,
        JSONRPC.SERVER_ERROR,
        'Bad Request: Mcp-Session-Id header is required',
        cors,
      );
      return undefined;
    }
    const session = SESSION_ID.test(id) ? ctx.registry.get(id) : undefined;
    if (session === undefined && ctx.cluster !== undefined && SESSION_ID.test(id)) {
      await relayed(req, res, authInfo, cors, { ...relay, sessionId: id });
      return undefined;
    }
    if (session === undefined || session.transport !== 'streamable-http') {
      rpcError(res, 404, JSONRPC.SESSION_NOT_FOUND, 'Session not found', cors);
      return undefined;
    }
    if (ctx.auth !== undefined && session.owner.owner !== principalOf(authInfo).owner) {
      // A valid token of someone else: the session is not theirs. Nothing is delivered.
      ctx.logger.warn?.('sse-transport: request refused, the session belongs to another principal');
      ctx.telemetry.sessionHijack(req, 'streamable-http', authInfo);
      sendError(res, 403, 'access_denied', 'This session belongs to another principal', cors);
      return undefined;
    }
    ctx.registry.touch(session, authInfo?.expiresAt);
    return session as StreamableSession;
  }

  async function post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cors = ctx.corsHeaders(req);
    if (ctx.isClosing()) {
      rpcError(res, 503, JSONRPC.SERVER_ERROR, 'The server is shutting down', cors, {
        'retry-after': '5',
      });
      return;
    }
    if (
      !accepts(req.headers.accept, 'application/json') ||
      !accepts(req.headers.accept, 'text/event-stream')
    ) {
      rpcError(
        res,
        406,
        JSONRPC.SERVER_ERROR,
        'Not Acceptable: Accept must list application/json and text/event-stream',
        cors,
      );
      return;
    }
    const authInfo = await authorize(req, res, cors);
    if (authInfo === null) return;
    const messages = await readMessages(req, res, cors);
    if (messages === undefined) return;
    const modern = isModernRequest(req.headers, messages.list);
    const mismatch = checkMcpHeaders(messages.list, {
      method: header(req, 'mcp-method'),
      name: header(req, 'mcp-name'),
      protocolVersion: header(req, 'mcp-protocol-version'),
    });
    if (mismatch !== undefined) {
      rpcError(res, 400, JSONRPC.HEADER_MISMATCH, mismatch.message, cors);
      return;
    }
    if (authInfo !== undefined && !ctx.auth!.allowsMessages(messages.list, authInfo, res, cors)) {
      return;
    }
    if (modern) return answerModern(req, res, messages.body, authInfo, cors);
    const extra: MessageExtraInfo = { requestInfo: { headers: req.headers } };
    if (authInfo !== undefined) extra.authInfo = authInfo;
    if (messages.list.some(isInitialize)) {
      return initialize(req, res, messages.list, extra, authInfo, cors);
    }
    if (!ctx.stateful) return stateless(req, res, messages, extra, authInfo, cors);
    const session = await ownedSession(req, res, authInfo, cors, {
      method: 'post',
      messages: messages.list,
      batch: messages.batch,
    });
    if (session === undefined || !supportedVersion(req, res, cors)) return;
    deliver(session.stream, res, messages, extra, cors);
  }

  /** Reads and validates the body: JSON, then JSON-RPC, batch length bounded. */
  async function readMessages(
    req: IncomingMessage,
    res: ServerResponse,
    cors: Record<string, string>,
  ): Promise<{ list: JSONRPCMessage[]; batch: boolean; body: unknown } | undefined> {
    const body = await readJsonBody(req, ctx.maxMessageBytes, ctx.bodyTimeoutMs);
    if (!body.ok) {
      const headers: Record<string, string> = { ...cors };
      if (!req.complete) headers['connection'] = 'close';
      if (body.kind === 'parse') rpcError(res, 400, JSONRPC.PARSE_ERROR, 'Parse error', headers);
      else if (body.kind === 'aborted') res.destroy();
      else
        sendError(
          res,
          body.status,
          body.status === 500 ? 'server_error' : 'invalid_request',
          body.description,
          headers,
        );
      return undefined;
    }
    const parsed = readJsonRpcBody(body.value, ctx.maxBatchLength);
    if (!parsed.ok) {
      const message =
        parsed.reason === 'batch-too-long'
          ? `Invalid Request: a batch may hold at most ${ctx.maxBatchLength} messages`
          : 'Invalid Request: the body is not a JSON-RPC 2.0 message (or batch)';
      rpcError(res, 400, JSONRPC.INVALID_REQUEST, message, cors);
      return undefined;
    }
    return { list: parsed.messages, batch: parsed.batch, body: body.value };
  }

  /** The `MCP-Protocol-Version` header, when present, names a revision this endpoint serves. */
  function supportedVersion(
    req: IncomingMessage,
    res: ServerResponse,
    cors: Record<string, string>,
  ): boolean {
    const version = req.headers['mcp-protocol-version'];
    if (version === undefined || SESSION_REVISIONS.includes(version as string)) return true;
    rpcError(
      res,
      400,
      JSONRPC.SERVER_ERROR,
      `Bad Request: Unsupported protocol version (supported: ${SESSION_REVISIONS.join(', ')})`,
      cors,
    );
    return false;
  }

  function deliver(
    stream: StreamableHttpServerTransport,
    res: ServerResponse,
    messages: { list: JSONRPCMessage[]; batch: boolean },
    extra: MessageExtraInfo,
    cors: Record<string, string>,
  ): void {
    const refusal = stream.handlePost(messages.list, extra, res, {
      batch: messages.batch,
      headers: cors,
    });
    if (refusal === 'duplicate-request-id') {
      rpcError(
        res,
        400,
        JSONRPC.INVALID_REQUEST,
        'Invalid Request: a request with this id is still in progress',
        cors,
      );
    } else if (refusal === 'closed') {
      rpcError(res, 404, JSONRPC.SESSION_NOT_FOUND, 'Session not found', cors);
    }
  }

  /** `initialize`: alone in its POST; opens a session bound to the principal (stateful). */
  async function initialize(
    req: IncomingMessage,
    res: ServerResponse,
    messages: JSONRPCMessage[],
    extra: MessageExtraInfo,
    authInfo: AuthInfo | undefined,
    cors: Record<string, string>,
  ): Promise<void> {
    if (messages.length !== 1) {
      rpcError(
        res,
        400,
        JSONRPC.INVALID_REQUEST,
        'Invalid Request: initialize must be sent alone',
        cors,
      );
      return;
    }
    if (!ctx.stateful)
      return stateless(req, res, { list: messages, batch: false }, extra, authInfo, cors);
    if (req.headers['mcp-session-id'] !== undefined) {
      rpcError(
        res,
        400,
        JSONRPC.INVALID_REQUEST,
        'Invalid Request: initialize must not carry Mcp-Session-Id',
        cors,
      );
      return;
    }
    const owner = principalOf(authInfo);
    const refusal = ctx.registry.admit(owner);
    if (refusal !== undefined) {
      ctx.telemetry.rateLimited(
        req,
        'streamable-http',
        refusal === 'server-full' ? 'sessions-total' : 'sessions-per-principal',
        authInfo,
      );
      const [status, text] =
        refusal === 'server-full'
          ? [503, 'Too many sessions, try again later']
          : [429, 'Too many open sessions for this principal'];
      rpcError(res, status, JSONRPC.SERVER_ERROR, text, cors, { 'retry-after': '5' });
      return;
    }
    const session = await openSession(req, authInfo, owner);
    if (session === undefined) {
      rpcError(res, 500, JSONRPC.SERVER_ERROR, 'Could not start the session', cors);
      return;
    }
    deliver(session.stream, res, { list: messages, batch: false }, extra, cors);
  }

  async function openSession(
    req: IncomingMessage,
    authInfo: AuthInfo | undefined,
    owner: ReturnType<typeof principalOf>,
  ): Promise<StreamableSession | undefined> {
    const sessionId = generateSessionId();
    const stream = new StreamableHttpServerTransport({
      sessionId,
      maxBufferedBytes: ctx.maxBufferedBytes,
    });
    let server: McpServerLike | undefined;
    const now = ctx.now();
    const session: StreamableSession = {
      sessionId,
      transport: 'streamable-http',
      principal: owner.owner,
      owner,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: authInfo?.expiresAt,
      stream,
      end: (reason) => {
        ctx.logger.debug?.('sse-transport: session closed', { reason });
        void stream.close();
        server?.close().catch((error: unknown) => {
          ctx.logger.warn?.('sse-transport: MCP server close failed', { error: String(error) });
        });
        server = undefined;
      },
      keepAlive: () => stream.keepAlive(),
      hasOpenStream: () => stream.hasStandaloneStream || stream.pendingRequests > 0,
      closeStreams: () => stream.closeStandaloneStream(),
    };
    // Registered before anything async so maxSessions counts it.
    ctx.registry.add(session);
    try {
      server = await ctx.createMcpServer({
        sessionId,
        transport: 'streamable-http',
        authInfo,
        req,
      });
      stream.onclose = () => ctx.registry.remove(session, 'closed');
      await server.connect(stream);
      return session;
    } catch (error) {
      ctx.logger.error?.('sse-transport: could not start the MCP session', {
        error: String(error),
      });
      ctx.registry.remove(session, 'closed');
      return undefined;
    }
  }

  let shared: Promise<StreamableHttpServerTransport> | undefined;
  /** The transport of the shared stateless server, connected on first use. */
  function sharedStream(): Promise<StreamableHttpServerTransport> {
    shared ??= (async () => {
      const stream = new StreamableHttpServerTransport({
        remapIds: true,
        maxBufferedBytes: ctx.maxBufferedBytes,
      });
      await ctx.sharedServer!.connect(stream);
      return stream;
    })();
    return shared;
  }

  /** One MCP server for this request alone (or the shared one), closed when the answer is done. */
  async function stateless(
    req: IncomingMessage,
    res: ServerResponse,
    messages: { list: JSONRPCMessage[]; batch: boolean },
    extra: MessageExtraInfo,
    authInfo: AuthInfo | undefined,
    cors: Record<string, string>,
  ): Promise<void> {
    if (req.headers['mcp-session-id'] !== undefined) {
      rpcError(
        res,
        404,
        JSONRPC.SESSION_NOT_FOUND,
        'Session not found (this server is stateless)',
        cors,
      );
      return;
    }
    if (!supportedVersion(req, res, cors)) return;
    if (ctx.sharedServer !== undefined) {
      deliver(await sharedStream(), res, messages, extra, cors);
      return;
    }
    const stream = new StreamableHttpServerTransport({ maxBufferedBytes: ctx.maxBufferedBytes });
    let server: McpServerLike;
    try {
      server = await ctx.createMcpServer({
        sessionId: undefined,
        transport: 'streamable-http',
        authInfo,
        req,
      });
      await server.connect(stream);
    } catch (error) {
      ctx.logger.error?.('sse-transport: could not create the MCP server', {
        error: String(error),
      });
      rpcError(res, 500, JSONRPC.SERVER_ERROR, 'Could not create the MCP server', cors);
      return;
    }
    res.once('close', () => {
      server.close().catch(() => undefined);
    });
    deliver(stream, res, messages, extra, cors);
  }

  async function answerModern(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    authInfo: AuthInfo | undefined,
    cors: Record<string, string>,
  ): Promise<void> {
    if (ctx.modern === undefined) {
      // Like any server that speaks only the session revisions: clients fall back to them.
      sendJson(
        res,
        400,
        {
          jsonrpc: '2.0',
          id: null,
          error: {
            code: -32022,
            message: 'Unsupported protocol version',
            data: { supported: [...SESSION_REVISIONS], requested: MODERN_REVISIONS[0] },
          },
        },
        cors,
      );
      return;
    }
    await serveModern(ctx.modern, req, res, body, authInfo, cors);
  }

  async function get(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cors = ctx.corsHeaders(req);
    if (!ctx.stateful) {
      sendError(res, 405, 'invalid_request', 'This server opens no GET stream (stateless)', {
        ...cors,
        allow: 'POST, OPTIONS',
      });
      return;
    }
    if (!accepts(req.headers.accept, 'text/event-stream')) {
      rpcError(
        res,
        406,
        JSONRPC.SERVER_ERROR,
        'Not Acceptable: Accept must list text/event-stream',
        cors,
      );
      return;
    }
    const authInfo = await authorize(req, res, cors);
    if (authInfo === null) return;
    const session = await ownedSession(req, res, authInfo, cors, { method: 'get' });
    if (session === undefined || !supportedVersion(req, res, cors)) return;
    if (!session.stream.openStandaloneStream(res, cors)) {
      rpcError(
        res,
        409,
        JSONRPC.SERVER_ERROR,
        'Conflict: this session already has a GET stream',
        cors,
      );
    }
  }

  async function remove(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cors = ctx.corsHeaders(req);
    if (!ctx.stateful) {
      sendError(res, 405, 'invalid_request', 'There are no sessions to end (stateless)', {
        ...cors,
        allow: 'POST, OPTIONS',
      });
      return;
    }
    const authInfo = await authorize(req, res, cors);
    if (authInfo === null) return;
    const session = await ownedSession(req, res, authInfo, cors, { method: 'delete' });
    if (session === undefined || !supportedVersion(req, res, cors)) return;
    ctx.registry.remove(session, 'deleted');
    res.writeHead(204, { ...cors });
    res.end();
  }

  /**
   * A session held by another instance: 404 when the directory does not know it (or its instance
   * died), 403 for another principal (nothing forwarded), 503 while Redis cannot tell; otherwise
   * relayed to its instance, whose answer is written here.
   */
  async function relayed(
    req: IncomingMessage,
    res: ServerResponse,
    authInfo: AuthInfo | undefined,
    cors: Record<string, string>,
    call: Pick<RelayedCall, 'method' | 'messages' | 'batch' | 'sessionId'>,
  ): Promise<void> {
    const cluster = ctx.cluster!;
    const refuse = (status: 404 | 503) =>
      status === 404
        ? rpcError(res, 404, JSONRPC.SESSION_NOT_FOUND, 'Session not found', cors)
        : rpcError(res, 503, JSONRPC.SERVER_ERROR, 'The session is temporarily unreachable', cors, {
            'retry-after': '2',
          });
    const location = await cluster.locate(call.sessionId);
    if (location.kind !== 'remote') return refuse(location.kind === 'unknown' ? 404 : 503);
    const owner = principalOf(authInfo).owner;
    if (ctx.auth !== undefined && location.owner !== owner) {
      ctx.logger.warn?.('sse-transport: request refused, the session belongs to another principal');
      ctx.telemetry.sessionHijack(req, 'streamable-http', authInfo);
      sendError(res, 403, 'access_denied', 'This session belongs to another principal', cors);
      return;
    }
    if (!supportedVersion(req, res, cors)) return;
    await cluster.forward(
      location,
      {
        ...call,
        transport: 'streamable-http',
        owner,
        authInfo: withoutToken(authInfo),
        headers: relayedHeaders(req.headers),
      },
      res,
      cors,
      refuse,
    );
  }

  /** A request relayed by another instance for a session held here (checked again here). */
  function serveRelayed(call: RelayedCall, res: ServerResponse): void {
    const found = ctx.registry.get(call.sessionId);
    const session =
      found?.transport === 'streamable-http' ? (found as StreamableSession) : undefined;
    if (session === undefined) {
      rpcError(res, 404, JSONRPC.SESSION_NOT_FOUND, 'Session not found', {});
      return;
    }
    if (ctx.auth !== undefined && session.owner.owner !== call.owner) {
      sendError(res, 403, 'access_denied', 'This session belongs to another principal', {});
      return;
    }
    ctx.registry.touch(session, call.authInfo?.expiresAt);
    if (call.method === 'post') {
      const extra: MessageExtraInfo = { requestInfo: { headers: call.headers } };
      if (call.authInfo !== undefined) extra.authInfo = call.authInfo;
      deliver(
        session.stream,
        res,
        { list: call.messages ?? [], batch: call.batch ?? false },
        extra,
        {},
      );
    } else if (call.method === 'get') {
      if (!session.stream.openStandaloneStream(res, {})) {
        rpcError(
          res,
          409,
          JSONRPC.SERVER_ERROR,
          'Conflict: this session already has a GET stream',
          {},
        );
      }
    } else {
      ctx.registry.remove(session, 'deleted');
      res.writeHead(204, {});
      res.end();
    }
  }
  if (ctx.stateful) ctx.cluster?.serve('streamable-http', serveRelayed);

  return { post, get, delete: remove };
}

/** A request header as one string (a repeated header is refused by its comparison anyway). */
function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function isInitialize(message: JSONRPCMessage): boolean {
  return 'method' in message && message.method === 'initialize' && 'id' in message;
}
