import { readAtMost } from '@mcp-auth/internal';
import { BodyReadError } from '../errors.js';

/**
 * Reads a Fetch `Request` body, at most `maxBytes` (a larger `Content-Length` is refused before
 * reading), within `timeoutMs`.
 */
export async function readFetchBody(
  request: Request,
  maxBytes: number,
  timeoutMs: number,
): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    if (!/^\d{1,15}$/.test(declared)) {
      throw new BodyReadError('ERR_BODY_ABORTED', 'Invalid Content-Length');
    }
    if (Number(declared) > maxBytes) {
      throw new BodyReadError('ERR_BODY_TOO_LARGE', `The body is larger than ${maxBytes} bytes`);
    }
  }
  if (request.body === null) return new Uint8Array(0);
  if (request.bodyUsed)
    throw new BodyReadError('ERR_BODY_ABORTED', 'The body was already consumed');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BodyReadError('ERR_BODY_TIMEOUT', 'The body did not arrive in time')),
      timeoutMs,
    );
  });
  try {
    return await readAtMost(request.body, maxBytes, {
      stop: timeout,
      tooLarge: () =>
        new BodyReadError('ERR_BODY_TOO_LARGE', `The body is larger than ${maxBytes} bytes`),
      readFailed: (err) =>
        err instanceof BodyReadError
          ? err
          : new BodyReadError('ERR_BODY_ABORTED', 'The body stream failed'),
    });
  } finally {
    clearTimeout(timer);
  }
}
