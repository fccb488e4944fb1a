import type { CheckOutcome, Probe } from './checks-2026.js';
import { probe } from './http.js';

/** A token no authorization server issued: what a server must refuse with `invalid_token`. */
const GARBAGE_TOKEN = 'mcp-auth-test-client.not-a-real-token.x';

/**
 * A token the server cannot have issued is answered with 401 `error="invalid_token"`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export async function checkGarbageToken(p: Probe): Promise<CheckOutcome> {
  const res = await probe(p.serverUrl, p.kind, {
    fetch: p.fetch,
    timeoutMs: p.timeoutMs,
    token: GARBAGE_TOKEN,
  });
  const error = res.challenge?.params.error;
  if (res.status === 401 && error === 'invalid_token') {
    return { status: 'pass', detail: '401 error="invalid_token"' };
  }
  return {
    status: 'fail',
    detail: `${res.status}${error ? ` error="${error}"` : ' without error="invalid_token"'}`,
  };
}

/**
 * A token in the query string (`?access_token=`) is not accepted. Sent with the valid token when
 * there is one (else the garbage token, which proves less, and the detail says so).
 *
 * @see https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization#access-token-usage
 */
export async function checkQueryToken(p: Probe, token: string | undefined): Promise<CheckOutcome> {
  const res = await probe(p.serverUrl, p.kind, {
    fetch: p.fetch,
    timeoutMs: p.timeoutMs,
    token: token ?? GARBAGE_TOKEN,
    tokenInQuery: true,
  });
  const weak = token ? '' : ' (with a garbage token: no valid token was available)';
  if (res.status >= 200 && res.status < 300) {
    return {
      status: 'fail',
      detail: `?access_token=… → ${res.status}: the query string token was accepted${weak}`,
    };
  }
  return { status: 'pass', detail: `?access_token=… → ${res.status}${weak}` };
}

/**
 * A browser client can read the challenge: `WWW-Authenticate` is in `Access-Control-Expose-Headers`
 * (`*` is only a warning: it does not apply to credentialed requests).
 *
 * @see https://fetch.spec.whatwg.org/#http-access-control-expose-headers
 */
export async function checkCorsExposeHeaders(p: Probe, origin: string): Promise<CheckOutcome> {
  const res = await probe(p.serverUrl, p.kind, {
    fetch: p.fetch,
    timeoutMs: p.timeoutMs,
    origin,
  });
  const header = res.headers.get('access-control-expose-headers');
  const exposed = (header ?? '').split(',').map((h) => h.trim().toLowerCase());
  if (exposed.includes('www-authenticate')) {
    return { status: 'pass', detail: `Access-Control-Expose-Headers: ${header}` };
  }
  if (exposed.includes('*')) {
    return {
      status: 'warn',
      detail: 'Access-Control-Expose-Headers: * (does not apply to credentialed requests)',
    };
  }
  return {
    status: 'fail',
    detail: `Origin: ${origin} → Access-Control-Expose-Headers: ${header ?? '(none)'}`,
  };
}
