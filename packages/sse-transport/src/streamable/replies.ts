import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { sendJson } from '../internal/http.js';
import { JSONRPC, jsonRpcError } from '../internal/jsonrpc.js';
import { SESSION_REVISIONS } from './protocol.js';
import type { StreamableHttpServerTransport } from './transport.js';

// The answers every step of the Streamable HTTP endpoint gives: JSON-RPC errors, the revision
// check, and handing validated messages to a session's transport.

/** A JSON-RPC error answer (the body MCP clients expect from this endpoint). */
export function rpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  cors: Record<string, string>,
  extra: Record<string, string> = {},
): void {
  sendJson(res, status, jsonRpcError(code, message), { ...cors, ...extra });
}

/** The `MCP-Protocol-Version` header, when present, names a revision this endpoint serves. */
export function supportedVersion(
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

export function deliver(
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
