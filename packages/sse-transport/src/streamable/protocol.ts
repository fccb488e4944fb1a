import type { IncomingHttpHeaders } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

// What the Streamable HTTP endpoint reads off a request before it routes it: the revision it
// speaks, the media types it accepts, and whether the 2026-07-28 standard headers match the body.

/** Revisions served with `Mcp-Session-Id` sessions (or statelessly) by this package's transport. */
export const SESSION_REVISIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26'];

/** Revisions with per-request envelopes and no sessions (served by a `modern` handler). */
export const MODERN_REVISIONS: readonly string[] = ['2026-07-28'];

/** The `_meta` key of a 2026-07-28 request that names its revision. */
export const PROTOCOL_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';

/** `Accept` lists `type` (or its wildcard): `application/json`, `text/event-stream`. */
export function accepts(header: string | undefined, type: string): boolean {
  if (header === undefined) return false;
  const slash = type.indexOf('/');
  const wildcard = `${type.slice(0, slash)}/*`;
  for (const part of header.split(',')) {
    const semi = part.indexOf(';');
    const range = (semi === -1 ? part : part.slice(0, semi)).trim().toLowerCase();
    if (range === type || range === wildcard || range === '*/*') {
      // `q=0` means "not acceptable" (RFC 9110 §12.4.2).
      if (semi !== -1 && /;\s*q\s*=\s*0(\.0{0,3})?\s*(;|$)/i.test(part)) continue;
      return true;
    }
  }
  return false;
}

/** Whether the request speaks the 2026-07-28 revision: by its header or its body's envelope. */
export function isModernRequest(
  headers: IncomingHttpHeaders,
  messages: readonly JSONRPCMessage[],
): boolean {
  const version = headers['mcp-protocol-version'];
  if (typeof version === 'string' && MODERN_REVISIONS.includes(version)) return true;
  for (const message of messages) {
    const meta = (message as { params?: { _meta?: Record<string, unknown> } }).params?._meta;
    if (meta !== undefined && meta !== null && PROTOCOL_VERSION_META_KEY in meta) return true;
  }
  return false;
}

/**
 * Checks the 2026-07-28 standard request headers against the body: `Mcp-Method` must equal the
 * method of the (single) message, and `Mcp-Name` the tool, prompt or resource it names. Returns a
 * description of the mismatch, or `undefined` when they agree (or are absent on an older revision).
 *
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/transports#standard-headers
 */
export function standardHeaderMismatch(
  headers: IncomingHttpHeaders,
  messages: readonly JSONRPCMessage[],
  modern: boolean,
): string | undefined {
  const method = headers['mcp-method'];
  const name = headers['mcp-name'];
  if (method === undefined && name === undefined) {
    return modern && messages.some((m) => 'method' in m)
      ? 'The Mcp-Method header is required'
      : undefined;
  }
  if (messages.length !== 1 || !('method' in messages[0]!)) {
    return 'Mcp-Method and Mcp-Name describe a single request or notification';
  }
  const message = messages[0] as { method: string; params?: Record<string, unknown> };
  if (method !== message.method) return 'The Mcp-Method header does not match the body';
  const bodyName = nameOf(message);
  if (name !== bodyName) {
    return bodyName === undefined
      ? 'The Mcp-Name header is not expected for this method'
      : 'The Mcp-Name header does not match the body';
  }
  return undefined;
}

/** The name a request addresses: the tool of `tools/call`, the prompt, or the resource URI. */
function nameOf(message: { method: string; params?: Record<string, unknown> }): string | undefined {
  const params = message.params;
  let value: unknown;
  if (message.method === 'tools/call' || message.method === 'prompts/get') value = params?.['name'];
  else if (message.method === 'resources/read') value = params?.['uri'];
  return typeof value === 'string' ? value : undefined;
}
