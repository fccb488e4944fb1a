import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { relayedHeaders, withoutToken } from '../cluster/relay-call.js';
import type { RelayedCall } from '../cluster/types.js';
import { sendError } from '../internal/http.js';
import { JSONRPC } from '../internal/jsonrpc.js';
import { principalOf } from '../internal/principal.js';
import type { StreamableContext, StreamableSession } from './context.js';
import { deliver, rpcError, supportedVersion } from './replies.js';

// Sessions held by another instance (`cluster` option): the relaying side and the serving side.

/**
 * A session held by another instance: 404 when the directory does not know it (or its instance
 * died), 403 for another principal (nothing forwarded), 503 while Redis cannot tell; otherwise
 * relayed to its instance, whose answer is written here.
 */
export async function relayed(
  ctx: StreamableContext,
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
export function serveRelayed(ctx: StreamableContext, call: RelayedCall, res: ServerResponse): void {
  const found = ctx.registry.get(call.sessionId);
  const session = found?.transport === 'streamable-http' ? (found as StreamableSession) : undefined;
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
