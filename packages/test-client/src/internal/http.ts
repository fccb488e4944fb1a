import { parseWwwAuthenticate } from '@mcp-auth/discovery';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { TestClientError } from '../errors.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The `Bearer` challenge of a response, with lower-cased parameter names. */
export interface BearerChallenge {
  params: Record<string, string>;
  raw: string;
}

/**
 * Parses the `Bearer` challenge (or another scheme's, e.g. `dpop`) out of a `WWW-Authenticate`
 * header; undefined when there is none.
 */
export function bearerChallenge(
  header: string | null,
  scheme = 'bearer',
): BearerChallenge | undefined {
  if (!header) return undefined;
  let challenges: { scheme: string; params: Record<string, string> }[];
  try {
    challenges = parseWwwAuthenticate(header);
  } catch {
    return undefined;
  }
  const bearer = challenges.find((c) => c.scheme.toLowerCase() === scheme);
  return bearer ? { params: { ...bearer.params }, raw: header } : undefined;
}

/** What a probe request saw. */
export interface ProbeResponse {
  method: 'GET' | 'POST';
  url: string;
  status: number;
  headers: Headers;
  challenge?: BearerChallenge;
}

export type ProbeKind = 'post' | 'get';

export interface ProbeOptions {
  fetch: FetchLike;
  token?: string;
  /** Put the token in the `access_token` query parameter instead of the header (a conformance check). */
  tokenInQuery?: boolean;
  origin?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export const CLIENT_INFO = { name: 'mcp-auth-test-client', version: '0.1.0' } as const;

/**
 * One MCP request as a client's first request looks: a Streamable HTTP `initialize` POST, or the SSE
 * transport's `GET` that opens the stream. The body is never read (an SSE stream never ends).
 */
export async function probe(
  serverUrl: string,
  kind: ProbeKind,
  o: ProbeOptions,
): Promise<ProbeResponse> {
  const url = new URL(serverUrl);
  if (o.token && o.tokenInQuery) url.searchParams.set('access_token', o.token);
  const headers = new Headers();
  if (o.token && !o.tokenInQuery) headers.set('Authorization', `Bearer ${o.token}`);
  if (o.origin) headers.set('Origin', o.origin);
  const init: RequestInit = {
    method: kind === 'post' ? 'POST' : 'GET',
    headers,
    redirect: 'manual',
  };
  if (kind === 'post') {
    headers.set('Content-Type', 'application/json');
    headers.set('Accept', 'application/json, text/event-stream');
    init.body = JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: CLIENT_INFO,
      },
    });
  } else {
    headers.set('Accept', 'text/event-stream');
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), o.timeoutMs);
  const onAbort = (): void => controller.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  init.signal = controller.signal;
  let response: Response;
  try {
    response = await o.fetch(url.href, init);
  } catch (err) {
    if (o.signal?.aborted) {
      throw new TestClientError('ERR_INTERRUPTED', `${init.method} ${serverUrl} was aborted`, {
        url: serverUrl,
        cause: err,
      });
    }
    throw new TestClientError(
      'ERR_REQUEST_FAILED',
      controller.signal.aborted
        ? `${init.method} ${serverUrl} timed out after ${o.timeoutMs} ms`
        : `${init.method} ${serverUrl} failed: ${networkReason(err)}`,
      { url: serverUrl, cause: err },
    );
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
  // Never wait for the body: an SSE stream stays open.
  response.body?.cancel().catch(() => {});
  controller.abort();
  const challenge = bearerChallenge(response.headers.get('www-authenticate'));
  return {
    method: init.method as 'GET' | 'POST',
    url: serverUrl,
    status: response.status,
    headers: response.headers,
    ...(challenge ? { challenge } : {}),
  };
}

/** `ECONNREFUSED` rather than undici's bare "fetch failed". */
export function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** Status codes that mean "this is not the transport this endpoint speaks". */
export const WRONG_TRANSPORT_STATUSES = new Set([400, 404, 405, 406, 415]);

/** A minimal cookie jar for the non-interactive flow (name=value per host; enough for login sessions). */
export class CookieJar {
  readonly #cookies = new Map<string, Map<string, string>>();

  store(url: string, headers: Headers): void {
    const host = new URL(url).host;
    const setCookies = typeof headers.getSetCookie === 'function' ? headers.getSetCookie() : [];
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';');
      if (!pair) continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let jar = this.#cookies.get(host);
      if (!jar) {
        jar = new Map();
        this.#cookies.set(host, jar);
      }
      const expired = attrs.some((a) => {
        const [k, v] = a.split('=').map((s) => s.trim().toLowerCase());
        if (k === 'max-age') return Number(v) <= 0;
        if (k === 'expires' && v) return Date.parse(v) < Date.now();
        return false;
      });
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
  }

  header(url: string): string | undefined {
    const jar = this.#cookies.get(new URL(url).host);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** Same origin and same path: the `Location` points at our redirect URI. */
export function isRedirectTo(location: URL, redirectUri: string): boolean {
  const target = new URL(redirectUri);
  return location.origin === target.origin && location.pathname === target.pathname;
}

/** The first `max` characters of a text, for reports. */
export function snippet(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
