import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { SseAuthProvider } from '@mcp-auth/sse-transport';
import { TokenValidationError } from '@mcp-auth/validator';

export interface ToolScopeGateOptions {
  /** The transport's handler (`createHandler(...)`), which receives every request after the gate. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The same provider the handler authenticates with. */
  provider: Pick<SseAuthProvider, 'authenticate' | 'getAuthError'>;
  /** Scopes each tool needs on top of the server's required scopes, e.g. `{ server_stats: ['mcp:admin'] }`. */
  toolScopes: Record<string, string[]>;
  /** The server's required scopes (listed in the 403 challenge with the tool's, as MCP asks). */
  requiredScopes: string[];
  /** The message endpoint path. Default `/messages`. */
  messageEndpoint?: string;
  /** Largest body read, in bytes (the transport's `maxMessageBytes`). Default 4 MiB. */
  maxMessageBytes?: number;
  /** Extra headers on the gate's own refusals (CORS). */
  headers?: (req: IncomingMessage) => Record<string, string>;
}

/**
 * Per-tool scopes over the SSE transport. A `tools/call` for a tool that needs more than the
 * server's required scopes is refused with HTTP 403, `WWW-Authenticate: Bearer
 * error="insufficient_scope", scope="<all scopes the call needs>", resource_metadata="…"`, before
 * the message reaches the MCP server, which is what makes an MCP client step up (re-authorize with
 * the union of scopes) instead of showing a tool error. Everything else goes to the handler
 * untouched (the body is replayed), and the handler still authenticates every request.
 *
 * @example
 * const gate = createToolScopeGate({ handler, provider, requiredScopes: ['mcp:tools'],
 *   toolScopes: { server_stats: ['mcp:admin'] } });
 * http.createServer(gate).listen(3000, '127.0.0.1');
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-challenge-handling
 */
export function createToolScopeGate(
  options: ToolScopeGateOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const messageEndpoint = options.messageEndpoint ?? '/messages';
  const maxBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const gated = new Map(Object.entries(options.toolScopes).filter(([, s]) => s.length > 0));

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== messageEndpoint || gated.size === 0) {
      options.handler(req, res);
      return;
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && (!/^\d{1,16}$/.test(declared) || Number(declared) > maxBytes)) {
      // The handler authenticates first and answers 401/400/413 as it should.
      options.handler(req, res);
      return;
    }
    readBounded(req, maxBytes).then(
      async (body) => {
        if (body === undefined) {
          if (!res.headersSent) {
            send(
              res,
              413,
              { ...options.headers?.(req), connection: 'close' },
              {
                error: 'invalid_request',
                error_description: `The message is larger than ${maxBytes} bytes`,
              },
            );
          }
          return;
        }
        const tools = calledTools(body);
        const needed = new Set<string>();
        for (const tool of tools) for (const s of gated.get(tool) ?? []) needed.add(s);
        if (needed.size > 0) {
          let scopes: string[] | undefined;
          try {
            scopes = (await options.provider.authenticate(req)).scopes;
          } catch {
            scopes = undefined; // the handler renders the authentication failure
          }
          if (scopes !== undefined && [...needed].some((s) => !scopes!.includes(s))) {
            const all = [...new Set([...options.requiredScopes, ...needed])];
            const error = new TokenValidationError(
              'ERR_INSUFFICIENT_SCOPE',
              `This tool needs the scopes: ${all.join(' ')}`,
              { requiredScopes: all },
            );
            const rendered = options.provider.getAuthError(error);
            send(
              res,
              rendered.status,
              { ...options.headers?.(req), ...rendered.headers },
              rendered.body,
            );
            return;
          }
        }
        options.handler(replay(req, body), res);
      },
      () => {
        if (!res.headersSent) res.destroy();
      },
    );
  };
}

/** Names of the tools a JSON-RPC message (or batch) calls. Anything unparsable: none. */
function calledTools(body: Buffer): string[] {
  let message: unknown;
  try {
    message = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  const list = Array.isArray(message) ? message : [message];
  const names: string[] = [];
  for (const m of list) {
    if (m && typeof m === 'object' && (m as { method?: unknown }).method === 'tools/call') {
      const name = (m as { params?: { name?: unknown } }).params?.name;
      if (typeof name === 'string') names.push(name);
    }
  }
  return names;
}

function readBounded(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks, size));
      }
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
    req.on('close', () => {
      if (!done && !req.complete) {
        done = true;
        reject(new Error('aborted'));
      }
    });
  });
}

/** A request with the same method, target and headers whose body is `body` (already read). */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = new Readable({ read() {} });
  Object.assign(copy, {
    method: req.method,
    url: req.url,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    httpVersion: req.httpVersion,
    socket: req.socket,
    connection: req.socket,
    complete: true,
  });
  copy.push(body);
  copy.push(null);
  return copy as unknown as IncomingMessage;
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(payload)),
    'cache-control': 'no-store',
  });
  res.end(payload);
}
