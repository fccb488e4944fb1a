/**
 * Why a request body could not be read. Thrown by body readers (`readBody` of a
 * {@link GateRequest}); the gate answers 413, 408 or 400. Check `code`, not `instanceof`.
 */
export type BodyReadErrorCode =
  /** Larger than `maxBodyBytes` (or a `Content-Length` that says so). 413. */
  | 'ERR_BODY_TOO_LARGE'
  /** The body did not arrive within the timeout. 408. */
  | 'ERR_BODY_TIMEOUT'
  /** The client went away, the stream failed, or `Content-Length` is not a number. 400. */
  | 'ERR_BODY_ABORTED';

/**
 * The error a body reader throws. `message` never contains body bytes.
 *
 * @example
 * ```ts
 * throw new BodyReadError('ERR_BODY_TOO_LARGE', 'The body is larger than 1048576 bytes');
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14
 */
export class BodyReadError extends Error {
  override readonly name = 'BodyReadError';
  readonly code: BodyReadErrorCode;
  constructor(code: BodyReadErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Whether `value` is a {@link BodyReadError} (duck-typed, so two copies of the package agree).
 *
 * @example
 * ```ts
 * if (isBodyReadError(err) && err.code === 'ERR_BODY_TOO_LARGE') res.writeHead(413).end();
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14
 */
export function isBodyReadError(value: unknown): value is BodyReadError {
  return (
    value instanceof Error &&
    (value as { name?: unknown }).name === 'BodyReadError' &&
    ['ERR_BODY_TOO_LARGE', 'ERR_BODY_TIMEOUT', 'ERR_BODY_ABORTED'].includes(
      (value as { code?: unknown }).code as string,
    )
  );
}
