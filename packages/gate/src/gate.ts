import { protectedResourceMetadataPaths } from '@mcp-auth/discovery';
import { unionScopes } from '@mcp-auth/internal';
import { type AuthInfo, isTokenValidationError, TokenValidationError } from '@mcp-auth/validator';
import { isBodyReadError } from './errors.js';
import { countRawHeader, getHeader } from './internal/headers.js';
import { endpointKey, type ResolvedGateOptions, resolveGateOptions } from './internal/options.js';
import { createSessionTracker, type SessionTracker } from './internal/session-tracker.js';
import {
  JSONRPC_HEADER_MISMATCH,
  JSONRPC_INVALID_REQUEST,
  type JsonRpcMessage,
  jsonRpcErrorBody,
  parseJsonRpcBody,
} from './jsonrpc.js';
import { checkMcpHeaders } from './mcp-headers.js';
import { isValidSessionId, principalKey } from './session-binding.js';
import type {
  Gate,
  GateDecision,
  GateOptions,
  GateProceed,
  GateRequest,
  GateRespond,
  GateResponseReason,
  ObservedResponse,
} from './types.js';

/** JSON-RPC error code of an unknown session, as the MCP SDKs answer it. */
const JSONRPC_SESSION_NOT_FOUND = -32001;

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

function respond(
  status: number,
  reason: GateResponseReason,
  body: string,
  headers: Record<string, string>,
): GateRespond {
  return { kind: 'respond', status, reason, body, headers: { ...headers, ...JSON_HEADERS } };
}

function oauthError(error: string, description: string): string {
  return JSON.stringify({ error, error_description: description });
}

/** The request target's path, without the query; never resolved (`//evil/mcp` stays as is). */
function pathOf(url: string): string {
  let target = url;
  if (!target.startsWith('/')) {
    try {
      const parsed = new URL(target);
      target = parsed.pathname + parsed.search;
    } catch {
      return '';
    }
  }
  const q = target.search(/[?#]/);
  return q === -1 ? target : target.slice(0, q);
}

function hostOf(request: GateRequest): string | undefined {
  // HTTP/2 (node's compatibility API) carries the host in the :authority pseudo-header.
  const header = getHeader(request.headers, 'host') ?? getHeader(request.headers, ':authority');
  if (header !== undefined) return header;
  // Fetch runtimes (Workers, Deno, Bun, undici) keep the host in the URL, not in the headers.
  if (request.url.startsWith('/')) return undefined;
  try {
    return new URL(request.url).host;
  } catch {
    return undefined;
  }
}

/** Step 1: DNS rebinding. Every path, before anything else is looked at. */
function checkOriginAndHost(
  cfg: ResolvedGateOptions,
  request: GateRequest,
  origin: string | undefined,
): GateRespond | undefined {
  const doubled =
    request.rawHeaders !== undefined && countRawHeader(request.rawHeaders, 'host') > 1;
  const refusal = doubled ? 'host_not_allowed' : cfg.policy.check(hostOf(request), origin);
  if (refusal === undefined) return undefined;
  const what = refusal === 'host_not_allowed' ? 'Host' : 'Origin';
  return respond(403, refusal, oauthError('forbidden', `${what} not allowed`), {});
}

/** Step 2: protected resource metadata at both well-known paths (discovery's handler). */
async function serveMetadata(
  cfg: ResolvedGateOptions,
  request: GateRequest,
  method: string,
): Promise<GateRespond> {
  const requestHeaders = getHeader(request.headers, 'access-control-request-headers');
  // Request refuses some methods (CONNECT, TRACE); any method but these three gets the same 405.
  const asked = method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? method : 'DELETE';
  const response = cfg.metadata!(
    new Request(new URL(pathOf(request.url), cfg.resource), {
      method: asked,
      headers:
        requestHeaders === undefined ? {} : { 'access-control-request-headers': requestHeaders },
    }),
  )!;
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = method === 'HEAD' ? '' : await response.text();
  return { kind: 'respond', status: response.status, reason: 'metadata', body, headers };
}

type BodyOutcome = { ok: true; body: unknown; messages: JsonRpcMessage[] } | GateRespond;

/** Whether a raw body is over `max` bytes (UTF-8), without encoding it when it cannot be. */
function overLimit(value: string | Uint8Array, max: number): boolean {
  if (typeof value !== 'string') return value.byteLength > max;
  // A UTF-16 code unit is at most 3 UTF-8 bytes, at least 1.
  if (value.length * 3 <= max) return false;
  if (value.length > max) return true;
  return new TextEncoder().encode(value).byteLength > max;
}

/** Step 3 (POST): read (bounded), parse, batch limit, `Mcp-Method` / `Mcp-Name`. */
async function readMessages(
  cfg: ResolvedGateOptions,
  request: GateRequest,
  cors: Record<string, string>,
): Promise<BodyOutcome> {
  let raw = request.body;
  if (raw === undefined && request.readBody !== undefined) {
    try {
      raw = await request.readBody();
    } catch (err) {
      const code = isBodyReadError(err) ? err.code : 'ERR_BODY_ABORTED';
      if (code === 'ERR_BODY_TOO_LARGE') {
        const msg = `Request body larger than ${cfg.maxBodyBytes} bytes`;
        return respond(413, 'body_too_large', jsonRpcErrorBody(JSONRPC_INVALID_REQUEST, msg), cors);
      }
      if (code === 'ERR_BODY_TIMEOUT') {
        const msg = 'The request body did not arrive in time';
        return respond(408, 'body_timeout', jsonRpcErrorBody(JSONRPC_INVALID_REQUEST, msg), cors);
      }
      const msg = 'The request body could not be read';
      return respond(400, 'body_unreadable', jsonRpcErrorBody(JSONRPC_INVALID_REQUEST, msg), cors);
    }
  }
  if ((typeof raw === 'string' || raw instanceof Uint8Array) && overLimit(raw, cfg.maxBodyBytes)) {
    const msg = `Request body larger than ${cfg.maxBodyBytes} bytes`;
    return respond(413, 'body_too_large', jsonRpcErrorBody(JSONRPC_INVALID_REQUEST, msg), cors);
  }
  const parsed = parseJsonRpcBody(raw ?? '', { maxBatchLength: cfg.maxBatchLength });
  if (!parsed.ok) {
    const reason =
      parsed.reason === 'parse'
        ? 'parse_error'
        : parsed.reason === 'invalid'
          ? 'invalid_request'
          : 'batch_too_large';
    return respond(400, reason, jsonRpcErrorBody(parsed.code, parsed.message), cors);
  }
  const mismatch = checkMcpHeaders(parsed.messages, {
    method: getHeader(request.headers, 'mcp-method'),
    name: getHeader(request.headers, 'mcp-name'),
    protocolVersion: getHeader(request.headers, 'mcp-protocol-version'),
  });
  if (mismatch !== undefined) {
    const first = parsed.messages[0];
    const id = !parsed.batch && first?.id !== undefined ? first.id : null;
    return respond(
      400,
      'header_mismatch',
      jsonRpcErrorBody(JSONRPC_HEADER_MISMATCH, mismatch.message, id),
      cors,
    );
  }
  return { ok: true, body: parsed.value, messages: parsed.messages };
}

/** A validator failure, rendered by the validator's own mapping (status, challenge, body). */
function tokenFailure(
  cfg: ResolvedGateOptions,
  err: TokenValidationError,
  scope: string[],
  cors: Record<string, string>,
): GateRespond {
  const { status, headers, body } = err.toResponse({
    resourceMetadata: cfg.resourceMetadataUrl,
    scope,
  });
  return {
    kind: 'respond',
    status,
    reason: status === 403 ? 'insufficient_scope' : 'unauthorized',
    tokenError: err.code,
    body: JSON.stringify(body),
    headers: { ...cors, ...headers },
  };
}

function insufficientScope(scopes: string[]): TokenValidationError {
  return new TokenValidationError('ERR_INSUFFICIENT_SCOPE', 'The token lacks a required scope', {
    requiredScopes: scopes,
    reason: 'missing_scope',
  });
}

/** Step 4: the token, then every scope the request needs (hierarchy honoured). */
async function authorize(
  cfg: ResolvedGateOptions,
  request: GateRequest,
  needed: string[],
  cors: Record<string, string>,
): Promise<AuthInfo | GateRespond> {
  // Every challenge names what this request needs: the validator's and the gate's required
  // scopes plus the per-message ones (computed only when there is a challenge to send).
  const challengeScopes = (): string[] => unionScopes(cfg.baseChallengeScopes, needed);
  let auth: AuthInfo;
  try {
    // method and url: a DPoP proof is checked against them (its htu is the resource origin + path).
    auth = await cfg.validator.authenticate({
      method: request.method,
      url: request.url,
      headers: request.headers,
      ...(request.rawHeaders === undefined ? {} : { rawHeaders: request.rawHeaders }),
    });
  } catch (err) {
    if (!isTokenValidationError(err)) throw err;
    const scopes = challengeScopes();
    const failure =
      err.code === 'ERR_INSUFFICIENT_SCOPE'
        ? insufficientScope(unionScopes(err.requiredScopes, scopes))
        : err;
    return tokenFailure(cfg, failure, scopes, cors);
  }
  if (cfg.scopes.missing(auth.scopes, needed).length > 0) {
    const scopes = challengeScopes();
    return tokenFailure(cfg, insufficientScope(scopes), scopes, cors);
  }
  return auth;
}

/** Step 5: a session id must be known to the gate and bound to this principal. */
async function checkSession(
  cfg: ResolvedGateOptions,
  sessions: SessionTracker,
  sessionId: string,
  principal: string,
  cors: Record<string, string>,
): Promise<GateRespond | undefined> {
  const owner = await sessions.owner(sessionId);
  if (owner === undefined) {
    const body = jsonRpcErrorBody(JSONRPC_SESSION_NOT_FOUND, 'Session not found');
    return respond(404, 'session_not_found', body, cors);
  }
  if (owner === principal) return undefined;
  cfg.logger.warn?.('gate: a session was used by another principal; refused');
  const msg = 'Forbidden: the session belongs to another principal';
  return respond(403, 'session_forbidden', jsonRpcErrorBody(JSONRPC_INVALID_REQUEST, msg), cors);
}

/**
 * Creates the auth gate: everything the MCP specification asks of a resource server, in front of
 * any MCP HTTP handler, as a decision API (`check` → respond / proceed / pass, then
 * `observeResponse`) that any framework can drive. The adapters `@mcp-auth/gate/node` and
 * `@mcp-auth/gate/fetch` drive it for node:http/Express and Fetch handlers. Per request, in order:
 * Host and Origin (403, every path); protected resource metadata at both well-known URLs; nothing
 * else for paths other than the MCP endpoint (`pass`); CORS preflight (204, no auth); body size
 * (413), JSON (-32700), batch length (-32600), `Mcp-Method` / `Mcp-Name` (-32020); the token
 * (401/400/503 from the validator's mapping); every needed scope, hierarchy honoured (403
 * `insufficient_scope` naming them all); the session's principal (403; unknown session 404).
 * Bad options are a `TypeError` naming the option.
 *
 * @example
 * ```ts
 * import { createGate } from '@mcp-auth/gate';
 * import { createTokenValidator } from '@mcp-auth/validator';
 *
 * const gate = createGate({
 *   validator: createTokenValidator({ issuer, resource: 'https://mcp.example.com/mcp' }),
 *   toolScopes: { delete_repo: ['repo:admin'] },
 *   scopeHierarchy: { 'repo:admin': ['repo:read'] },
 * });
 * const decision = await gate.check({ method: 'POST', url: '/mcp', headers, body });
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function createGate(options: GateOptions): Gate {
  const cfg = resolveGateOptions(options);
  const metadataPaths = new Set(Object.values(protectedResourceMetadataPaths(cfg.resource)));
  const sessions = cfg.sessions && createSessionTracker(cfg.sessions, cfg.logger);

  async function check(request: GateRequest): Promise<GateDecision> {
    const method = request.method.toUpperCase();
    const origin = getHeader(request.headers, 'origin');
    const refused = checkOriginAndHost(cfg, request, origin);
    if (refused !== undefined) return refused;
    const path = pathOf(request.url);
    if (cfg.metadata !== undefined && metadataPaths.has(path)) {
      return serveMetadata(cfg, request, method);
    }
    if (!cfg.endpointPaths.includes(path) && !cfg.endpointKeys.has(endpointKey(path))) {
      return { kind: 'pass' };
    }
    const cors = cfg.cors?.headers(origin) ?? {};
    if (method === 'OPTIONS') {
      const headers = {
        ...(cfg.cors?.preflight(origin) ?? {}),
        allow: 'GET, POST, DELETE, OPTIONS',
      };
      return { kind: 'respond', status: 204, reason: 'preflight', body: '', headers };
    }
    const sessionId = sessions ? getHeader(request.headers, 'mcp-session-id') : undefined;
    if (sessionId !== undefined && !isValidSessionId(sessionId)) {
      const msg = 'Invalid Mcp-Session-Id header';
      return respond(
        400,
        'invalid_session_id',
        jsonRpcErrorBody(JSONRPC_INVALID_REQUEST, msg),
        cors,
      );
    }
    let body: unknown;
    let messages: JsonRpcMessage[] = [];
    if (method === 'POST') {
      const read = await readMessages(cfg, request, cors);
      if ('kind' in read) return read;
      body = read.body;
      messages = read.messages;
    }
    let needed = cfg.requiredScopes;
    if (cfg.messageScopes !== undefined && messages.length > 0) {
      try {
        needed = unionScopes(needed, cfg.messageScopes(messages));
      } catch (err) {
        cfg.logger.error?.('gate: scopesFor failed; request refused', { error: String(err) });
        const msg = 'Could not determine the scopes this request needs';
        return respond(500, 'scopes_for_failed', oauthError('server_error', msg), cors);
      }
    }
    const auth = await authorize(cfg, request, needed, cors);
    if ('kind' in auth) return auth;
    const principal = principalKey(auth);
    if (sessionId !== undefined) {
      const refusal = await checkSession(cfg, sessions!, sessionId, principal, cors);
      if (refusal !== undefined) return refusal;
    }
    return {
      kind: 'proceed',
      auth,
      headers: cors,
      body,
      messages,
      requiredScopes: unionScopes(cfg.baseChallengeScopes, needed),
      sessionId,
      principal,
      method,
    };
  }

  async function observeResponse(decision: GateProceed, response: ObservedResponse): Promise<void> {
    if (sessions === undefined || decision?.kind !== 'proceed') return;
    await sessions.observe(decision, response);
  }

  return {
    check,
    observeResponse,
    resource: cfg.resource,
    resourceMetadataUrl: cfg.resourceMetadataUrl,
    endpointPaths: cfg.endpointPaths,
    maxBodyBytes: cfg.maxBodyBytes,
  };
}
