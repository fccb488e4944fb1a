import { type FetchLike, fetchWithLimits, type LimitedResponse } from '@mcp-auth/discovery';
import { TokenValidationError } from '../errors.js';

/** Network settings shared by the JWKS and introspection requests. */
export interface HttpSettings {
  fetch: FetchLike | undefined;
  allowInsecureHttpForLoopback: boolean;
}

/**
 * One request to the authorization server through `fetchWithLimits`; every transport failure
 * (refused, timeout, too large, bad redirect) becomes `ERR_AUTH_SERVER_UNAVAILABLE`.
 */
export async function requestAuthServer(
  url: string,
  what: 'jwks' | 'introspection',
  http: HttpSettings,
  o: {
    timeoutMs: number;
    maxBytes: number;
    init?: RequestInit;
    accept?: string[];
    retryAfterSeconds: number;
  },
): Promise<LimitedResponse> {
  try {
    // fetchWithLimits retries a GET once when a reused keep-alive connection was closed.
    return await fetchWithLimits(url, {
      timeoutMs: o.timeoutMs,
      maxBytes: o.maxBytes,
      ...(http.fetch ? { fetch: http.fetch } : {}),
      ...(o.init ? { init: o.init } : {}),
      ...(o.accept ? { accept: o.accept } : {}),
      allowInsecureHttpForLoopback: http.allowInsecureHttpForLoopback,
    });
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    const reason =
      code === 'ERR_TIMEOUT'
        ? `${what}_timeout`
        : code === 'ERR_RESPONSE_TOO_LARGE'
          ? `${what}_too_large`
          : code === 'ERR_CONTENT_TYPE'
            ? `${what}_invalid`
            : `${what}_unreachable`;
    throw new TokenValidationError(
      'ERR_AUTH_SERVER_UNAVAILABLE',
      what === 'jwks'
        ? 'The authorization server keys (JWKS) could not be fetched'
        : 'The token introspection endpoint could not be reached',
      { reason, retryAfterSeconds: o.retryAfterSeconds, cause },
    );
  }
}
