import { optionalFunction, positiveInteger, readAtMost } from '@mcp-auth/internal';
import { DiscoveryError } from './errors.js';
import { type InsecureHttpOption, parseFetchableUrl } from './url.js';

/** The `fetch` function shape this package calls (the global `fetch` by default). */
/** Whether a fetch failed because a reused connection was closed by the server (undici, node). */
function isStaleConnection(err: unknown, method: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Options of {@link fetchWithLimits}. */
export interface FetchWithLimitsOptions extends InsecureHttpOption {
  /** The `fetch` implementation. Default: `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Deadline for the whole exchange: every redirect hop and reading the body. Required. */
  timeoutMs: number;
  /** Largest body accepted, in bytes, counted while streaming. Required. */
  maxBytes: number;
  /** Method, headers, body and `signal` of the request. `redirect` is ignored (always handled here). */
  init?: RequestInit;
  /** Refuse redirects to another origin (`ERR_CROSS_ORIGIN_REDIRECT`). Default `true`. */
  sameOriginRedirectsOnly?: boolean;
  /** Most redirects followed. Default 5. */
  maxRedirects?: number;
  /**
   * Media types accepted, e.g. `'application/json'` or `['application/json',
   * 'application/jwk-set+json']`. Sent as `Accept` (unless `init.headers` has one), and a 2xx
   * response whose `Content-Type` is not one of them fails with `ERR_CONTENT_TYPE` before its body
   * is read. Non-2xx responses are returned whatever their type, so callers can report the status.
   */
  accept?: string | readonly string[];
}

/** What {@link fetchWithLimits} returns: the final response, its body read as UTF-8 text. */
export interface LimitedResponse {
  status: number;
  headers: Headers;
  body: string;
  /** The final URL, after same-origin redirects. */
  url: string;
  /** Every URL requested, in order (the first one plus each redirect target). */
  urls: string[];
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

function assertOptions(options: FetchWithLimitsOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('fetchWithLimits options are required ({ timeoutMs, maxBytes })');
  }
  const { timeoutMs, maxBytes, maxRedirects, fetch: fetchImpl, accept } = options;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError('"timeoutMs" must be a positive finite number of milliseconds');
  }
  positiveInteger(maxBytes, 'maxBytes');
  if (maxRedirects !== undefined) {
    positiveInteger(maxRedirects, 'maxRedirects', { allowZero: true });
  }
  optionalFunction(fetchImpl, 'fetch');
  if (accept !== undefined) {
    const list = typeof accept === 'string' ? [accept] : accept;
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      !list.every((t) => typeof t === 'string' && /^[\w.+-]+\/[\w.+-]+$/.test(t))
    ) {
      throw new TypeError('"accept" must be a media type or a non-empty array of media types');
    }
  }
}

/** The media type of a `Content-Type` value, lower-cased, without parameters. @internal */
export function mediaType(contentType: string | null): string | undefined {
  if (contentType === null) return undefined;
  const semi = contentType.indexOf(';');
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === '' ? undefined : type;
}

/**
 * `fetch` for documents from servers you do not control (metadata, JWKS, introspection): one
 * deadline for the whole exchange, the body counted while it streams and abandoned as soon as it
 * passes `maxBytes`, redirects followed by hand (`redirect: 'manual'`) only within the same origin
 * and at most `maxRedirects` times, never from `https:` down to `http:`, `http:` only on loopback
 * behind `allowInsecureHttpForLoopback`, and an optional content-type check. Every failure is a
 * {@link DiscoveryError} with a precise `code`; HTTP error statuses are returned, not thrown.
 *
 * On a 303 (or a 301/302 answering a POST) the next request is a GET without body, as browsers do;
 * 307/308 replay the method and body (a stream body cannot be replayed: `ERR_INVALID_REDIRECT`).
 * When cross-origin redirects are allowed, `Authorization` and `Cookie` are dropped on the way.
 *
 * @example
 * ```ts
 * const res = await fetchWithLimits(jwksUri, {
 *   timeoutMs: 5000,
 *   maxBytes: 64 * 1024,
 *   accept: ['application/json', 'application/jwk-set+json'],
 * });
 * if (res.status !== 200) throw new Error(`JWKS: HTTP ${res.status}`);
 * const jwks = JSON.parse(res.body);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.11 (open redirection)
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export async function fetchWithLimits(
  url: string | URL,
  options: FetchWithLimitsOptions,
): Promise<LimitedResponse> {
  assertOptions(options);
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const maxRedirects = options.maxRedirects ?? 5;
  const sameOriginOnly = options.sameOriginRedirectsOnly !== false;
  const accept = options.accept === undefined ? undefined : [options.accept].flat();
  const init = options.init ?? {};

  let current = parseFetchableUrl(url, 'URL', options);
  const urls = [current.href];
  let method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  const headers = new Headers(init.headers);
  if (accept && !headers.has('accept')) headers.set('accept', accept.join(', '));

  // One controller for the whole exchange: our deadline or the caller's signal aborts it.
  const controller = new AbortController();
  let timedOut = false;
  let callerAborted = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DiscoveryError('ERR_TIMEOUT', 'timed out'));
  }, options.timeoutMs);
  const callerSignal = init.signal ?? undefined;
  const onCallerAbort = () => {
    callerAborted = true;
    controller.abort(callerSignal?.reason);
  };
  if (callerSignal) {
    if (callerSignal.aborted) onCallerAbort();
    else callerSignal.addEventListener('abort', onCallerAbort, { once: true });
  }
  // Rejects when the exchange is aborted, so a `fetch` or body stream that ignores the signal
  // still cannot hold us past the deadline.
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(new Error('aborted'));
    if (controller.signal.aborted) fail();
    else controller.signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => {});

  const abortError = (cause: unknown): DiscoveryError => {
    if (timedOut) {
      return new DiscoveryError(
        'ERR_TIMEOUT',
        `no complete response from ${current.href} within ${options.timeoutMs} ms`,
        { url: current.href },
      );
    }
    if (callerAborted) {
      return new DiscoveryError('ERR_ABORTED', `request to ${current.href} was aborted`, {
        url: current.href,
        cause: callerSignal?.reason,
      });
    }
    return new DiscoveryError('ERR_NETWORK', `request to ${current.href} failed`, {
      url: current.href,
      cause,
    });
  };

  try {
    for (let redirects = 0; ; redirects++) {
      if (controller.signal.aborted) throw abortError(undefined);
      let response: Response;
      const send = () =>
        Promise.race([
          fetchImpl(current.href, {
            ...init,
            method,
            headers,
            body: body ?? null,
            redirect: 'manual',
            signal: controller.signal,
          }),
          aborted,
        ]);
      try {
        try {
          response = await send();
        } catch (first) {
          // A pooled keep-alive connection the server closed while idle fails on reuse: one
          // immediate retry, on a new connection, for idempotent requests only.
          if (!isStaleConnection(first, method) || controller.signal.aborted) throw first;
          response = await send();
        }
      } catch (cause) {
        throw abortError(cause);
      }

      if (response.type === 'opaqueredirect') {
        throw new DiscoveryError(
          'ERR_INVALID_REDIRECT',
          `${current.href} answered with a redirect this runtime does not expose`,
          { url: current.href, status: response.status },
        );
      }
      const location = response.headers.get('location');
      if (REDIRECT_STATUSES.has(response.status) && location !== null) {
        await discard(response);
        let next: URL;
        try {
          next = new URL(location, current);
        } catch {
          throw new DiscoveryError(
            'ERR_INVALID_REDIRECT',
            `${current.href} redirected to an invalid URL`,
            {
              url: current.href,
              status: response.status,
            },
          );
        }
        next.hash = '';
        if (sameOriginOnly && next.origin !== current.origin) {
          throw new DiscoveryError(
            'ERR_CROSS_ORIGIN_REDIRECT',
            `${current.href} redirected to another origin (${next.origin}); refused`,
            { url: current.href, status: response.status },
          );
        }
        if (current.protocol === 'https:' && next.protocol !== 'https:') {
          throw new DiscoveryError(
            'ERR_INSECURE_URL',
            `${current.href} redirected from https: to ${next.protocol}; refused`,
            { url: current.href, status: response.status },
          );
        }
        parseFetchableUrl(next.href, 'redirect target', options);
        if (redirects + 1 > maxRedirects) {
          throw new DiscoveryError(
            'ERR_TOO_MANY_REDIRECTS',
            `more than ${maxRedirects} redirects starting at ${urls[0]}`,
            { url: current.href, status: response.status },
          );
        }
        if (
          response.status === 303 ? method !== 'HEAD' : response.status <= 302 && method === 'POST'
        ) {
          method = 'GET';
          body = undefined;
          headers.delete('content-type');
          headers.delete('content-length');
        } else if (body instanceof ReadableStream) {
          throw new DiscoveryError(
            'ERR_INVALID_REDIRECT',
            `${current.href} redirected a request whose stream body cannot be sent again`,
            { url: current.href, status: response.status },
          );
        }
        if (next.origin !== current.origin) {
          headers.delete('authorization');
          headers.delete('cookie');
        }
        current = next;
        urls.push(current.href);
        continue;
      }

      const ok = response.status >= 200 && response.status < 300;
      if (ok && accept) {
        const type = mediaType(response.headers.get('content-type'));
        if (type === undefined || !accept.includes(type)) {
          await discard(response);
          throw new DiscoveryError(
            'ERR_CONTENT_TYPE',
            `${current.href} answered with content type ${type ?? '(none)'}, expected ${accept.join(' or ')}`,
            { url: current.href, status: response.status },
          );
        }
      }
      const text = await readBody(response, options.maxBytes, current.href, aborted, abortError);
      return {
        status: response.status,
        headers: response.headers,
        body: text,
        url: current.href,
        urls,
      };
    }
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // The body is being thrown away; a failure to cancel it changes nothing.
  }
}

async function readBody(
  response: Response,
  maxBytes: number,
  url: string,
  aborted: Promise<never>,
  abortError: (cause: unknown) => DiscoveryError,
): Promise<string> {
  const declared = response.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
    await discard(response);
    throw new DiscoveryError(
      'ERR_RESPONSE_TOO_LARGE',
      `${url} declared ${declared.trim()} bytes, more than the limit of ${maxBytes}`,
      { url, status: response.status },
    );
  }
  if (response.body === null) return '';
  const bytes = await readAtMost(response.body, maxBytes, {
    stop: aborted,
    readFailed: abortError,
    tooLarge: () =>
      new DiscoveryError(
        'ERR_RESPONSE_TOO_LARGE',
        `${url} sent more than the limit of ${maxBytes} bytes`,
        { url, status: response.status },
      ),
  });
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new DiscoveryError('ERR_INVALID_BODY', `${url} sent a body that is not UTF-8`, {
      url,
      status: response.status,
      cause,
    });
  }
}
