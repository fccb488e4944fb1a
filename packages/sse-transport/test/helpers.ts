import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { SseAuthProvider } from '../src/types.js';

export interface SseEvent {
  event: string;
  data: string;
}

export interface OpenStream {
  status: number;
  headers: IncomingMessage['headers'];
  /** Body when the server answered with something else than a stream. */
  body: string;
  sessionId: string | undefined;
  endpoint: string | undefined;
  events: SseEvent[];
  comments: string[];
  /** Resolves with the next event named `name`. */
  next(name?: string, timeoutMs?: number): Promise<SseEvent>;
  closed: Promise<void>;
  close(): void;
}

/** Opens `GET url` as an event stream and resolves after the `endpoint` event (or a non-200 answer). */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      headers: { accept: 'text/event-stream', ...headers },
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters: { name: string; resolve: (e: SseEvent) => void }[] = [];
      let buffer = '';
      let resolvedOnce = false;
      const closed = new Promise<void>((r) => res.on('close', () => r()));
      const stream: OpenStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: '',
        sessionId: undefined,
        endpoint: undefined,
        events,
        comments,
        next(name = 'message', timeoutMs = 5000) {
          const seen = events.findIndex((e) => e.event === name);
          if (seen !== -1) return Promise.resolve(events.splice(seen, 1)[0]!);
          return new Promise((res2, rej2) => {
            const waiter = {
              name,
              resolve: (e: SseEvent) => {
                clearTimeout(timer);
                res2(e);
              },
            };
            // A waiter that timed out leaves, so the next event goes to the next caller.
            const timer = setTimeout(() => {
              waiters.splice(waiters.indexOf(waiter), 1);
              rej2(new Error(`no ${name} event`));
            }, timeoutMs);
            waiters.push(waiter);
          });
        },
        closed,
        close() {
          req.destroy();
        },
      };
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        res.on('data', (chunk: string) => {
          stream.body += chunk;
        });
        res.on('end', () => resolve(stream));
        return;
      }
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let idx = buffer.indexOf('\n\n');
        while (idx !== -1) {
          const frame = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 2);
          idx = buffer.indexOf('\n\n');
          if (frame.startsWith(':')) {
            comments.push(frame.slice(1).trim());
            continue;
          }
          let event = 'message';
          const data: string[] = [];
          for (const line of frame.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          const e = { event, data: data.join('\n') };
          if (event === 'endpoint' && !resolvedOnce) {
            resolvedOnce = true;
            stream.endpoint = e.data;
            stream.sessionId =
              new URL(e.data, 'http://x').searchParams.get('sessionId') ?? undefined;
            resolve(stream);
            continue;
          }
          const w = waiters.findIndex((x) => x.name === event);
          if (w !== -1) waiters.splice(w, 1)[0]!.resolve(e);
          else events.push(e);
        }
      });
      res.on('error', () => {});
    });
    req.end();
  });
}

export interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One HTTP request with node:http (so we control every header, and can send anything). */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string | string[]>;
    body?: string | Buffer;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** POSTs one JSON-RPC message. */
export function postMessage(
  baseUrl: string,
  endpoint: string,
  message: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return rawRequest(new URL(endpoint, baseUrl).href, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof message === 'string' ? message : JSON.stringify(message),
  });
}

/**
 * A provider for unit tests of the server: a token `user:<sub>:<client>:<scopes,>` is valid; others
 * fail like the validator does. The real OAuthProvider is tested end to end in test/.
 */
export function fakeProvider(
  overrides: Partial<SseAuthProvider> & { unavailable?: boolean } = {},
): SseAuthProvider {
  const challenge = (error?: string) =>
    `Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/sse"${error ? `, error="${error}"` : ''}`;
  const fail = (status: number, error: string | undefined, code: string) =>
    Object.assign(new Error(code), { code, status, error });
  return {
    callbackPath: '/oauth/callback',
    clientId: undefined,
    redirectUri: undefined,
    async authenticate(req) {
      if (overrides.unavailable) throw fail(503, undefined, 'ERR_AUTH_SERVER_UNAVAILABLE');
      const header = req.headers.authorization;
      if (!header) throw fail(401, undefined, 'ERR_MISSING_TOKEN');
      const m = /^Bearer user:([a-z0-9-]+):([a-z0-9-]+):([a-z:,]*)$/.exec(header);
      if (!m) throw fail(401, 'invalid_token', 'ERR_SIGNATURE_INVALID');
      const info: AuthInfo = {
        token: header.slice(7),
        clientId: m[2]!,
        scopes: m[3] ? m[3].split(',') : [],
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
        extra: { subject: m[1], issuer: 'http://issuer.test' },
      };
      return info;
    },
    getAuthError(error) {
      const e = error as { status: number; error?: string; code: string };
      const headers: Record<string, string> = {};
      if (e.status === 401) headers['www-authenticate'] = challenge(e.error);
      if (e.status === 503) headers['retry-after'] = '5';
      return {
        status: e.status,
        headers,
        body: {
          error: e.error ?? (e.status === 503 ? 'temporarily_unavailable' : 'invalid_request'),
          error_description: e.code,
        },
      };
    },
    handleMetadataRequest() {
      return false;
    },
    async startAuthorizationFlow() {
      throw new Error('not configured');
    },
    async handleCallback() {
      throw new Error('not configured');
    },
    ...overrides,
  };
}

/**
 * Follows an authorization URL like a browser would (cookies, redirects) through the local
 * authorization server in non-interactive mode, until a redirect leaves it for `stopAt`.
 * Returns that final URL (the callback with `code`, `state`, `iss`).
 */
export async function followAuthorization(
  authorizationUrl: string,
  stopAt: string,
): Promise<string> {
  let location = authorizationUrl;
  const cookies = new Map<string, string>();
  for (let i = 0; i < 10 && !location.startsWith(stopAt); i++) {
    const res = await fetch(location, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const next = res.headers.get('location');
    if (next === null)
      throw new Error(`the authorization server answered ${res.status} without a redirect`);
    location = new URL(next, location).href;
  }
  if (!location.startsWith(stopAt)) throw new Error('too many redirects');
  return location;
}

/**
 * An SDK McpServer with a `whoami` tool answering the caller's subject, client and scopes from
 * `extra.authInfo`; every AuthInfo it sees is pushed to `received`.
 */
export function whoamiServer(received: unknown[] = []): McpServer {
  const server = new McpServer({ name: 'test', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling' }, async (extra) => {
    received.push(extra.authInfo);
    return {
      content: [
        {
          type: 'text',
          text: JSON.stringify({
            subject: extra.authInfo?.extra?.['subject'],
            clientId: extra.authInfo?.clientId,
            scopes: extra.authInfo?.scopes,
          }),
        },
      ],
    };
  });
  return server;
}
