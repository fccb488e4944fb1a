import type { JsonRpcMessage } from './jsonrpc.js';

/** The protocol revision from which `Mcp-Method` (and `Mcp-Name`) are required on POST. */
export const MCP_HEADERS_REVISION = '2026-07-28';

/** Methods whose target travels in `Mcp-Name`, and the `params` field that holds it. */
const NAMED_METHODS: ReadonlyMap<string, string> = new Map([
  ['tools/call', 'name'],
  ['prompts/get', 'name'],
  ['resources/read', 'uri'],
  ['tasks/get', 'taskId'],
  ['tasks/update', 'taskId'],
  ['tasks/cancel', 'taskId'],
]);

const BASE64_PREFIX = '=?base64?';
const BASE64_SUFFIX = '?=';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The value an `Mcp-Name` header stands for: the header itself, or, for a value that is not plain
 * printable ASCII (empty, padded, non-ASCII), the UTF-8 text inside the sentinel
 * `=?base64?<base64>?=`. `undefined` when the sentinel holds no valid base64 or UTF-8.
 *
 * @example
 * ```ts
 * decodeMcpHeaderValue('whoami');            // 'whoami'
 * decodeMcpHeaderValue('=?base64?w7xiZXI=?='); // 'über'
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/transports
 */
export function decodeMcpHeaderValue(value: string): string | undefined {
  if (!(value.startsWith(BASE64_PREFIX) && value.endsWith(BASE64_SUFFIX))) return value;
  if (value.length < BASE64_PREFIX.length + BASE64_SUFFIX.length) return undefined;
  const b64 = value.slice(BASE64_PREFIX.length, value.length - BASE64_SUFFIX.length);
  if (!BASE64.test(b64)) return undefined;
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** What {@link checkMcpHeaders} found wrong, or `undefined` when the headers fit the body. */
export interface McpHeaderMismatch {
  header: 'Mcp-Method' | 'Mcp-Name';
  reason: 'missing' | 'mismatch';
  message: string;
}

/**
 * The `Mcp-Name` a message must carry (`undefined` when its method names nothing).
 *
 * @example
 * ```ts
 * mcpNameOf({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami' } }); // 'whoami'
 * mcpNameOf({ jsonrpc: '2.0', id: 1, method: 'tools/list' });                             // undefined
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/transports
 */
export function mcpNameOf(message: JsonRpcMessage): string | undefined {
  if (message.method === undefined) return undefined;
  const field = NAMED_METHODS.get(message.method);
  if (field === undefined) return undefined;
  const params = message.params;
  if (params === null || typeof params !== 'object') return undefined;
  const value = (params as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Whether `version` (an `MCP-Protocol-Version` value) is 2026-07-28 or later, where `Mcp-Method`
 * and `Mcp-Name` are required.
 *
 * @example
 * ```ts
 * requiresMcpHeaders('2026-07-28'); // true
 * requiresMcpHeaders('2025-11-25'); // false
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/transports
 */
export function requiresMcpHeaders(version: string | undefined): boolean {
  // Revisions are ISO dates: they order as strings. Anything not date-shaped is older.
  return (
    version !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= MCP_HEADERS_REVISION
  );
}

/**
 * Checks the `Mcp-Method` and `Mcp-Name` request headers (MCP revision 2026-07-28) against the
 * JSON-RPC body: a header that is present must equal what the body says (every message of a
 * batch; `Mcp-Name` may be `=?base64?…?=`-encoded); under `MCP-Protocol-Version: 2026-07-28` (or
 * later) `Mcp-Method` is required on a request (notifications are exempt), and `Mcp-Name` on a
 * named one (`tools/call`, `prompts/get`: `params.name`; `resources/read`: `params.uri`;
 * `tasks/get|update|cancel`: `params.taskId`). A response (no `method`) must not carry
 * `Mcp-Method`. The caller answers a mismatch with 400 and JSON-RPC error `-32020`.
 *
 * @example
 * ```ts
 * checkMcpHeaders(
 *   [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami' } }],
 *   { method: 'tools/call', name: 'delete_all', protocolVersion: '2026-07-28' },
 * ); // { header: 'Mcp-Name', reason: 'mismatch', … }
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/transports
 */
export function checkMcpHeaders(
  messages: readonly JsonRpcMessage[],
  headers: {
    method: string | undefined;
    name: string | undefined;
    protocolVersion: string | undefined;
  },
): McpHeaderMismatch | undefined {
  const required = requiresMcpHeaders(headers.protocolVersion);
  const headerName = headers.name === undefined ? undefined : decodeMcpHeaderValue(headers.name);
  for (const message of messages) {
    if (message.method === undefined) {
      if (headers.method !== undefined) {
        return {
          header: 'Mcp-Method',
          reason: 'mismatch',
          message: 'Mcp-Method header present on a JSON-RPC response',
        };
      }
      continue;
    }
    // Notifications are exempt from the presence rule; requests (with an id) are not.
    const isRequest = message.id !== undefined;
    if (headers.method === undefined) {
      if (required && isRequest) {
        return { header: 'Mcp-Method', reason: 'missing', message: 'Mcp-Method header required' };
      }
    } else if (headers.method !== message.method) {
      return {
        header: 'Mcp-Method',
        reason: 'mismatch',
        message: 'Mcp-Method header does not match the request body',
      };
    }
    const name = mcpNameOf(message);
    if (headers.name === undefined) {
      if (required && isRequest && name !== undefined) {
        return { header: 'Mcp-Name', reason: 'missing', message: 'Mcp-Name header required' };
      }
    } else if (headerName === undefined || headerName !== name) {
      return {
        header: 'Mcp-Name',
        reason: 'mismatch',
        message: 'Mcp-Name header does not match the request body',
      };
    }
  }
  return undefined;
}
