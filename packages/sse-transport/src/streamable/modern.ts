import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { sendJson } from '../internal/http.js';
import { MODERN_REVISIONS, SESSION_REVISIONS } from './protocol.js';

/**
 * A handler for MCP revision 2026-07-28 requests (per-request envelopes, no sessions): the v2 SDK's
 * `createMcpHandler(factory, { legacy: 'reject' })` has this shape. The server calls it only after
 * it has authorized the request, checked `Origin`/`Host`, the standard headers and per-tool
 * scopes, and passes the verified `authInfo`.
 */
export interface ModernHandler {
  fetch(request: Request, options?: { authInfo?: AuthInfo }): Promise<Response>;
}

/** Headers of the node request that travel to the modern handler (hop-by-hop ones do not). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'host',
]);

function requestUrl(req: IncomingMessage): string {
  const host = req.headers.host ?? 'localhost';
  return `http://${host}${req.url ?? '/'}`;
}

/**
 * Hands an authorized, already parsed 2026-07-28 request to the modern handler and streams its
 * `Response` back, with the server's CORS headers.
 */
export async function serveModern(
  handler: ModernHandler,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  authInfo: AuthInfo | undefined,
  cors: Record<string, string>,
): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const controller = new AbortController();
  res.once('close', () => controller.abort());
  const request = new Request(requestUrl(req), {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  const response = await handler.fetch(request, authInfo === undefined ? {} : { authInfo });
  const out: Record<string, string> = { ...cors };
  response.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) out[name] = value;
  });
  res.writeHead(response.status, out);
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      if (!res.write(value)) await drained(res);
    }
  } finally {
    reader.cancel().catch(() => undefined);
    if (!res.writableEnded) res.end();
  }
}

/** Resolves when the response can take more data, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * A 2026-07-28 request: to the modern handler, or (none configured) answered like any server that
 * speaks only the session revisions, so clients fall back to them.
 */
export async function answerModern(
  handler: ModernHandler | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  authInfo: AuthInfo | undefined,
  cors: Record<string, string>,
): Promise<void> {
  if (handler === undefined) {
    // Like any server that speaks only the session revisions: clients fall back to them.
    sendJson(
      res,
      400,
      {
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32022,
          message: 'Unsupported protocol version',
          data: { supported: [...SESSION_REVISIONS], requested: MODERN_REVISIONS[0] },
        },
      },
      cors,
    );
    return;
  }
  await serveModern(handler, req, res, body, authInfo, cors);
}
