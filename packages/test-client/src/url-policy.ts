import { isLoopbackHost } from '@mcp-auth/discovery';
import { TestClientError } from './errors.js';

/** Options of {@link assertUrlAllowed}. */
export interface UrlPolicyOptions {
  /**
   * Accept `http:` URLs on hosts that are not loopback. Insecure: tokens and codes travel in clear
   * text. Never the default.
   */
  allowHttp?: boolean;
}

/**
 * The test client's URL rule: `https:` everywhere; `http:` accepted without a flag only for loopback
 * hosts (`localhost`, `127.0.0.0/8`, `[::1]`), which is how local servers run; any other `http:` URL
 * needs `allowHttp`. Returns the parsed URL.
 *
 * @example
 * ```ts
 * assertUrlAllowed('http://127.0.0.1:3000/mcp', 'server URL'); // ok
 * assertUrlAllowed('http://mcp.example.com/mcp', 'server URL'); // throws ERR_HTTP_URL_REFUSED
 * ```
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-1.5 (TLS required)
 */
export function assertUrlAllowed(
  url: string | URL,
  what: string,
  options: UrlPolicyOptions = {},
): URL {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw new TestClientError('ERR_URL_UNSUPPORTED', `The ${what} is not an absolute URL`, {
      url: String(url),
    });
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:') {
    if (isLoopbackHost(parsed.hostname) || options.allowHttp) return parsed;
    throw new TestClientError(
      'ERR_HTTP_URL_REFUSED',
      `The ${what} ${parsed.origin} uses http on a host that is not loopback; use https, or pass --allow-http (insecure) to accept it`,
      { url: parsed.href },
    );
  }
  throw new TestClientError('ERR_URL_UNSUPPORTED', `The ${what} must be an https URL`, {
    url: parsed.href,
  });
}

/**
 * True when `url` is `http:` on a loopback host (the only http the default policy accepts).
 *
 * @example
 * ```ts
 * isLoopbackHttp('http://localhost:3000/mcp'); // true
 * isLoopbackHttp('https://localhost:3000/mcp'); // false
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3
 */
export function isLoopbackHttp(url: string | URL): boolean {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  return parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
}
