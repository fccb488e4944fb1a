import type { IncomingHttpHeaders } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

// What the Streamable HTTP endpoint reads off a request before it routes it: the revision it
// speaks and the media types it accepts. (The 2026-07-28 standard headers are checked by
// @mcp-auth/gate's checkMcpHeaders.)

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
