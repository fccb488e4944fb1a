import type { IncomingHttpHeaders } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

/**
 * What a relayed call may carry to another instance through Redis: the request headers without
 * credentials, the verified `authInfo` without the token.
 */

/** Request headers never sent to another instance. */
const PRIVATE_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'dpop']);

/** The request headers a relayed call carries (no credentials). */
export function relayedHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!PRIVATE_HEADERS.has(name)) out[name] = value;
  }
  return out;
}

/** The verified `authInfo` without the token: tokens never travel through Redis. */
export function withoutToken(authInfo: AuthInfo | undefined): AuthInfo | undefined {
  return authInfo === undefined ? undefined : { ...authInfo, token: '' };
}
