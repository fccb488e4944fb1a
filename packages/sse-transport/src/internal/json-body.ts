import type { IncomingMessage } from 'node:http';
import { parseJsonContentType, readBody } from './http.js';

/** Why a JSON body could not be read: the status and OAuth-style error to answer with. */
export interface BodyFailure {
  ok: false;
  status: 400 | 408 | 413 | 415 | 500;
  /** `'parse'` when the body arrived but is not JSON (JSON-RPC endpoints answer -32700). */
  kind: 'content-type' | 'too-large' | 'bad-length' | 'timeout' | 'consumed' | 'parse' | 'aborted';
  description: string;
}

export type JsonBodyResult = { ok: true; value: unknown } | BodyFailure;

/**
 * Checks the `Content-Type` and reads a JSON request body of at most `maxBytes` within
 * `timeoutMs`, or takes the body a parser mounted before us (`express.json()`) left on `req.body`.
 */
export async function readJsonBody(
  req: IncomingMessage,
  maxBytes: number,
  timeoutMs: number,
): Promise<JsonBodyResult> {
  if (!parseJsonContentType(req.headers['content-type']).ok) {
    return fail(415, 'content-type', 'Content-Type must be application/json (UTF-8)');
  }
  const parsedBefore = (req as IncomingMessage & { body?: unknown }).body;
  if (req.readableEnded && parsedBefore !== undefined) {
    // Mounted behind a body parser: it enforced its own size limit.
    if (typeof parsedBefore !== 'string' && !Buffer.isBuffer(parsedBefore)) {
      return { ok: true, value: parsedBefore };
    }
    return parse(parsedBefore.toString());
  }
  const read = await readBody(req, maxBytes, timeoutMs);
  if (read.ok) return parse(read.body.toString('utf8'));
  switch (read.reason) {
    case 'too-large':
      return fail(413, 'too-large', `The message is larger than ${maxBytes} bytes`);
    case 'bad-length':
      return fail(400, 'bad-length', 'Invalid Content-Length');
    case 'timeout':
      return fail(408, 'timeout', 'The message body did not arrive in time');
    case 'consumed':
      return fail(500, 'consumed', 'The request body was consumed before this handler');
    default:
      return fail(400, 'aborted', 'The request was aborted');
  }
}

function parse(text: string): JsonBodyResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return fail(400, 'parse', 'The body is not valid JSON');
  }
}

function fail(
  status: BodyFailure['status'],
  kind: BodyFailure['kind'],
  description: string,
): BodyFailure {
  return { ok: false, status, kind, description };
}
