import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestClientError } from './errors.js';
import { formatDuration } from './report.js';

/** Options of {@link startRedirectListener}. */
export interface RedirectListenerOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Path of the redirect URI; `/callback` by default. */
  path?: string;
}

/** What {@link RedirectListener.expect} checks the authorization response against. */
export interface ExpectedCallback {
  /** The `state` sent in the authorization request. */
  state: string;
  /** The authorization server's issuer identifier: `iss`, when present, must equal it exactly. */
  issuer: string;
  /**
   * The server advertises `authorization_response_iss_parameter_supported`: `iss` must be present.
   * @see https://www.rfc-editor.org/rfc/rfc9207#section-2.4
   */
  requireIss?: boolean;
  /** How long to wait; 300 000 ms by default. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A validated authorization response. */
export interface CallbackResult {
  code: string;
  /** Every parameter of the redirect, as received. */
  params: URLSearchParams;
  /** The `iss` parameter, when the server sent it (already checked). */
  iss?: string;
}

/** A loopback HTTP listener receiving the authorization response (RFC 8252 §7.3). */
export interface RedirectListener {
  readonly redirectUri: string;
  readonly port: number;
  /** Waits for the next authorization response and validates it. Only one wait at a time. */
  expect(expected: ExpectedCallback): Promise<CallbackResult>;
  close(): Promise<void>;
}

/**
 * Starts the loopback redirect listener on `127.0.0.1` (never `0.0.0.0`). The authorization response
 * is checked in this order: `state` (CSRF), `iss` (mix-up, RFC 9207), then the `error` parameters,
 * then the presence of `code`. Everything echoed into the page is HTML-escaped; tokens never appear.
 *
 * @example
 * ```ts
 * const listener = await startRedirectListener({ port: 0 });
 * const wait = listener.expect({ state, issuer: as.issuer });
 * // … send the user to the authorization URL with redirect_uri=listener.redirectUri …
 * const { code } = await wait;
 * await listener.close();
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 * @see https://www.rfc-editor.org/rfc/rfc9207#section-2.4
 */
export async function startRedirectListener(
  options: RedirectListenerOptions = {},
): Promise<RedirectListener> {
  const path = options.path ?? '/callback';
  if (!path.startsWith('/') || path.includes('?') || path.includes('#')) {
    throw new TypeError('"path" must be an absolute path without query or fragment');
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError('"port" must be an integer between 0 and 65535');
  }

  let pending:
    | {
        expected: ExpectedCallback;
        resolve: (r: CallbackResult) => void;
        reject: (e: unknown) => void;
      }
    | undefined;

  const server: Server = createServer((req, res) => {
    handle(req, res);
  });
  server.keepAliveTimeout = 1000;

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== path) {
      page(res, 404, 'Not found', 'This is the redirect listener of mcp-auth-test-client.');
      return;
    }
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      page(res, 405, 'Method not allowed', 'The authorization response must arrive with GET.');
      return;
    }
    const current = pending;
    if (!current) {
      page(res, 400, 'No authorization in progress', 'This response was not expected.');
      return;
    }
    pending = undefined;
    try {
      const result = validateCallback(url.searchParams, current.expected);
      page(
        res,
        200,
        'Authorization complete',
        'You can close this window and return to the terminal.',
      );
      current.resolve(result);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      page(res, 400, 'Authorization failed', message);
      current.reject(err);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new TestClientError(
          'ERR_REDIRECT_LISTENER',
          err.code === 'EADDRINUSE'
            ? `Port ${port} on 127.0.0.1 is in use; pass another --port or omit it for a random one`
            : `Cannot listen on 127.0.0.1:${port} (${err.code ?? err.message})`,
          { cause: err },
        ),
      );
    });
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const redirectUri = `http://127.0.0.1:${actualPort}${path}`;

  return {
    redirectUri,
    port: actualPort,
    expect(expected) {
      if (pending) throw new Error('An authorization response is already awaited');
      const timeoutMs = expected.timeoutMs ?? 300_000;
      return new Promise<CallbackResult>((resolve, reject) => {
        const cleanup = (): void => {
          clearTimeout(timer);
          expected.signal?.removeEventListener('abort', onAbort);
        };
        const onAbort = (): void => {
          if (pending?.expected !== expected) return;
          pending = undefined;
          cleanup();
          reject(
            new TestClientError(
              'ERR_ABORTED',
              'Waiting for the authorization response was aborted',
            ),
          );
        };
        const timer = setTimeout(() => {
          if (pending?.expected !== expected) return;
          pending = undefined;
          expected.signal?.removeEventListener('abort', onAbort);
          reject(
            new TestClientError(
              'ERR_CALLBACK_TIMEOUT',
              `No authorization response reached ${redirectUri} within ${formatDuration(timeoutMs)}`,
            ),
          );
        }, timeoutMs);
        timer.unref?.();
        if (expected.signal?.aborted) {
          clearTimeout(timer);
          reject(
            new TestClientError(
              'ERR_ABORTED',
              'Waiting for the authorization response was aborted',
            ),
          );
          return;
        }
        expected.signal?.addEventListener('abort', onAbort, { once: true });
        pending = {
          expected,
          resolve: (r) => {
            cleanup();
            resolve(r);
          },
          reject: (e) => {
            cleanup();
            reject(e);
          },
        };
      });
    },
    close() {
      if (pending) {
        const p = pending;
        pending = undefined;
        p.reject(new TestClientError('ERR_ABORTED', 'The redirect listener was closed'));
      }
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Checks an authorization response: `state`, then `iss`, then `error`, then `code`.
 *
 * @example
 * ```ts
 * const { code } = validateCallback(new URL(callbackUrl).searchParams, { state, issuer: as.issuer });
 * ```
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc9207#section-2.4
 */
export function validateCallback(
  params: URLSearchParams,
  expected: ExpectedCallback,
): CallbackResult {
  const state = params.get('state');
  if (state === null || !safeEqual(state, expected.state)) {
    throw new TestClientError(
      'ERR_STATE_MISMATCH',
      state === null
        ? 'The authorization response has no state parameter'
        : 'The authorization response carries a state that this client did not send (possible CSRF)',
    );
  }
  const iss = params.get('iss');
  if (iss !== null && iss !== expected.issuer) {
    throw new TestClientError(
      'ERR_ISSUER_MISMATCH',
      `The authorization response comes from issuer "${iss}", expected "${expected.issuer}" (possible mix-up attack, RFC 9207)`,
    );
  }
  if (iss === null && expected.requireIss) {
    throw new TestClientError(
      'ERR_ISSUER_MISSING',
      'The authorization server advertises authorization_response_iss_parameter_supported but its response has no iss',
    );
  }
  const error = params.get('error');
  if (error !== null) {
    const description = params.get('error_description') ?? undefined;
    throw new TestClientError(
      'ERR_AUTHORIZATION_ERROR',
      `The authorization server answered error=${error}${description ? ` (${description})` : ''}`,
      { oauthError: error, ...(description ? { oauthErrorDescription: description } : {}) },
    );
  }
  const code = params.get('code');
  if (!code) {
    throw new TestClientError('ERR_INVALID_CALLBACK', 'The authorization response has no code');
  }
  return { code, params, ...(iss !== null ? { iss } : {}) };
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * HTML-escapes `&<>"'` (numeric character references), for everything the listener echoes.
 *
 * @example
 * ```ts
 * escapeHtml('<script>'); // '&#60;script&#62;'
 * ```
 * @see https://html.spec.whatwg.org/multipage/syntax.html#character-references
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res: ServerResponse, status: number, title: string, message: string): void {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    Connection: 'close',
  });
  res.end(body);
}
