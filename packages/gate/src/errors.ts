import { codeList, isCodedError } from '@mcp-auth/internal';
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

// A record, so the compiler proves the list below names every code, and nothing else.
const CODES: Record<BodyReadErrorCode, true> = {
  ERR_BODY_TOO_LARGE: true,
  ERR_BODY_TIMEOUT: true,
  ERR_BODY_ABORTED: true,
};

/**
 * Every {@link BodyReadErrorCode} (frozen), for exhaustive tables and tests. No other `@mcp-auth`
 * package uses any of these codes, so a code alone says which package failed.
 *
 * @example
 * ```ts
 * if (isBodyReadError(err)) metrics.count(err.code); // one of BODY_READ_ERROR_CODES
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14
 */
export const BODY_READ_ERROR_CODES: readonly BodyReadErrorCode[] = codeList(CODES);

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
 * Whether `value` is a {@link BodyReadError}: its `name` and a `code` of {@link BODY_READ_ERROR_CODES}
 * (duck-typed, so two copies of the package agree).
 *
 * @example
 * ```ts
 * if (isBodyReadError(err) && err.code === 'ERR_BODY_TOO_LARGE') res.writeHead(413).end();
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14
 */
export function isBodyReadError(value: unknown): value is BodyReadError {
  return isCodedError(value, 'BodyReadError', CODES);
}
