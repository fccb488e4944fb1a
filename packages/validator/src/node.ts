import type { IncomingMessage, ServerResponse } from 'node:http';
import { unionScopes } from '@mcp-auth/internal';
import { isTokenValidationError, TokenValidationError } from './errors.js';
import type { AuthInfo, TokenValidator } from './types.js';

/** Options of {@link requireAuth}. */
export interface RequireAuthOptions {
  /** Scopes this route needs, in addition to the validator's `requiredScopes`. */
  requiredScopes?: string[];
  /** The `resource_metadata` URL in challenges. Default: `validator.resourceMetadataUrl`. */
  resourceMetadataUrl?: string;
}

/** A request after {@link requireAuth} accepted it. */
export type AuthenticatedRequest = IncomingMessage & { auth: AuthInfo };

type Next = (err?: unknown) => void;

/**
 * Writes a validation failure as an HTTP response: status from the one code table, the
 * `WWW-Authenticate` challenge (400/401/403), `Retry-After` (503), a JSON body
 * `{ error, error_description }`, and `Access-Control-Expose-Headers` so browser clients can read
 * the challenge.
 *
 * @example
 * ```ts
 * sendAuthError(res, err, validator.resourceMetadataUrl);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function sendAuthError(
  res: ServerResponse,
  err: TokenValidationError,
  resourceMetadata: string,
  scope?: string[],
): void {
  const { status, headers, body } = err.toResponse({
    resourceMetadata,
    ...(scope ? { scope } : {}),
  });
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('access-control-expose-headers', 'WWW-Authenticate, Retry-After, DPoP-Nonce');
  res.end(JSON.stringify(body));
}

/**
 * Middleware for `node:http`, connect and Express: validates the bearer token, sets `req.auth`
 * (the MCP SDK's `AuthInfo`, which its transports read) and calls `next()`; or answers 400, 401,
 * 403 or 503 itself. Without `next` (plain `node:http`) it resolves with the `AuthInfo`, or with
 * `undefined` after answering. Errors other than validation failures go to `next(err)` (or a 500).
 * No framework is imported.
 *
 * @example
 * ```ts
 * // node:http
 * const auth = requireAuth(validator);
 * http.createServer(async (req, res) => {
 *   const info = await auth(req, res);
 *   if (!info) return; // 401/403/400/503 already sent
 *   res.end(`hello ${info.extra?.subject}`);
 * });
 * // Express
 * app.use('/mcp', requireAuth(validator, { requiredScopes: ['mcp:tools'] }));
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function requireAuth(
  validator: TokenValidator,
  o: RequireAuthOptions = {},
): (req: IncomingMessage, res: ServerResponse, next?: Next) => Promise<AuthInfo | undefined> {
  if (typeof validator?.authenticate !== 'function') {
    throw new TypeError('"validator" must be a TokenValidator (createTokenValidator)');
  }
  const resourceMetadata = o.resourceMetadataUrl ?? validator.resourceMetadataUrl;
  const scopeOption =
    o.requiredScopes === undefined ? undefined : { requiredScopes: [...o.requiredScopes] };
  // The scopes this route needs, for the `scope` parameter of every challenge (MCP: SHOULD).
  const challengeScope = unionScopes(validator.requiredScopes, o.requiredScopes);
  return async (req, res, next) => {
    let auth: AuthInfo;
    try {
      auth = await validator.authenticate(req, scopeOption);
    } catch (err) {
      if (isTokenValidationError(err)) {
        sendAuthError(res, err, resourceMetadata, challengeScope);
        return undefined;
      }
      if (next) {
        next(err);
      } else if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ error: 'server_error', error_description: 'Internal Server Error' }),
        );
      }
      return undefined;
    }
    (req as AuthenticatedRequest).auth = auth;
    next?.();
    return auth;
  };
}

export { TokenValidationError };
