import type {
  AuthInfo,
  Logger,
  TokenValidationErrorCode,
  TokenValidator,
} from '@mcp-auth/validator';
import type { CorsOptions } from './cors.js';
import type { HeaderBag } from './internal/headers.js';
import type { JsonRpcMessage } from './jsonrpc.js';
import type { ScopesFor, ToolScopes } from './message-scopes.js';
import type { ScopeHierarchy } from './scope-hierarchy.js';
import type { SessionStore } from './session-binding.js';

export type { HeaderBag };

/** Options of `createGate`. */
export interface GateOptions {
  /** The token validator (`createTokenValidator`): issuer, resource, audience, token checks. */
  validator: TokenValidator;
  /**
   * Scopes every request to the MCP endpoint needs, checked by the gate (so `scopeHierarchy`
   * applies), in addition to the validator's own `requiredScopes`. Default `[]`.
   */
  requiredScopes?: readonly string[];
  /** Scopes some tools need, by tool name (`tools/call` `params.name`, batches included). */
  toolScopes?: ToolScopes;
  /** Extra scopes for any message, for rules `toolScopes` cannot express. Union with `toolScopes`. */
  scopesFor?: ScopesFor;
  /** A broader scope implies narrower ones: `{ 'mcp:admin': ['mcp:read', 'mcp:write'] }`. */
  scopeHierarchy?: ScopeHierarchy;
  /** Origins allowed besides the defaults (see `createOriginPolicy`). */
  allowedOrigins?: readonly string[];
  /** `Host` values allowed besides the defaults. */
  allowedHosts?: readonly string[];
  /** CORS response headers, or `false` for none. The Origin policy applies either way. */
  cors?: CorsOptions | false;
  /** Path(s) of the MCP endpoint. Default: the resource URI's path (`/mcp`). */
  endpointPath?: string | readonly string[];
  /** Longest JSON-RPC batch accepted. Default 100; longer → 400 with JSON-RPC error -32600. */
  maxBatchLength?: number;
  /** Largest request body, in bytes. Default 1 MiB; larger → 413. */
  maxBodyBytes?: number;
  /** Session binding of `Mcp-Session-Id` to the principal that created it, or `false` to turn it off. */
  sessions?: SessionOptions | false;
  /**
   * Protected resource metadata served at both well-known URLs, or `false` to serve none. Fields as
   * `createProtectedResourceMetadata` (`@mcp-auth/discovery`); `resource` and
   * `authorizationServers` come from the validator (every issuer it accepts), `scopesSupported` defaults to the scopes the
   * gate requires (required, per-tool), never `offline_access`.
   */
  resourceMetadata?: ResourceMetadataOptions | false;
  /** Allow an `http:` resource on a loopback host (local development). Weakens security. */
  allowInsecureHttpForLoopback?: boolean;
  logger?: Logger;
}

/** Session binding options. */
export interface SessionOptions {
  /** Where bindings live. Default `memorySessionStore({ maxEntries })`. */
  store?: SessionStore;
  /** Bound of the default store. Default 10_000. */
  maxEntries?: number;
  /** A binding lives this long after its last use. Default 3600. */
  ttlSeconds?: number;
}

/** Protected resource metadata fields the gate passes to `createProtectedResourceMetadata`. */
export interface ResourceMetadataOptions {
  authorizationServers?: readonly string[];
  scopesSupported?: readonly string[];
  resourceName?: string;
  resourceDocumentation?: string;
  /** `Cache-Control: public, max-age=<this>`. Default 3600. */
  cacheMaxAgeSeconds?: number;
  /** Other RFC 9728 parameters (snake_case). */
  extra?: Readonly<Record<string, unknown>>;
}

/** A request as the gate sees it: any HTTP framework can build one. */
export interface GateRequest {
  /** HTTP method. */
  method: string;
  /** The request target (`/mcp?x=1`) or an absolute URL. */
  url: string;
  headers: HeaderBag;
  /** node's `rawHeaders`, when available: repeated `Host` / `Authorization` headers are refused. */
  rawHeaders?: readonly string[];
  /**
   * The body, when already at hand: raw text or bytes (size-checked, then parsed), or the value a
   * body parser produced (`express.json()`). Leave out and give `readBody` to read it only when
   * needed (POST to the MCP endpoint, after the Host/Origin checks).
   */
  body?: unknown;
  /** Reads the raw body; throws a `BodyReadError` when it is too large or too slow. */
  readBody?: () => Promise<string | Uint8Array>;
}

/** Why the gate answered a request itself. */
export type GateResponseReason =
  | 'metadata'
  | 'preflight'
  | 'host_not_allowed'
  | 'origin_not_allowed'
  | 'body_too_large'
  | 'body_timeout'
  | 'body_unreadable'
  | 'parse_error'
  | 'invalid_request'
  | 'batch_too_large'
  | 'header_mismatch'
  | 'invalid_session_id'
  | 'session_forbidden'
  | 'session_not_found'
  | 'scopes_for_failed'
  | 'unauthorized'
  | 'insufficient_scope'
  | 'not_found'
  | 'server_error';

/** The gate answers: send this response, do not call the MCP handler. */
export interface GateRespond {
  kind: 'respond';
  status: number;
  headers: Record<string, string>;
  /** The body to send (`''` for none). */
  body: string;
  reason: GateResponseReason;
  /** The validator's code when a token check failed. */
  tokenError?: TokenValidationErrorCode;
}

/** The request may reach the MCP handler, with this authorization. */
export interface GateProceed {
  kind: 'proceed';
  /** The MCP SDK's `AuthInfo` (set it as `req.auth`, or pass it as `authInfo`). */
  auth: AuthInfo;
  /** CORS headers to add to the MCP handler's response. */
  headers: Record<string, string>;
  /** The parsed JSON body (POST), else `undefined`. */
  body: unknown;
  /** The JSON-RPC messages of the body (`[]` without a body). */
  messages: JsonRpcMessage[];
  /** Every scope this request needed (all granted, hierarchy included). */
  requiredScopes: string[];
  /** The request's `Mcp-Session-Id`, if any. */
  sessionId: string | undefined;
  /** The principal key sessions are bound to (issuer + subject + client). */
  principal: string;
  /** The request method, upper-cased. */
  method: string;
}

/** Not the MCP endpoint nor a metadata URL: Host and Origin passed; hand it to your other routes. */
export interface GatePass {
  kind: 'pass';
}

/** What `gate.check` decided. */
export type GateDecision = GateRespond | GateProceed | GatePass;

/** What `gate.observeResponse` needs of the MCP handler's response. */
export interface ObservedResponse {
  status: number;
  headers: HeaderBag;
}

/** The auth gate made by `createGate`. */
export interface Gate {
  /** Decides about one request: answer it, let it through with `auth`, or pass it on. Never throws for bad input. */
  check(request: GateRequest): Promise<GateDecision>;
  /**
   * Tells the gate how the MCP handler answered a request it let through: binds a new
   * `Mcp-Session-Id` to the principal, unbinds a session ended by DELETE (or unknown to the handler: 404).
   */
  observeResponse(decision: GateProceed, response: ObservedResponse): Promise<void>;
  /** The validator's canonical resource URI. */
  readonly resource: string;
  /** The protected resource metadata URL (path-suffixed) used in challenges. */
  readonly resourceMetadataUrl: string;
  /** The MCP endpoint path(s). */
  readonly endpointPaths: readonly string[];
  /** Largest body accepted, in bytes (adapters read at most this much). */
  readonly maxBodyBytes: number;
}
