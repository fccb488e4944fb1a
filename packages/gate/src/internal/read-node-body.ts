import type { IncomingMessage } from 'node:http';
import { BodyReadError } from '../errors.js';

/**
 * Reads a node request body, at most `maxBytes` (a larger `Content-Length` is refused before
 * reading), within `timeoutMs` from the call (a slow sender cannot hold the request open).
 */
export function readNodeBody(
  req: IncomingMessage,
  maxBytes: number,
  timeoutMs: number,
): Promise<Uint8Array> {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    if (!/^\d{1,15}$/.test(declared)) {
      return Promise.reject(new BodyReadError('ERR_BODY_ABORTED', 'Invalid Content-Length'));
    }
    if (Number(declared) > maxBytes) {
      return Promise.reject(
        new BodyReadError('ERR_BODY_TOO_LARGE', `The body is larger than ${maxBytes} bytes`),
      );
    }
  }
  if (req.readableEnded) {
    return Promise.reject(new BodyReadError('ERR_BODY_ABORTED', 'The body was already consumed'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: BodyReadError | undefined): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (error !== undefined) {
        // Stop buffering; whatever else arrives is discarded.
        req.resume();
        reject(error);
      } else {
        resolve(new Uint8Array(Buffer.concat(chunks, size)));
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        finish(
          new BodyReadError('ERR_BODY_TOO_LARGE', `The body is larger than ${maxBytes} bytes`),
        );
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (): void =>
      finish(new BodyReadError('ERR_BODY_ABORTED', 'The body stream failed'));
    const onAborted = (): void =>
      finish(new BodyReadError('ERR_BODY_ABORTED', 'The client went away'));
    const timer = setTimeout(
      () => finish(new BodyReadError('ERR_BODY_TIMEOUT', 'The body did not arrive in time')),
      timeoutMs,
    );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
