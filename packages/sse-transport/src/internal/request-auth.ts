import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MessageScopeResolver } from '@mcp-auth/gate';
import { unionScopes } from '@mcp-auth/internal';
import { TokenValidationError } from '@mcp-auth/validator';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { AuthorizationRecord, Telemetry } from '../telemetry/telemetry.js';
import type { SseAuthProvider } from '../types.js';
import { hasBody, sendError, sendJson } from './http.js';
import type { Logger } from './logger.js';

/** Authentication and per-message scope checks of one handler, answering failures itself. */
export interface RequestAuth {
  /** Authenticates, or answers the failure (401/403/503 with the challenge) and resolves undefined. */
  authenticate(
    req: IncomingMessage,
    res: ServerResponse,
    cors: Record<string, string>,
  ): Promise<AuthInfo | undefined>;
  /**
   * Whether the token carries every scope the messages need (`toolScopes`, `scopesFor`); answers
   * 403 `insufficient_scope` naming every needed scope (or 500 when `scopesFor` failed) otherwise.
   */
  allowsMessages(
    messages: readonly JSONRPCMessage[],
    authInfo: AuthInfo,
    res: ServerResponse,
    cors: Record<string, string>,
  ): boolean;
}

export function createRequestAuth(
  provider: SseAuthProvider,
  messageScopes: MessageScopeResolver | undefined,
  logger: Logger,
  telemetry: Telemetry,
  transport: 'streamable-http' | 'sse',
): RequestAuth {
  const baseScopes = provider.requiredScopes ?? [];
  /** The record of each request's authorization, until its per-message scope check. */
  const records = new WeakMap<ServerResponse, AuthorizationRecord>();
  return {
    // No async wrapper: this is the hot path.
    authenticate(req, res, cors) {
      const record = telemetry.authorization(req, transport);
      records.set(res, record);
      return provider.authenticate(req).then(
        (authInfo) => {
          record.accepted(authInfo);
          return authInfo;
        },
        (error: unknown) => {
          const rendered = provider.getAuthError(error);
          const code = (error as { code?: unknown })?.code;
          if (code === 'ERR_INSUFFICIENT_SCOPE') {
            const needed = (error as { requiredScopes?: unknown }).requiredScopes;
            record.stepUp(undefined, Array.isArray(needed) ? needed.map(String) : []);
          } else {
            record.refused(typeof code === 'string' ? code : 'ERR_UNKNOWN', rendered.status);
          }
          if (rendered.status >= 500) {
            logger.warn?.('sse-transport: token validation unavailable', {
              status: rendered.status,
              code: (error as { code?: unknown })?.code,
            });
          }
          const headers: Record<string, string> = { ...cors, ...rendered.headers };
          // Do not read a body nobody will use; closing is cheaper than draining it.
          if (hasBody(req)) headers['connection'] = 'close';
          sendJson(res, rendered.status, rendered.body, headers);
          return undefined;
        },
      );
    },
    allowsMessages(messages, authInfo, res, cors) {
      if (messageScopes === undefined) return true;
      let extraScopes: string[];
      try {
        extraScopes = messageScopes(messages);
      } catch (error) {
        logger.error?.('sse-transport: auth.scopesFor failed; message refused', {
          error: String(error),
        });
        sendError(
          res,
          500,
          'server_error',
          'Could not determine the scopes this request needs',
          cors,
        );
        return false;
      }
      if (extraScopes.length === 0) return true;
      const needed = unionScopes(baseScopes, extraScopes);
      if (needed.every((s) => authInfo.scopes.includes(s))) return true;
      records.get(res)?.stepUp(authInfo, needed);
      // Rendered by the provider like every other token failure (the validator's challenge).
      const rendered = provider.getAuthError(
        new TokenValidationError('ERR_INSUFFICIENT_SCOPE', 'The token lacks a required scope', {
          requiredScopes: needed,
          reason: 'missing_scope',
        }),
      );
      sendJson(res, rendered.status, rendered.body, { ...cors, ...rendered.headers });
      return false;
    },
  };
}
