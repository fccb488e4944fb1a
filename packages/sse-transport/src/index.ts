export type { CorsOptions, ScopesFor, ToolScopes } from '@mcp-auth/gate';
export type { ClusterRedisClient } from './cluster/redis.js';
export type { ClusterOptions } from './cluster/types.js';
export {
  isSseTransportError,
  SSE_TRANSPORT_ERROR_CODES,
  SseTransportError,
  type SseTransportErrorCode,
} from './errors.js';
export { createHandler, type SseHandler } from './handler.js';
export type { RenderedResponse } from './internal/http.js';
export { parseJsonRpcMessages } from './internal/jsonrpc.js';
export type { Logger } from './internal/logger.js';
export { escapeHtml } from './oauth/html.js';
export { OAuthProvider } from './oauth/provider.js';
export type { OAuthProviderOptions } from './oauth/provider-options.js';
export { type OAuthRouteOptions, STATE_COOKIE } from './oauth/routes.js';
export type { SseServerOptions, StreamableHttpOptions } from './options.js';
export { createServer, type SseServer } from './server.js';
export type { SessionInfo } from './sessions.js';
export {
  generateSessionId,
  type SseCloseReason,
  SseServerTransport,
  type SseServerTransportOptions,
} from './sse/transport.js';
export type { ModernHandler } from './streamable/modern.js';
export {
  StreamableHttpServerTransport,
  type StreamableHttpServerTransportOptions,
} from './streamable/transport.js';
export type {
  AuthAcceptedEvent,
  AuthEvent,
  AuthEventBase,
  AuthEventPrincipal,
  AuthOriginRefusedEvent,
  AuthRateLimitedEvent,
  AuthRefusedEvent,
  AuthSessionHijackEvent,
  AuthStepUpEvent,
} from './telemetry/events.js';
export type {
  AuthorizationFlow,
  CallbackOptions,
  CallbackResult,
  McpServerFactory,
  McpServerLike,
  SessionContext,
  SseAuthProvider,
} from './types.js';
