import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

// JSON-RPC 2.0 message checks written out instead of the SDK's zod schemas: the same rules for both
// SDK lines, no runtime import of either, and ~10× less work per message on the hot path.

/** Outcome of {@link parseJsonRpcMessages}'s stricter sibling: the messages, or why not. */
export type JsonRpcParse =
  | { ok: true; messages: JSONRPCMessage[]; batch: boolean }
  | { ok: false; reason: 'invalid' | 'empty-batch' | 'batch-too-long' };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isRequestId(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

/** Whether `value` is one JSON-RPC 2.0 request, notification, result or error response. */
export function isJsonRpcMessage(value: unknown): value is JSONRPCMessage {
  if (!isPlainObject(value) || value['jsonrpc'] !== '2.0') return false;
  if ('method' in value) {
    if (typeof value['method'] !== 'string') return false;
    if (value['params'] !== undefined && !isPlainObject(value['params'])) return false;
    return !('id' in value) || isRequestId(value['id']);
  }
  if (!isRequestId(value['id'])) return false;
  if ('result' in value) return isPlainObject(value['result']) && !('error' in value);
  const error = value['error'];
  return (
    isPlainObject(error) &&
    typeof error['code'] === 'number' &&
    Number.isSafeInteger(error['code']) &&
    typeof error['message'] === 'string'
  );
}

/**
 * Validates a parsed POST body: one JSON-RPC 2.0 message, or a batch (an array) of at most
 * `maxBatchLength` of them. A batch is accepted whole or not at all, and its length is checked
 * before any element is looked at, so an oversized batch costs nothing.
 */
export function readJsonRpcBody(body: unknown, maxBatchLength: number): JsonRpcParse {
  if (!Array.isArray(body)) {
    return isJsonRpcMessage(body)
      ? { ok: true, messages: [body], batch: false }
      : { ok: false, reason: 'invalid' };
  }
  if (body.length === 0) return { ok: false, reason: 'empty-batch' };
  if (body.length > maxBatchLength) return { ok: false, reason: 'batch-too-long' };
  for (const item of body) if (!isJsonRpcMessage(item)) return { ok: false, reason: 'invalid' };
  return { ok: true, messages: body as JSONRPCMessage[], batch: true };
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
