import { unionScopes } from '@mcp-auth/internal';
import { isTokenValidationError } from './errors.js';
import type { AuthInfo, TokenValidator } from './types.js';

/** Options of {@link authenticateRequest} and {@link withAuth}. */
export interface FetchAuthOptions {
  /** Scopes this route needs, in addition to the validator's `requiredScopes`. */
  requiredScopes?: string[];
  /** The `resource_metadata` URL in challenges. Default: `validator.resourceMetadataUrl`. */
  resourceMetadataUrl?: string;
}

/** The outcome of {@link authenticateRequest}. */
export type AuthenticateResult = { ok: true; auth: AuthInfo } | { ok: false; response: Response };

/**
 * Validates a Fetch `Request`'s bearer token. Resolves with `{ ok: true, auth }`, or with
 * `{ ok: false, response }`: a ready 400/401/403/503 `Response` with the `WWW-Authenticate`
 * challenge or `Retry-After` and a JSON body `{ error, error_description }`. For Hono, Workers,
 * Next.js route handlers, Bun, Deno.
 *
 * @example
 * ```ts
 * // Hono
 * app.use('/mcp/*', async (c, next) => {
 *   const result = await authenticateRequest(validator, c.req.raw);
 *   if (!result.ok) return result.response;
 *   c.set('auth', result.auth);
 *   await next();
 * });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export async function authenticateRequest(
  validator: TokenValidator,
  request: Request,
  o: FetchAuthOptions = {},
): Promise<AuthenticateResult> {
  try {
    const auth = await validator.authenticate(
      request,
      o.requiredScopes === undefined ? undefined : { requiredScopes: o.requiredScopes },
    );
    return { ok: true, auth };
  } catch (err) {
    if (!isTokenValidationError(err)) throw err;
    const scope = unionScopes(validator.requiredScopes, o.requiredScopes);
    const { status, headers, body } = err.toResponse({
      resourceMetadata: o.resourceMetadataUrl ?? validator.resourceMetadataUrl,
      scope,
    });
    return {
      ok: false,
      response: new Response(JSON.stringify(body), {
        status,
        headers: {
          ...headers,
          'access-control-expose-headers': 'WWW-Authenticate, Retry-After, DPoP-Nonce',
        },
      }),
    };
  }
}

/**
 * Wraps a Fetch handler so it only runs with a valid token; the handler receives the `AuthInfo`.
 *
 * @example
 * ```ts
 * export default {
 *   fetch: withAuth(validator, async (request, auth) => Response.json({ hello: auth.extra?.subject })),
 * };
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function withAuth(
  validator: TokenValidator,
  handler: (request: Request, auth: AuthInfo) => Response | Promise<Response>,
  o: FetchAuthOptions = {},
): (request: Request) => Promise<Response> {
  if (typeof validator?.authenticate !== 'function') {
    throw new TypeError('"validator" must be a TokenValidator (createTokenValidator)');
  }
  if (typeof handler !== 'function') throw new TypeError('"handler" must be a function');
  return async (request) => {
    const result = await authenticateRequest(validator, request, o);
    if (!result.ok) return result.response;
    return handler(request, result.auth);
  };
}
