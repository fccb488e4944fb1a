import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { JSONRPC } from '../internal/jsonrpc.js';
import type { McpServerLike } from '../types.js';
import type { StreamableContext } from './context.js';
import { deliver, rpcError, supportedVersion } from './replies.js';
import { StreamableHttpServerTransport } from './transport.js';

/** Serves one stateless request (no `Mcp-Session-Id`). */
export type StatelessServe = (
  req: IncomingMessage,
  res: ServerResponse,
  messages: { list: JSONRPCMessage[]; batch: boolean },
  extra: MessageExtraInfo,
  authInfo: AuthInfo | undefined,
  cors: Record<string, string>,
) => Promise<void>;

/**
 * Stateless Streamable HTTP: an MCP server for each request (closed when its answer is done), or
 * the one shared server (`streamableHttp.server`) behind one id-remapping transport.
 */
export function createStatelessServe(ctx: StreamableContext): StatelessServe {
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

  return async function stateless(req, res, messages, extra, authInfo, cors) {
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
  };
}
