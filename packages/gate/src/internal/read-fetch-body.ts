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
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BodyReadError('ERR_BODY_TIMEOUT', 'The body did not arrive in time')),
      timeoutMs,
    );
  });
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await Promise.race([reader.read(), timeout]);
      } catch (err) {
        if (err instanceof BodyReadError) throw err;
        throw new BodyReadError('ERR_BODY_ABORTED', 'The body stream failed');
      }
      if (chunk.done) break;
      size += chunk.value.byteLength;
      if (size > maxBytes) {
        throw new BodyReadError('ERR_BODY_TOO_LARGE', `The body is larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk.value);
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
