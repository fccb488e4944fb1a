import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { JSONRPC } from '../internal/jsonrpc.js';
import { type Principal, principalOf } from '../internal/principal.js';
import { generateSessionId } from '../sse/transport.js';
import type { McpServerLike } from '../types.js';
import type { StreamableContext, StreamableSession } from './context.js';
import { deliver, rpcError } from './replies.js';
import type { StatelessServe } from './stateless.js';
import { StreamableHttpServerTransport } from './transport.js';

/** `initialize`: alone in its POST; opens a session bound to the principal (stateful). */
export async function initialize(
  ctx: StreamableContext,
  stateless: StatelessServe,
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
  const refusal = ctx.registry.sharesCounts
    ? await ctx.registry.admitShared(owner)
    : ctx.registry.admit(owner);
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
  const session = await openSession(ctx, req, authInfo, owner);
  if (session === undefined) {
    rpcError(res, 500, JSONRPC.SERVER_ERROR, 'Could not start the session', cors);
    return;
  }
  deliver(session.stream, res, { list: messages, batch: false }, extra, cors);
}

/** Creates the session (registered before anything async), its transport and its MCP server. */
async function openSession(
  ctx: StreamableContext,
  req: IncomingMessage,
  authInfo: AuthInfo | undefined,
  owner: Principal,
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
