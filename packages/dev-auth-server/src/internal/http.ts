import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Small node:http helpers of the server's front: bounded form reading, responses, secrets. */

const MAX_FORM_BYTES = 8 * 1024;

/** A random secret (32 bytes, base64url). */
export function secret(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time string comparison. */
export function equalStrings(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The path of a request target, without its query; what a log line may show of a URL. */
export function pathOnly(target: string | undefined): string {
  const raw = target ?? '/';
  const end = raw.search(/[?#]/);
  return (end < 0 ? raw : raw.slice(0, end)).slice(0, 200);
}

/** Reads an urlencoded form of at most 8 KiB; rejects a larger one (and drains it). */
export function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_FORM_BYTES) {
      req.resume();
      reject(new Error('form too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        // Stop buffering but drain the rest, so the 413 reaches the browser.
        req.removeAllListeners('data');
        req.resume();
        reject(new Error('form too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy':
      // No form-action: browsers apply it to the redirects after a form post, which end at the
      // client's redirect URI (any origin).
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  });
  res.end(html);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Listens on `host:port`; resolves with the port taken. */
export function listen(srv: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => {
      srv.off('error', reject);
      resolve((srv.address() as AddressInfo).port);
    });
  });
}

export function close(srv: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    srv.close(() => resolve());
  });
}
