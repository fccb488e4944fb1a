import { TokenValidationError } from './errors.js';
import { type HttpSettings, requestAuthServer } from './internal/http.js';
import type { Logger } from './internal/logger.js';

/** How the validator authenticates to the introspection endpoint (RFC 7662 §2.1). */
export type IntrospectionAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** Resolved introspection settings. */
export interface IntrospectionSettings {
  endpoint: string;
  clientId: string;
  clientSecret: string;
  authMethod: IntrospectionAuthMethod;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** RFC 6749 §2.3.1: client id and secret are form-encoded before going into HTTP Basic. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/**
 * Asks the authorization server about a token (RFC 7662 §2.1) with client authentication, and
 * checks the response (§2.2): HTTP 200, a JSON object, `active === true`, not a refresh token.
 * Transport failures, other statuses and garbage are `ERR_AUTH_SERVER_UNAVAILABLE` (503); an
 * inactive token is `ERR_TOKEN_INACTIVE` (401). The response's claims are checked by the caller
 * like a JWT's (issuer, audience, expiry, scopes).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2
 */
export async function introspectToken(
  token: string,
  settings: IntrospectionSettings,
  http: HttpSettings,
  logger: Logger,
): Promise<Record<string, unknown>> {
  const body = new URLSearchParams({ token, token_type_hint: 'access_token' });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (settings.authMethod === 'client_secret_basic') {
    const credentials = `${formEncode(settings.clientId)}:${formEncode(settings.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
  } else {
    body.set('client_id', settings.clientId);
    body.set('client_secret', settings.clientSecret);
  }
  const res = await requestAuthServer(settings.endpoint, 'introspection', http, {
    timeoutMs: settings.timeoutMs,
    maxBytes: settings.maxResponseBytes,
    init: { method: 'POST', headers, body: body.toString() },
    retryAfterSeconds: 5,
  });
  if (res.status !== 200) {
    if (res.status === 401 || res.status === 403) {
      logger.error?.('The introspection endpoint refused our client credentials', {
        status: res.status,
      });
    }
    throw new TokenValidationError(
      'ERR_AUTH_SERVER_UNAVAILABLE',
      `The token introspection endpoint answered HTTP ${res.status}`,
      {
        reason:
          res.status === 401 || res.status === 403
            ? 'introspection_unauthorized'
            : 'introspection_http_status',
        retryAfterSeconds: 5,
      },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(res.body);
  } catch (cause) {
    throw new TokenValidationError(
      'ERR_AUTH_SERVER_UNAVAILABLE',
      'The introspection response is not JSON',
      {
        reason: 'introspection_invalid',
        retryAfterSeconds: 5,
        cause,
      },
    );
  }
  if (
    typeof doc !== 'object' ||
    doc === null ||
    Array.isArray(doc) ||
    typeof (doc as { active?: unknown }).active !== 'boolean'
  ) {
    throw new TokenValidationError(
      'ERR_AUTH_SERVER_UNAVAILABLE',
      'The introspection response is not an RFC 7662 response (no boolean "active")',
      { reason: 'introspection_invalid', retryAfterSeconds: 5 },
    );
  }
  const claims = doc as Record<string, unknown>;
  if (claims.active !== true) {
    throw new TokenValidationError('ERR_TOKEN_INACTIVE', 'The token is not active', {
      claim: 'active',
      reason: 'inactive',
    });
  }
  const tokenType = claims.token_type;
  if (typeof tokenType === 'string' && /refresh/i.test(tokenType)) {
    throw new TokenValidationError(
      'ERR_NOT_ACCESS_TOKEN',
      'A refresh token is not an access token',
      {
        claim: 'token_type',
        reason: 'refresh_token',
      },
    );
  }
  return claims;
}
