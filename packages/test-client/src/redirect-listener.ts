import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestClientError } from './errors.js';
import { formatDuration } from './report.js';

/**
 * The host of the loopback redirect URI. `127.0.0.1` (the default) and `[::1]` are what RFC 8252
 * §7.3 recommends; `localhost` is for authorization servers that accept plain-http redirect URIs on
 * `localhost` only (AWS Cognito). The listener binds to loopback addresses only, whichever it is.
 */
export type RedirectHost = 'localhost' | '127.0.0.1' | '[::1]';

/** The accepted redirect hosts, in the order the usage text lists them. */
export const REDIRECT_HOSTS: readonly RedirectHost[] = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Normalizes a redirect host as a person types it (`LOCALHOST`, `::1`) to a {@link RedirectHost};
 * undefined for anything that is not one of the three loopback names.
 *
 * @example
 * ```ts
 * parseRedirectHost('::1'); // '[::1]'
 * parseRedirectHost('0.0.0.0'); // undefined
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export function parseRedirectHost(value: string): RedirectHost | undefined {
  const v = value.trim().toLowerCase();
  if (v === '::1') return '[::1]';
  return (REDIRECT_HOSTS as readonly string[]).includes(v) ? (v as RedirectHost) : undefined;
}

/** Options of {@link startRedirectListener}. */
export interface RedirectListenerOptions {
  /** Port on the loopback interface; 0 (default) picks a free one. */
  port?: number;
  /** Path of the redirect URI; `/callback` by default. */
  path?: string;
  /**
   * Host of the redirect URI: `127.0.0.1` (default), `[::1]`, or `localhost` (the listener then
   * binds the same port on 127.0.0.1 and, when the machine has IPv6, on ::1, since a browser may
   * resolve `localhost` to either).
   */
  host?: RedirectHost;
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
 * Starts the loopback redirect listener on `127.0.0.1` (or `[::1]`, or both for `localhost`; never
 * `0.0.0.0`). The authorization response
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
  const host = options.host ?? '127.0.0.1';
  if (!(REDIRECT_HOSTS as readonly string[]).includes(host)) {
    throw new TypeError('"host" must be one of localhost, 127.0.0.1, [::1]');
  }

  let pending:
    | {
        expected: ExpectedCallback;
        resolve: (r: CallbackResult) => void;
        reject: (e: unknown) => void;
      }
    | undefined;

  const servers: Server[] = [];
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

  const actualPort = await bindLoopback(servers, handle, host, port);
  const redirectUri = `http://${host}:${actualPort}${path}`;

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
              'ERR_INTERRUPTED',
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
              'ERR_INTERRUPTED',
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
        p.reject(new TestClientError('ERR_INTERRUPTED', 'The redirect listener was closed'));
      }
      return Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      ).then(() => undefined);
    },
  };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The loopback addresses a redirect host binds: never anything but loopback. */
function addressesOf(host: RedirectHost): { address: string; optional: boolean }[] {
  if (host === '127.0.0.1') return [{ address: '127.0.0.1', optional: false }];
  if (host === '[::1]') return [{ address: '::1', optional: false }];
  // A browser resolves localhost to 127.0.0.1 or ::1: answer on both (::1 when the machine has it).
  return [
    { address: '127.0.0.1', optional: false },
    { address: '::1', optional: true },
  ];
}

function listenOnce(handler: Handler, address: string, port: number): Promise<Server> {
  const server = createServer(handler);
  server.keepAliveTimeout = 1000;
  return new Promise<Server>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function closeQuietly(servers: Server[]): Promise<void> {
  return Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  ).then(() => undefined);
}

/** Binds every address of `host` on one port (a random one when `port` is 0); returns the port. */
async function bindLoopback(
  servers: Server[],
  handler: Handler,
  host: RedirectHost,
  port: number,
): Promise<number> {
  const addresses = addressesOf(host);
  const shown = (address: string): string => (address.includes(':') ? `[${address}]` : address);
  // With a random port, the second address may find it taken: try a few other ports.
  for (let attempt = 0; ; attempt++) {
    let chosen = port;
    try {
      for (const { address, optional } of addresses) {
        try {
          const server = await listenOnce(handler, address, chosen);
          servers.push(server);
          chosen = (server.address() as AddressInfo).port;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (optional && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) continue;
          throw Object.assign(err as Error, { address });
        }
      }
      return chosen;
    } catch (err) {
      await closeQuietly(servers);
      const e = err as NodeJS.ErrnoException & { address?: string };
      const retry = port === 0 && e.code === 'EADDRINUSE' && attempt < 5;
      if (retry) continue;
      const where = `${shown(e.address ?? '127.0.0.1')}:${chosen}`;
      throw new TestClientError(
        'ERR_REDIRECT_LISTENER',
        e.code === 'EADDRINUSE'
          ? `Port ${chosen} on ${shown(e.address ?? '127.0.0.1')} is in use; pass another --port or omit it for a random one`
          : e.code === 'EADDRNOTAVAIL' || e.code === 'EAFNOSUPPORT'
            ? `Cannot listen on ${where}: this machine has no such loopback address (try --redirect-host 127.0.0.1)`
            : `Cannot listen on ${where} (${e.code ?? e.message})`,
        { cause: err },
      );
    }
  }
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
      'ERR_CALLBACK_ISSUER_MISMATCH',
      `The authorization response comes from issuer "${iss}", expected "${expected.issuer}" (possible mix-up attack, RFC 9207)`,
    );
  }
  if (iss === null && expected.requireIss) {
    throw new TestClientError(
      'ERR_CALLBACK_ISSUER_MISSING',
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
