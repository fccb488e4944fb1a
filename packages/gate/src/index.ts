export {
  CORS_ALLOWED_HEADERS,
  CORS_EXPOSED_HEADERS,
  type CorsOptions,
  type ResolvedCors,
  resolveCors,
} from './cors.js';
export {
  BODY_READ_ERROR_CODES,
  BodyReadError,
  type BodyReadErrorCode,
  isBodyReadError,
} from './errors.js';
export { createGate } from './gate.js';
export {
  DEFAULT_MAX_BATCH_LENGTH,
  isJsonRpcMessage,
  JSONRPC_HEADER_MISMATCH,
  JSONRPC_INVALID_REQUEST,
  JSONRPC_PARSE_ERROR,
  type JsonRpcMessage,
  jsonRpcErrorBody,
  type ParsedJsonRpcBody,
  parseJsonRpcBody,
} from './jsonrpc.js';
export {
  checkMcpHeaders,
  decodeMcpHeaderValue,
  MCP_HEADERS_REVISION,
  type McpHeaderMismatch,
  mcpNameOf,
  requiresMcpHeaders,
} from './mcp-headers.js';
export {
  createMessageScopeResolver,
  isScopeToken,
  type MessageScopeResolver,
  type ScopesFor,
  type ToolScopes,
} from './message-scopes.js';
export {
  createOriginPolicy,
  type OriginPolicy,
  type OriginPolicyOptions,
  type OriginPolicyRefusal,
} from './origin-policy.js';
export { createScopeHierarchy, type ScopeChecker, type ScopeHierarchy } from './scope-hierarchy.js';
export {
  isValidSessionId,
  type MemorySessionStoreOptions,
  memorySessionStore,
  principalKey,
  type SessionStore,
} from './session-binding.js';
export type {
  Gate,
  GateDecision,
  GateOptions,
  GatePass,
  GateProceed,
  GateRequest,
  GateRespond,
  GateResponseReason,
  HeaderBag,
  ObservedResponse,
  ResourceMetadataOptions,
  SessionOptions,
} from './types.js';
