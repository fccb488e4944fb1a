import { createPkcePair, generateState } from '@mcp-auth/pkce';
import { DevAuthServerError } from './errors.js';
import type { AuthorizeResult, TokenResponse, UserConfig } from './types.js';

/**
 * Client-side helpers that obtain tokens through the server's real endpoints, the way an OAuth client
 * would: no token is ever made outside the authorization server.
 */

export interface ClientCredentials {
  clientId: string;
  clientSecret?: string | undefined;
  /** An RFC 7523 client assertion (private_key_jwt); sent instead of a secret. */
  clientAssertion?: string | undefined;
}

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const TIMEOUT_MS = 15_000;

/** `fetch` with a deadline; a network failure or timeout is `ERR_SERVER_UNREACHABLE`, never a bare TypeError. */
export async function request(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
    throw new DevAuthServerError(
      'ERR_SERVER_UNREACHABLE',
      timedOut
        ? `no answer from ${new URL(url).origin} within ${TIMEOUT_MS / 1000} s`
        : `cannot reach ${new URL(url).origin} (is the server stopped?)`,
    );
  }
}

/** RFC 6749 §2.3.1: both parts are form-urlencoded before Base64. */
export function basicAuth(clientId: string, clientSecret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}

/**
 * POSTs a form to an endpoint with client authentication (an RFC 7523 assertion, basic with a secret,
 * else `client_id`), plus any extra headers (a `DPoP` proof).
 */
export async function postForm(
  url: string,
  params: Record<string, string | undefined>,
  client: ClientCredentials,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) form.set(k, v);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
    ...extraHeaders,
  };
  if (client.clientAssertion !== undefined) {
    form.set('client_id', client.clientId);
    form.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
    form.set('client_assertion', client.clientAssertion);
  } else if (client.clientSecret !== undefined) {
    headers.authorization = basicAuth(client.clientId, client.clientSecret);
  } else {
    form.set('client_id', client.clientId);
  }
  const res = await request(url, { method: 'POST', headers, body: form, redirect: 'manual' });
  const text = await res.text();
  let body: unknown = text;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the error message
    }
  }
  return { status: res.status, body, headers: res.headers };
}

/** Throws `ERR_OAUTH` for an OAuth error body, `ERR_UNEXPECTED_RESPONSE` for anything else not 2xx. */
export function assertOk(
  what: string,
  r: { status: number; body: unknown },
): Record<string, unknown> {
  const body = r.body as Record<string, unknown> | string;
  if (typeof body === 'object' && body !== null && typeof body.error === 'string') {
    throw new DevAuthServerError(
      'ERR_OAUTH',
      `${what} failed: ${body.error}${typeof body.error_description === 'string' ? ` (${body.error_description})` : ''}`,
      {
        error: body.error,
        errorDescription:
          typeof body.error_description === 'string' ? body.error_description : undefined,
        status: r.status,
      },
    );
  }
  if (r.status < 200 || r.status >= 300 || typeof body !== 'object' || body === null) {
    throw new DevAuthServerError('ERR_UNEXPECTED_RESPONSE', `${what} failed: HTTP ${r.status}`, {
      status: r.status,
    });
  }
  return body;
}

export function assertTokenResponse(
  what: string,
  r: { status: number; body: unknown },
): TokenResponse {
  const body = assertOk(what, r);
  if (typeof body.access_token !== 'string' || typeof body.token_type !== 'string') {
    throw new DevAuthServerError(
      'ERR_UNEXPECTED_RESPONSE',
      `${what} failed: no access_token in the response`,
      { status: r.status },
    );
  }
  return body as TokenResponse;
}

/** A minimal cookie jar: name=value pairs, good enough for one browser-less login. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line)) {
        this.#cookies.delete(name);
      } else {
        this.#cookies.set(name, value);
      }
    }
  }

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface AuthorizeRequest {
  authorizationEndpoint: string;
  issuer: string;
  clientId: string;
  redirectUri: string;
  scope: string | undefined;
  resource: string | null;
  user: UserConfig | undefined;
  extraParams?: Record<string, string> | undefined;
}

const MAX_HOPS = 12;

/**
 * Runs the front channel of the authorization code flow without a browser: follows the redirects of
 * `/authorize`, fills in the HTML login and consent forms in interactive mode, and stops at the
 * redirect to `redirectUri`, whose `code` it returns with the PKCE verifier.
 */
export async function runAuthorization(req: AuthorizeRequest): Promise<AuthorizeResult> {
  const { codeVerifier, codeChallenge } = await createPkcePair();
  const state = generateState();
  const url = new URL(req.authorizationEndpoint);
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: req.clientId,
    redirect_uri: req.redirectUri,
    scope: req.scope,
    state,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    resource: req.resource ?? undefined,
    login_hint: req.user?.sub,
    ...req.extraParams,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);

  const jar = new CookieJar();
  let next: { url: string; method: 'GET' | 'POST'; body?: URLSearchParams } = {
    url: url.href,
    method: 'GET',
  };
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const res = await request(next.url, {
      method: next.method,
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        ...(next.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(next.body ? { body: next.body } : {}),
    });
    jar.store(res.headers);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      const target = new URL(location, next.url);
      if (target.href.startsWith(req.redirectUri.split('?')[0] ?? req.redirectUri)) {
        return finish(target, state, codeVerifier, req);
      }
      next = { url: target.href, method: 'GET' };
      continue;
    }
    const html = await res.text();
    const form = nextForm(html, next.url, req.user);
    if (!form) {
      const body = tryJson(html);
      if (body && typeof body.error === 'string') {
        throw new DevAuthServerError('ERR_OAUTH', `authorization failed: ${body.error}`, {
          error: body.error,
          errorDescription:
            typeof body.error_description === 'string' ? body.error_description : undefined,
          status: res.status,
        });
      }
      const shown = /<pre><strong>error<\/strong>: ([^<]*)<\/pre>/.exec(html)?.[1];
      throw new DevAuthServerError(
        shown ? 'ERR_OAUTH' : 'ERR_INTERACTION',
        `authorization failed: HTTP ${res.status}${shown ? ` ${shown}` : ''}`,
        { status: res.status, ...(shown ? { error: shown } : {}) },
      );
    }
    next = { url: form.action, method: 'POST', body: form.body };
  }
  throw new DevAuthServerError(
    'ERR_INTERACTION',
    `authorization failed: more than ${MAX_HOPS} redirects`,
  );
}

function tryJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text);
    return typeof v === 'object' && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Finds the login or consent form on one of this server's interaction pages. */
function nextForm(
  html: string,
  pageUrl: string,
  user: UserConfig | undefined,
): { action: string; body: URLSearchParams } | undefined {
  const action = (id: string) => {
    const m = new RegExp(`<form method="post" action="([^"]+)" id="${id}"`).exec(html);
    return m?.[1] ? new URL(m[1].replaceAll('&amp;', '&'), pageUrl).href : undefined;
  };
  const login = action('login-form');
  if (login) {
    if (/id="error"/.test(html)) {
      throw new DevAuthServerError('ERR_INTERACTION', 'login failed: wrong username or password');
    }
    if (!user)
      throw new DevAuthServerError('ERR_INTERACTION', 'login page shown but no user to sign in as');
    return {
      action: login,
      body: new URLSearchParams({ login: user.sub, password: user.password }),
    };
  }
  const consent = action('consent-form');
  if (consent) return { action: consent, body: new URLSearchParams({ approve: '1' }) };
  return undefined;
}

function finish(
  target: URL,
  state: string,
  codeVerifier: string,
  req: AuthorizeRequest,
): AuthorizeResult {
  const p = target.searchParams;
  const iss = p.get('iss') ?? undefined;
  if (p.get('state') !== state) {
    throw new DevAuthServerError(
      'ERR_FLOW_STATE_MISMATCH',
      'authorization response state mismatch',
    );
  }
  if (iss !== undefined && iss !== req.issuer) {
    throw new DevAuthServerError('ERR_FLOW_ISSUER_MISMATCH', 'authorization response iss mismatch');
  }
  const error = p.get('error');
  if (error) {
    const description = p.get('error_description') ?? undefined;
    throw new DevAuthServerError(
      'ERR_OAUTH',
      `authorization failed: ${error}${description ? ` (${description})` : ''}`,
      { error, ...(description ? { errorDescription: description } : {}) },
    );
  }
  const code = p.get('code');
  if (!code)
    throw new DevAuthServerError('ERR_UNEXPECTED_RESPONSE', 'authorization response has no code');
  return { code, codeVerifier, redirectUri: req.redirectUri, state, iss };
}
