import * as oauth from 'oauth4webapi';
import { isTestClientError, TestClientError } from '../errors.js';

/** Token and registration responses are small: a hostile server cannot make us buffer more. */
export const MAX_OAUTH_RESPONSE_BYTES = 1024 * 1024;

/**
 * The {@link TestClientError} for a failed OAuth request made with oauth4webapi: the OAuth `error` of
 * an error response; our own failure (a body over the limit) rather than the wrapper around it.
 */
export function oauthFailure(
  code: 'ERR_REGISTRATION_FAILED' | 'ERR_TOKEN_REQUEST_FAILED' | 'ERR_REFRESH_FAILED',
  what: string,
  err: unknown,
  url: string | undefined,
): TestClientError {
  if (isTestClientError(err)) return err;
  // Our own failure (a body over the limit) wrapped by oauth4webapi: report it, not the wrapper.
  let inner: unknown = (err as { cause?: unknown })?.cause;
  for (let depth = 0; inner && depth < 5; depth++) {
    if (isTestClientError(inner)) {
      return new TestClientError(code, `${what}: ${inner.message}`, {
        ...(url ? { url } : {}),
        cause: err,
      });
    }
    inner = (inner as { cause?: unknown }).cause;
  }
  if (err instanceof oauth.ResponseBodyError) {
    return new TestClientError(
      code,
      `${what}: ${err.status} error=${err.error}${err.error_description ? ` (${err.error_description})` : ''}`,
      {
        status: err.status,
        oauthError: err.error,
        ...(err.error_description ? { oauthErrorDescription: err.error_description } : {}),
        ...(url ? { url } : {}),
        cause: err,
      },
    );
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return new TestClientError('ERR_AUTHORIZATION_ERROR', `${what}: error=${err.error}`, {
      oauthError: err.error,
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TestClientError(code, `${what}: ${message}`, { ...(url ? { url } : {}), cause: err });
}

/** At most `max` bytes of a body as text (for reports: a partial page is enough). */
export async function readLimited(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size >= max) {
        await reader.cancel().catch(() => {});
        break;
      }
    }
  } catch {
    // a partial page is enough for a report
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, max));
}

/** The same response, whose body errors once it passes `max` bytes. */
export function limitBody(res: Response, max: number): Response {
  if (!res.body) return res;
  let size = 0;
  const limited = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > max) {
          controller.error(
            new TestClientError('ERR_REQUEST_FAILED', `The response is larger than ${max} bytes`),
          );
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return new Response(limited, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}

/** The text of an HTML page, roughly (for reports). */
export function stripTags(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]*>/g, ' ');
}
