/**
 * A JSON-RPC 2.0 message as the gate sees it: a request or notification (`method`), or a response
 * (`result` / `error`). Only what the gate reads is typed; the MCP handler behind the gate does the
 * full validation.
 */
export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

/** JSON-RPC error codes the gate answers with. */
export const JSONRPC_PARSE_ERROR = -32700;
export const JSONRPC_INVALID_REQUEST = -32600;
/** MCP revision 2026-07-28: `Mcp-Method` / `Mcp-Name` missing or not matching the body. */
export const JSONRPC_HEADER_MISMATCH = -32020;

/** The default largest JSON-RPC batch (issue: bounded work per request). */
export const DEFAULT_MAX_BATCH_LENGTH = 100;

/** The outcome of {@link parseJsonRpcBody}. */
export type ParsedJsonRpcBody =
  | { ok: true; value: unknown; messages: JsonRpcMessage[]; batch: boolean }
  | { ok: false; code: number; message: string; reason: 'parse' | 'invalid' | 'batch_too_large' };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** MCP request ids: a string or an integer (never null, never a fraction). */
function isRequestId(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

/**
 * Whether `value` is one JSON-RPC 2.0 request, notification, result or error response with the
 * shapes MCP allows: `params` an object when present, ids strings or integers (`null` only on an
 * error answer), a result an object, an error `{ code: integer, message: string }`. Transports route answers by id, so an id they
 * cannot key on is refused here rather than deep inside an SDK.
 */
export function isJsonRpcMessage(value: unknown): value is JsonRpcMessage {
  if (!isPlainObject(value) || value['jsonrpc'] !== '2.0') return false;
  if ('method' in value) {
    if (typeof value['method'] !== 'string') return false;
    if (value['params'] !== undefined && !isPlainObject(value['params'])) return false;
    return !('id' in value) || isRequestId(value['id']);
  }
  if ('result' in value) {
    return isRequestId(value['id']) && isPlainObject(value['result']) && !('error' in value);
  }
  // An error answer may carry `id: null` when the request's id could not be read (JSON-RPC §5).
  const error = value['error'];
  return (
    (isRequestId(value['id']) || value['id'] === null) &&
    isPlainObject(error) &&
    typeof error['code'] === 'number' &&
    Number.isSafeInteger(error['code']) &&
    typeof error['message'] === 'string'
  );
}

/**
 * Parses and checks a JSON-RPC body: valid JSON (else `-32700`), a message or a non-empty batch of
 * messages (else `-32600`), at most `maxBatchLength` messages in a batch (else `-32600`; checked
 * before any message is looked at). `body` may be the raw text or bytes, or a value a body parser
 * (`express.json()`) already produced.
 *
 * @example
 * ```ts
 * const parsed = parseJsonRpcBody('{"jsonrpc":"2.0","id":1,"method":"ping"}', { maxBatchLength: 100 });
 * if (parsed.ok) parsed.messages; // [{ jsonrpc: '2.0', id: 1, method: 'ping' }]
 * ```
 * @see https://www.jsonrpc.org/specification#batch
 */
export function parseJsonRpcBody(body: unknown, o: { maxBatchLength: number }): ParsedJsonRpcBody {
  let value: unknown = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const text = typeof body === 'string' ? body : new TextDecoder('utf-8').decode(body);
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, code: JSONRPC_PARSE_ERROR, message: 'Parse error', reason: 'parse' };
    }
  }
  if (Array.isArray(value)) {
    if (value.length > o.maxBatchLength) {
      return {
        ok: false,
        code: JSONRPC_INVALID_REQUEST,
        message: `Invalid Request: a batch may hold at most ${o.maxBatchLength} messages`,
        reason: 'batch_too_large',
      };
    }
    if (value.length === 0 || !value.every(isJsonRpcMessage)) {
      return {
        ok: false,
        code: JSONRPC_INVALID_REQUEST,
        message: 'Invalid Request: not a JSON-RPC 2.0 batch',
        reason: 'invalid',
      };
    }
    return { ok: true, value, messages: value, batch: true };
  }
  if (!isJsonRpcMessage(value)) {
    return {
      ok: false,
      code: JSONRPC_INVALID_REQUEST,
      message: 'Invalid Request: not a JSON-RPC 2.0 message',
      reason: 'invalid',
    };
  }
  return { ok: true, value, messages: [value], batch: false };
}

/**
 * The body of a JSON-RPC error response: `{"jsonrpc":"2.0","id":…,"error":{"code":…,"message":…}}`.
 * `id` is the request's when there is exactly one, else `null`.
 *
 * @example
 * ```ts
 * jsonRpcErrorBody(-32020, 'Mcp-Method header does not match the body', 7);
 * // '{"jsonrpc":"2.0","id":7,"error":{"code":-32020,"message":"Mcp-Method header does not match the body"}}'
 * ```
 * @see https://www.jsonrpc.org/specification#error_object
 */
export function jsonRpcErrorBody(
  code: number,
  message: string,
  id: string | number | null = null,
): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } });
}
