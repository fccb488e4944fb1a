import { TestClientError } from '../errors.js';
import type { StepContext } from '../report.js';
import { assertUrlAllowed } from '../url-policy.js';
import { CookieJar, isRedirectTo, networkReason, snippet } from './http.js';
import { readLimited, stripTags } from './oauth-io.js';
import type { SessionState } from './session-state.js';

const MAX_REDIRECT_HOPS = 20;
const MAX_PAGE_BYTES = 64 * 1024;

/**
 * Follows the authorization URL with plain GET requests (cookies kept, redirects followed by hand)
 * until a `Location` points at our redirect URI; returns that Location.
 */
export async function followAuthorizationUrl(
  session: SessionState,
  start: string,
  redirectUri: string,
  s: StepContext,
): Promise<string> {
  const jar = new CookieJar();
  let url = start;
  for (let hop = 0; hop < MAX_REDIRECT_HOPS; hop++) {
    const headers = new Headers({ Accept: 'text/html' });
    const cookie = jar.header(url);
    if (cookie) headers.set('Cookie', cookie);
    let res: Response;
    try {
      res = await session.fetchImpl(url, {
        method: 'GET',
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(session.timeoutMs),
      });
    } catch (err) {
      throw new TestClientError('ERR_REQUEST_FAILED', `GET ${url} failed: ${networkReason(err)}`, {
        url,
        cause: err,
      });
    }
    jar.store(url, res.headers);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel().catch(() => {});
      const next = new URL(location, url);
      if (isRedirectTo(next, redirectUri)) {
        // The code is known from here on: register it before anything records it.
        session.registerResponseSecrets(next);
        s.received(`${res.status} Location: ${next.href}`);
        return next.href;
      }
      if (hop > 0) s.note(`redirect to ${next.origin}${next.pathname}`);
      assertUrlAllowed(next, 'redirect', { allowHttp: session.options.allowHttp });
      url = next.href;
      continue;
    }
    const body = await readLimited(res, MAX_PAGE_BYTES);
    s.received(`${res.status} ${res.headers.get('content-type') ?? ''}`.trim());
    if (res.status >= 200 && res.status < 300) {
      throw new TestClientError(
        'ERR_INTERACTION_REQUIRED',
        `The authorization server answered with a page (${snippet(stripTags(body), 120)}) instead of redirecting back: it needs a person; run without --non-interactive (and with --open)`,
        { url, status: res.status },
      );
    }
    throw new TestClientError(
      'ERR_AUTHORIZATION_ERROR',
      `The authorization server refused the authorization request with ${res.status}: ${snippet(stripTags(body), 200)}`,
      { url, status: res.status },
    );
  }
  throw new TestClientError(
    'ERR_AUTHORIZATION_ERROR',
    `More than ${MAX_REDIRECT_HOPS} redirects without reaching the redirect URI`,
    { url },
  );
}
