import { positiveInteger } from '@mcp-auth/internal';
import type { AuthInfo } from '@mcp-auth/validator';
import { readFetchBody } from './internal/read-fetch-body.js';
import type { JsonRpcMessage } from './jsonrpc.js';
import type { Gate, GateRespond } from './types.js';

/** What the wrapped handler receives besides the request. */
export interface FetchGateContext {
  /** The validated token (the MCP SDK's `AuthInfo`): pass it on as `authInfo`. */
  auth: AuthInfo;
  /** The parsed JSON body of a POST (pass it on as `parsedBody`), else `undefined`. */
  body: unknown;
  /** The JSON-RPC messages of the body (`[]` without one). */
  messages: JsonRpcMessage[];
}

/** Options of {@link withMcpAuth}. */
export interface FetchGateOptions {
  /** Deadline for the whole request body. Default 10_000 ms. */
  bodyTimeoutMs?: number;
}

function toResponse(decision: GateRespond, method: string): Response {
  const empty = decision.body === '' || method === 'HEAD' || decision.status === 204;
  return new Response(empty ? null : decision.body, {
    status: decision.status,
    headers: decision.headers,
  });
}

const NOT_FOUND: GateRespond = {
  kind: 'respond',
  status: 404,
  reason: 'not_found',
  body: JSON.stringify({ error: 'not_found', error_description: 'Not found' }),
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
};

const SERVER_ERROR: GateRespond = {
  kind: 'respond',
  status: 500,
  reason: 'server_error',
  body: JSON.stringify({ error: 'server_error', error_description: 'Internal Server Error' }),
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
};

/** The handler's response with the gate's CORS headers added (a new Response: headers may be immutable). */
function withHeaders(response: Response, extra: Record<string, string>): Response {
  const names = Object.keys(extra);
  if (names.length === 0) return response;
  const headers = new Headers(response.headers);
  for (const name of names) if (!headers.has(name)) headers.set(name, extra[name]!);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/**
 * Wraps a Fetch-API MCP handler (Hono, Cloudflare Workers, Deno, Bun, Next.js route handlers, the
 * v2 SDK's `createMcpHandler(...).fetch`): the gate answers Host/Origin refusals, protected resource
 * metadata, preflights, challenges and scope refusals itself; `handler` runs for authorized
 * requests to the MCP endpoint with `{ auth, body, messages }` and a request whose body can still
 * be read; other paths get 404. A new `Mcp-Session-Id` in the handler's response is bound to the
 * principal before the response is returned.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from '@modelcontextprotocol/server';
 * const mcp = createMcpHandler(() => buildServer());
 * export default {
 *   fetch: withMcpAuth(gate, (request, { auth, body }) =>
 *     mcp.fetch(request, { authInfo: auth, parsedBody: body })),
 * };
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization
 */
export function withMcpAuth(
  gate: Gate,
  handler: (request: Request, ctx: FetchGateContext) => Response | Promise<Response>,
  o: FetchGateOptions = {},
): (request: Request) => Promise<Response> {
  if (gate === null || typeof gate !== 'object' || typeof gate.check !== 'function') {
    throw new TypeError('"gate" must be a Gate (createGate)');
  }
  if (typeof handler !== 'function') throw new TypeError('"handler" must be a function');
  const timeoutMs = positiveInteger(o.bodyTimeoutMs ?? 10_000, 'bodyTimeoutMs', {
    unit: 'milliseconds',
  });
  return async (request) => {
    let bytes: Uint8Array | undefined;
    let decision: Awaited<ReturnType<Gate['check']>>;
    try {
      decision = await gate.check({
        method: request.method,
        url: request.url,
        headers: request.headers,
        readBody: async () => {
          bytes = await readFetchBody(request, gate.maxBodyBytes, timeoutMs);
          return bytes;
        },
      });
    } catch {
      // A bug (a validator that throws something else than a TokenValidationError): fail closed.
      return toResponse(SERVER_ERROR, request.method);
    }
    if (decision.kind === 'respond') return toResponse(decision, request.method);
    if (decision.kind === 'pass') return toResponse(NOT_FOUND, request.method);
    // The gate consumed the body: hand the handler a request that still has it.
    const inner =
      bytes === undefined
        ? request
        : new Request(request.url, {
            method: request.method,
            headers: request.headers,
            body: bytes,
            signal: request.signal,
          });
    const response = await handler(inner, {
      auth: decision.auth,
      body: decision.body,
      messages: decision.messages,
    });
    await gate.observeResponse(decision, { status: response.status, headers: response.headers });
    return withHeaders(response, decision.headers);
  };
}
