import { isJsonRpcMessage, parseJsonRpcBody } from '@mcp-auth/gate';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

// The JSON-RPC checks are @mcp-auth/gate's (no SDK zod schemas: the same rules for both SDK lines,
// no run-time import of either); this file adapts them to bodies the endpoints already parsed.

export { isJsonRpcMessage };

/** Outcome of {@link readJsonRpcBody}: the messages, or why not. */
export type JsonRpcParse =
  | { ok: true; messages: JSONRPCMessage[]; batch: boolean }
  | { ok: false; reason: 'invalid' | 'batch-too-long' };

/**
 * Validates a parsed POST body: one JSON-RPC 2.0 message, or a batch (an array) of at most
 * `maxBatchLength` of them. A batch is accepted whole or not at all, and its length is checked
 * before any element is looked at, so an oversized batch costs nothing.
 */
export function readJsonRpcBody(body: unknown, maxBatchLength: number): JsonRpcParse {
  // Already parsed: a string here is a JSON string literal, not text to parse a second time.
  if (typeof body === 'string') return { ok: false, reason: 'invalid' };
  const parsed = parseJsonRpcBody(body, { maxBatchLength });
  if (parsed.ok) {
    return { ok: true, messages: parsed.messages as JSONRPCMessage[], batch: parsed.batch };
  }
  return { ok: false, reason: parsed.reason === 'batch_too_large' ? 'batch-too-long' : 'invalid' };
}

/**
 * Validates a parsed POST body: one JSON-RPC 2.0 message, or a non-empty batch (an array) of them
 * (JSON-RPC 2.0 §6; MCP 2025-03-26 clients may send batches). Returns the messages, or `undefined`
 * when the body or any element of the batch is invalid: a batch is accepted whole or not at all.
 *
 * @example
 * ```ts
 * parseJsonRpcMessages({ jsonrpc: '2.0', id: 1, method: 'ping' }); // [{ jsonrpc: '2.0', id: 1, method: 'ping' }]
 * parseJsonRpcMessages([]); // undefined
 * ```
 * @see https://www.jsonrpc.org/specification#batch
 */
export function parseJsonRpcMessages(body: unknown): JSONRPCMessage[] | undefined {
  const parsed = readJsonRpcBody(body, Number.MAX_SAFE_INTEGER);
  return parsed.ok ? parsed.messages : undefined;
}

/** A JSON-RPC error response body (`id: null` when the request's id is unknown). */
export function jsonRpcError(
  code: number,
  message: string,
  id: string | number | null = null,
): { jsonrpc: '2.0'; id: string | number | null; error: { code: number; message: string } } {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** JSON-RPC and MCP error codes the endpoints answer with. */
export const JSONRPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  /** Used by the SDKs for transport-level refusals (no session, unsupported version). */
  SERVER_ERROR: -32000,
  SESSION_NOT_FOUND: -32001,
  /** MCP 2026-07-28: an `Mcp-Method` / `Mcp-Name` header disagrees with the body. */
  HEADER_MISMATCH: -32020,
} as const;
