import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RenderedResponse } from './internal/http.js';

// The contract between the HTTP server and an authorization provider, in its own file so that
// neither imports the other.

/**
 * What the server needs from an authorization provider. `OAuthProvider` implements it.
 */
export interface SseAuthProvider {
  /** Validates the request's bearer token; rejects with an error that `getAuthError` renders. */
  authenticate(req: IncomingMessage): Promise<AuthInfo>;
  /** Renders a failure of `authenticate` as status, headers (`WWW-Authenticate`) and JSON body. */
  getAuthError(error: unknown): RenderedResponse;
  /** Serves the protected resource metadata at its well-known URLs; `true` when it answered. */
  handleMetadataRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * Scopes every request needs (the provider enforces them in `authenticate`). A 403 for a message
   * that needs more (`auth.toolScopes`, `auth.scopesFor`) lists these first, then the extra ones.
   */
  readonly requiredScopes?: readonly string[];
  /**
   * The resource URI the server protects. Its host decides which `Host` and `Origin` values the
   * server accepts (loopback only for a loopback resource).
   */
  readonly resourceUri?: string;
  /** The OAuth client id; the authorization endpoints exist only when it is set. */
  readonly clientId?: string | undefined;
  /** Path of the OAuth callback (e.g. `/oauth/callback`). */
  readonly callbackPath: string;
  /** The configured absolute redirect URI, whose path is `callbackPath`. */
  readonly redirectUri?: string | undefined;
  /**
   * Whether the authorization server is reachable (metadata and JWKS), `cached` when it is not but
   * a check succeeded recently enough that the keys held are fresh, `down` otherwise. Used by the
   * readiness endpoint (`/health/ready`); a provider without it counts as ready.
   */
  checkReadiness?(): Promise<'ok' | 'cached' | 'down'>;
  startAuthorizationFlow(redirectUri?: string): Promise<AuthorizationFlow>;
  handleCallback(
    code: string,
    state: string,
    redirectUri?: string,
    options?: CallbackOptions,
  ): Promise<CallbackResult>;
}

/** What `OAuthProvider.startAuthorizationFlow` returns. */
export interface AuthorizationFlow {
  /** Send the browser here. */
  authorizationUrl: string;
  /** The one-time `state`; bind it to the browser (the server sets an HttpOnly cookie). */
  state: string;
}

/** Options of `OAuthProvider.handleCallback`: the other parameters of the authorization response. */
export interface CallbackOptions {
  /** RFC 9207 `iss` of the authorization response, when present. */
  iss?: string | null;
  /** `error` of the authorization response, when the authorization server refused. */
  error?: string | null;
  /** `error_description` of the authorization response (untrusted text). */
  errorDescription?: string | null;
}

/** The validated result of a callback. Never render `tokens` into a page. */
export interface CallbackResult {
  tokens: {
    access_token: string;
    token_type: string;
    expires_in?: number;
    refresh_token?: string;
    scope?: string;
    id_token?: string;
  };
  /** The access token as the validator sees it (subject, client, scopes, expiry). */
  authInfo: AuthInfo;
}

/** An SDK `McpServer` or `Server`: anything that connects to a transport and closes. */
export interface McpServerLike {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

/** What the factory receives for each new session (or, stateless, for each request). */
export interface SessionContext {
  /** The new session's id; `undefined` for a stateless Streamable HTTP request. */
  sessionId: string | undefined;
  /** Which transport the session uses. */
  transport: 'sse' | 'streamable-http';
  /** The principal that opened the stream; undefined when the SSE endpoint is unauthenticated. */
  authInfo: AuthInfo | undefined;
  req: IncomingMessage;
}

/** Creates an MCP server for one session (or one stateless request). */
export type McpServerFactory = (context: SessionContext) => McpServerLike | Promise<McpServerLike>;
