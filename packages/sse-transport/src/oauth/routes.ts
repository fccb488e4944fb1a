import type { IncomingMessage, ServerResponse } from 'node:http';
import { SseTransportError } from '../errors.js';
import { requestQuery } from '../internal/http.js';
import type { Logger } from '../internal/logger.js';
import type { AuthorizationFlow, CallbackResult, SseAuthProvider } from '../types.js';
import { readCookie, safeEqual, serializeCookie } from './cookies.js';
import { HTML_HEADERS, renderPage } from './html.js';

/** Hooks of the browser OAuth flow (`GET /oauth/authorize` and the callback). */
export interface OAuthRouteOptions {
  /**
   * Called after a successful callback with the tokens (already validated). It owns the response:
   * store the tokens server-side and redirect, for example. Tokens must never be written into a
   * page. Without it, a plain "authorization complete" page is shown (without tokens).
   */
  onCallback?: (
    result: CallbackResult,
    req: IncomingMessage,
    res: ServerResponse,
  ) => void | Promise<void>;
  /**
   * Called when the callback fails, with a typed error (`SseTransportError`, `code` says why). It owns
   * the response. Without it, an escaped error page is shown.
   */
  onError?: (error: unknown, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

/**
 * The cookie that binds `state` to the browser that started the flow. The state itself is the
 * pending sign-in (authenticated, with its expiry; see `flow-state.ts`), so the server keeps nothing
 * per started flow.
 */
export const STATE_COOKIE = 'mcp_oauth_state';
const STATE_MAX_AGE_SECONDS = 600;
const STATE_FORMAT = /^[A-Za-z0-9_-]{16,256}$/;

function cookieOptions(provider: SseAuthProvider, maxAgeSeconds: number) {
  const redirect = new URL(provider.redirectUri!);
  const loopback =
    redirect.protocol === 'http:' &&
    (redirect.hostname === 'localhost' ||
      redirect.hostname === '[::1]' ||
      /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(redirect.hostname));
  return { path: provider.callbackPath, maxAgeSeconds, secure: !loopback };
}

function sendPage(
  res: ServerResponse,
  status: number,
  title: string,
  message: string,
  headers: Record<string, string | string[]> = {},
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  res.writeHead(status, { ...HTML_HEADERS, ...headers });
  res.end(renderPage(title, message));
}

/** `GET /oauth/authorize`: starts the flow, sets the binding cookie, redirects to the authorization server. */
export async function handleAuthorize(
  provider: SseAuthProvider,
  _req: IncomingMessage,
  res: ServerResponse,
  _hooks: OAuthRouteOptions,
  logger: Logger,
): Promise<void> {
  let flow: AuthorizationFlow;
  try {
    flow = await provider.startAuthorizationFlow();
  } catch (error) {
    const code = (error as { code?: string })?.code;
    logger.warn?.('sse-transport: could not start the authorization flow', { code });
    const status = (error as { status?: number })?.status ?? 503;
    sendPage(
      res,
      status >= 400 && status < 600 ? status : 503,
      'Authorization unavailable',
      'The authorization server cannot be reached right now. Try again later.',
    );
    return;
  }
  res.writeHead(302, {
    location: flow.authorizationUrl,
    'set-cookie': serializeCookie(
      STATE_COOKIE,
      flow.state,
      cookieOptions(provider, STATE_MAX_AGE_SECONDS),
    ),
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-length': '0',
  });
  res.end();
}

/** The callback: checks the browser binding, then lets the provider take the state and exchange the code. */
export async function handleCallback(
  provider: SseAuthProvider,
  req: IncomingMessage,
  res: ServerResponse,
  hooks: OAuthRouteOptions,
  logger: Logger,
): Promise<void> {
  const params = new URLSearchParams(requestQuery(req.url ?? ''));
  const clearCookie = serializeCookie(STATE_COOKIE, '', cookieOptions(provider, 0));
  const state = params.get('state');
  const cookie = readCookie(req, STATE_COOKIE);
  const fail = async (error: SseTransportErrorLike) => {
    logger.warn?.('sse-transport: OAuth callback failed', { code: error.code });
    if (hooks.onError) {
      res.setHeader('set-cookie', clearCookie);
      await hooks.onError(error, req, res);
      if (!res.writableEnded && !res.headersSent) {
        sendPage(res, error.status, 'Authorization failed', 'The authorization did not complete.');
      }
      return;
    }
    const detail = error.oauthErrorDescription ?? error.oauthError;
    sendPage(
      res,
      error.status,
      'Authorization failed',
      detail === undefined ? error.message : `${error.message}: ${detail}`,
      { 'set-cookie': clearCookie },
    );
  };

  if (state === null || !STATE_FORMAT.test(state)) {
    await fail(
      new SseTransportError('ERR_OAUTH_CALLBACK_INVALID', 'The callback has no valid state'),
    );
    return;
  }
  // Login CSRF: the state must be the one this browser was given.
  if (cookie === undefined || !safeEqual(cookie, state)) {
    await fail(
      new SseTransportError(
        'ERR_OAUTH_STATE_MISMATCH',
        'This authorization was not started from this browser',
      ),
    );
    return;
  }
  let result: CallbackResult;
  try {
    const errorParam = params.get('error');
    const code = params.get('code') ?? '';
    if (errorParam === null && code === '') {
      throw new SseTransportError('ERR_OAUTH_CALLBACK_INVALID', 'The callback has no code');
    }
    // The provider verifies the state (ours, unexpired, unused) before anything else, and records
    // it as used only when the sign-in succeeded: failed callbacks write nothing server-side.
    result = await provider.handleCallback(code, state, undefined, {
      iss: params.get('iss'),
      error: errorParam,
      errorDescription: params.get('error_description'),
    });
  } catch (error) {
    await fail(
      isTypedError(error)
        ? error
        : new SseTransportError('ERR_OAUTH_TOKEN_EXCHANGE_FAILED', 'The authorization failed', {
            cause: error,
          }),
    );
    return;
  }
  res.setHeader('set-cookie', clearCookie);
  if (hooks.onCallback) {
    await hooks.onCallback(result, req, res);
    if (!res.headersSent) {
      sendPage(res, 200, 'Authorization complete', 'You can close this window.');
    }
    return;
  }
  sendPage(res, 200, 'Authorization complete', 'You can close this window.');
}

interface SseTransportErrorLike {
  code: string;
  status: number;
  message: string;
  oauthError?: string;
  oauthErrorDescription?: string;
}

function isTypedError(error: unknown): error is SseTransportErrorLike {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { status?: unknown }).status === 'number'
  );
}
