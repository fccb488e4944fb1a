export { SseTransportError, type SseTransportErrorCode } from './errors.js';
export type { CorsOptions } from './internal/cors.js';
export type { RenderedResponse } from './internal/http.js';
export type { Logger } from './internal/logger.js';
export { OAuthProvider, type OAuthProviderOptions } from './oauth/provider.js';
export { type OAuthRouteOptions, STATE_COOKIE } from './oauth/routes.js';
export {
  createHandler,
  createServer,
  type McpServerFactory,
  type McpServerLike,
  type ScopesFor,
  type SessionContext,
  type SessionInfo,
  type SseHandler,
  type SseServer,
  type SseServerOptions,
  type ToolScopes,
} from './server.js';
export {
  generateSessionId,
  parseJsonRpcMessages,
  type SseCloseReason,
  SseServerTransport,
  type SseServerTransportOptions,
} from './transport.js';
export type {
  AuthorizationFlow,
  CallbackOptions,
  CallbackResult,
  SseAuthProvider,
} from './types.js';
