import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkMcpHeaders } from '@mcp-auth/gate';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import type { RelayedCall } from '../cluster/types.js';
import { sendError } from '../internal/http.js';
import { readJsonBody } from '../internal/json-body.js';
import { JSONRPC, readJsonRpcBody } from '../internal/jsonrpc.js';
import { principalOf } from '../internal/principal.js';
import { SESSION_ID, type StreamableContext, type StreamableSession } from './context.js';
import { answerModern } from './modern.js';
import { initialize } from './open-session.js';
import { accepts, isModernRequest } from './protocol.js';
import { relayed, serveRelayed } from './relay.js';
import { deliver, rpcError, supportedVersion } from './replies.js';
import { createStatelessServe } from './stateless.js';

export type { StreamableContext } from './context.js';

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
  const stateless = createStatelessServe(ctx);
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
      await relayed(ctx, req, res, authInfo, cors, { ...relay, sessionId: id });
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
    if (modern) return answerModern(ctx.modern, req, res, messages.body, authInfo, cors);
    const extra: MessageExtraInfo = { requestInfo: { headers: req.headers } };
    if (authInfo !== undefined) extra.authInfo = authInfo;
    if (messages.list.some(isInitialize)) {
      return initialize(ctx, stateless, req, res, messages.list, extra, authInfo, cors);
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

  if (ctx.stateful) {
    ctx.cluster?.serve('streamable-http', (call, res) => serveRelayed(ctx, call, res));
  }

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
