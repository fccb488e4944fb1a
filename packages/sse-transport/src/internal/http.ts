import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** A response rendered by the library: status, headers and a JSON body. */
export interface RenderedResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string } & Record<string, unknown>;
}

/** Writes a JSON body, unless the response has already started. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  if (res.headersSent || res.writableEnded) {
    if (!res.writableEnded) res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(payload);
}

/** `{ error, error_description }` with a status. */
export function sendError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers: OutgoingHttpHeaders = {},
): void {
  sendJson(res, status, { error, error_description: description }, headers);
}

/** Whether the request announces a body (a length above zero, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

export type ReadBodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; reason: 'too-large' | 'aborted' | 'bad-length' | 'timeout' | 'consumed' };

/**
 * Reads a request body of at most `maxBytes` within `timeoutMs`. Refuses early on a larger
 * `Content-Length`, and stops reading as soon as a chunked body passes the limit.
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  timeoutMs: number,
): Promise<ReadBodyResult> {
  // Someone (a body parser mounted before us) already read the stream: it will never end again.
  if (req.readableEnded) return Promise.resolve({ ok: false, reason: 'consumed' });
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    if (!/^\d{1,16}$/.test(declared)) return Promise.resolve({ ok: false, reason: 'bad-length' });
    if (Number(declared) > maxBytes) return Promise.resolve({ ok: false, reason: 'too-large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout' }), timeoutMs);
    const finish = (result: ReadBodyResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        finish({ ok: false, reason: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () =>
      finish({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    const onError = () => finish({ ok: false, reason: 'aborted' });
    const onClose = () => {
      if (!req.complete) finish({ ok: false, reason: 'aborted' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Parses a `Content-Type` header: whether it is `application/json` with no charset or UTF-8.
 */
export function parseJsonContentType(
  header: string | undefined,
): { ok: true } | { ok: false; reason: 'missing' | 'type' | 'charset' } {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const [type = '', ...params] = header.split(';');
  const mediaType = type.trim().toLowerCase();
  if (mediaType !== 'application/json') return { ok: false, reason: 'type' };
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq === -1) continue;
    const name = param.slice(0, eq).trim().toLowerCase();
    if (name !== 'charset') continue;
    const value = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (value !== 'utf-8' && value !== 'utf8') return { ok: false, reason: 'charset' };
  }
  return { ok: true };
}

/** The path of a request (without the query), or undefined when the target is not origin-form. */
export function requestPath(url: string): string | undefined {
  if (url.charCodeAt(0) !== 47 /* / */) return undefined;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** The query string of a request target, or ''. */
export function requestQuery(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? '' : url.slice(q + 1);
}
