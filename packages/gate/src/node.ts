import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { positiveInteger } from '@mcp-auth/internal';
import { readNodeBody } from './internal/read-node-body.js';
import type { Gate, GateProceed, GateRequest, GateRespond } from './types.js';

/**
 * The MCP SDK's `AuthInfo` shape (both SDK lines), as `req.auth` is typed for every
 * `IncomingMessage` (so Express's `Request` too) once `@mcp-auth/gate/node` is imported. The gate
 * sets the validator's `AuthInfo`, whose `extra` also holds `subject`, `issuer`, `tokenType` and
 * `claims`.
 */
export interface RequestAuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number;
  resource?: URL;
  extra?: Record<string, unknown>;
}

declare module 'http' {
  interface IncomingMessage {
    /** Set by `@mcp-auth/gate/node` on requests it let through to the MCP endpoint. */
    auth?: RequestAuthInfo;
  }
}

/** A request the gate let through: `auth` is set. */
export type AuthenticatedRequest = IncomingMessage & { auth: RequestAuthInfo; body?: unknown };

/** Options of {@link mcpAuth} and {@link withMcpAuth}. */
export interface NodeGateOptions {
  /** Deadline for the whole request body, from the moment the gate starts reading. Default 10_000 ms. */
  bodyTimeoutMs?: number;
}

type Next = (err?: unknown) => void;

function resolveOptions(gate: Gate, o: NodeGateOptions): number {
  if (gate === null || typeof gate !== 'object' || typeof gate.check !== 'function') {
    throw new TypeError('"gate" must be a Gate (createGate)');
  }
  return positiveInteger(o.bodyTimeoutMs ?? 10_000, 'bodyTimeoutMs', { unit: 'milliseconds' });
}

function toGateRequest(req: IncomingMessage, gate: Gate, timeoutMs: number): GateRequest {
  const parsed = (req as { body?: unknown }).body;
  const request: GateRequest = {
    method: req.method ?? 'GET',
    // Express strips the mount path from req.url; the gate routes on the full target.
    url: (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/',
    headers: req.headers,
    rawHeaders: req.rawHeaders,
  };
  if (parsed !== undefined) request.body = parsed;
  else request.readBody = () => readNodeBody(req, gate.maxBodyBytes, timeoutMs);
  return request;
}

function send(res: ServerResponse, decision: GateRespond): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const headers: OutgoingHttpHeaders = { ...decision.headers };
  // The unread rest of a refused body is not worth waiting for.
  if (decision.status === 413 || decision.status === 408) headers['connection'] = 'close';
  if (decision.body !== '') headers['content-length'] = Buffer.byteLength(decision.body);
  res.writeHead(decision.status, headers);
  res.end(decision.body === '' ? undefined : decision.body);
}

function sessionIdIn(headers: unknown): string | undefined {
  if (Array.isArray(headers)) {
    // [name, value, name, value] or [[name, value], …]
    const flat = headers.flat() as unknown[];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      if (String(flat[i]).toLowerCase() === 'mcp-session-id') return String(flat[i + 1]);
    }
    return undefined;
  }
  if (headers !== null && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() === 'mcp-session-id' && value !== undefined) return String(value);
    }
  }
  return undefined;
}

/**
 * Watches the response head: the `Mcp-Session-Id` the MCP handler issues is bound to the principal
 * before the head leaves (every response head goes through `writeHead`, also implicit ones).
 */
function observe(gate: Gate, res: ServerResponse, decision: GateProceed, onError: Next): void {
  const original = res.writeHead;
  res.writeHead = function writeHead(this: ServerResponse, ...args: unknown[]) {
    res.writeHead = original;
    const statusCode = args[0] as number;
    const headers = typeof args[1] === 'string' ? args[2] : args[1];
    const fromArgs = sessionIdIn(headers);
    const set = res.getHeader('mcp-session-id');
    const sessionId = fromArgs ?? (set === undefined ? undefined : String(set));
    gate
      .observeResponse(decision, {
        status: statusCode,
        headers: sessionId === undefined ? {} : { 'mcp-session-id': sessionId },
      })
      .catch(onError);
    return (original as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}

async function run(
  gate: Gate,
  timeoutMs: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<GateProceed | 'pass' | undefined> {
  const decision = await gate.check(toGateRequest(req, gate, timeoutMs));
  if (decision.kind === 'respond') {
    send(res, decision);
    return undefined;
  }
  if (decision.kind === 'pass') return 'pass';
  req.auth = decision.auth;
  if (decision.body !== undefined) (req as { body?: unknown }).body = decision.body;
  for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
  return decision;
}

function serverError(res: ServerResponse): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({
    error: 'server_error',
    error_description: 'Internal Server Error',
  });
  res.writeHead(500, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * Middleware for node:http, Connect and Express: Host/Origin checks on every path, protected
 * resource metadata at both well-known URLs, CORS preflights, the bounded JSON body (read and
 * parsed here unless a body parser already set `req.body`; the parsed value is put in `req.body`),
 * the token and every scope the request needs, the session's principal. On success `req.auth` is
 * the MCP SDK's `AuthInfo` (the SDK transports read it) and `next()` is called; otherwise the
 * response is sent. Requests to other paths go to `next()` untouched. Mount it on the app (not
 * under `/mcp`) so it sees the well-known URLs.
 *
 * @example
 * ```ts
 * const app = express();
 * app.use(mcpAuth(gate));
 * app.post('/mcp', (req, res) => transport.handleRequest(req, res, req.body)); // req.auth is set
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization
 */
export function mcpAuth(
  gate: Gate,
  o: NodeGateOptions = {},
): (req: IncomingMessage, res: ServerResponse, next?: Next) => Promise<void> {
  const timeoutMs = resolveOptions(gate, o);
  return async (req, res, next) => {
    const fail: Next = (err) => (next ? next(err) : serverError(res));
    let outcome: Awaited<ReturnType<typeof run>>;
    try {
      outcome = await run(gate, timeoutMs, req, res);
    } catch (err) {
      fail(err);
      return;
    }
    if (outcome === undefined) return;
    if (outcome === 'pass') {
      if (next) next();
      else send(res, notFound());
      return;
    }
    observe(gate, res, outcome, (err) => void err);
    next?.();
  };
}

function notFound(): GateRespond {
  return {
    kind: 'respond',
    status: 404,
    reason: 'not_found',
    body: JSON.stringify({ error: 'not_found', error_description: 'Not found' }),
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  };
}

/**
 * Wraps a plain node:http MCP handler (no `next`): the gate answers what it must, `handler` runs
 * only for authorized requests to the MCP endpoint (with `req.auth` and a parsed `req.body`), and
 * any other path is a 404. Errors thrown by `handler` become a 500.
 *
 * @example
 * ```ts
 * http.createServer(withMcpAuth(gate, (req, res) => transport.handleRequest(req, res, req.body)))
 *   .listen(3000, '127.0.0.1');
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization
 */
export function withMcpAuth(
  gate: Gate,
  handler: (req: AuthenticatedRequest, res: ServerResponse) => void | Promise<void>,
  o: NodeGateOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const timeoutMs = resolveOptions(gate, o);
  if (typeof handler !== 'function') throw new TypeError('"handler" must be a function');
  return async (req, res) => {
    try {
      const outcome = await run(gate, timeoutMs, req, res);
      if (outcome === undefined) return;
      if (outcome === 'pass') {
        send(res, notFound());
        return;
      }
      observe(gate, res, outcome, () => {});
      await handler(req as AuthenticatedRequest, res);
    } catch {
      serverError(res);
    }
  };
}
