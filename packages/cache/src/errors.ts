import { codeList, isCodedError } from '@mcp-auth/internal';
/**
 * Stable error codes of `@mcp-auth/cache`. Codes are API: check `err.code`, not `instanceof`
 * (two copies of the package can live in one application).
 *
 * - `ERR_CACHE_TIMEOUT`: the store did not answer within `commandTimeoutMs`, or a `getOrLoad`
 *   loader did not settle within `loadTimeoutMs` (operation `load`).
 * - `ERR_CACHE_UNAVAILABLE`: the store is not connected (down, reconnecting, or never reached).
 * - `ERR_CACHE_COMMAND_FAILED`: the store answered with an error (e.g. `GETDEL` on Redis < 6.2).
 * - `ERR_CACHE_INVALID_VALUE`: a stored value could not be decoded (not JSON written by this package).
 * - `ERR_CACHE_CLOSED`: the cache or store was used after `close()`.
 */
export type CacheErrorCode =
  | 'ERR_CACHE_TIMEOUT'
  | 'ERR_CACHE_UNAVAILABLE'
  | 'ERR_CACHE_COMMAND_FAILED'
  | 'ERR_CACHE_INVALID_VALUE'
  | 'ERR_CACHE_CLOSED';

// A record, so the compiler proves the list below names every code, and nothing else.
const CODES: Record<CacheErrorCode, true> = {
  ERR_CACHE_TIMEOUT: true,
  ERR_CACHE_UNAVAILABLE: true,
  ERR_CACHE_COMMAND_FAILED: true,
  ERR_CACHE_INVALID_VALUE: true,
  ERR_CACHE_CLOSED: true,
};

/**
 * Every {@link CacheErrorCode} (frozen), for exhaustive tables and tests. No other `@mcp-auth`
 * package uses any of these codes, so a code alone says which package failed.
 *
 * @example
 * ```ts
 * if (isCacheError(err)) metrics.count(err.code); // one of CACHE_ERROR_CODES
 * ```
 * @see https://redis.io/docs/latest/develop/reference/protocol-spec/#simple-errors
 */
export const CACHE_ERROR_CODES: readonly CacheErrorCode[] = codeList(CODES);

/** The cache operation that failed. */
export type CacheOperation = 'get' | 'set' | 'delete' | 'take' | 'clear' | 'close' | 'load';

/**
 * The one error class of `@mcp-auth/cache`. Messages never contain keys or values (a key may be
 * derived from a token); `cause` keeps the underlying store error for logs.
 *
 * @example
 * ```ts
 * try {
 *   const verifier = await pending.take(state);
 * } catch (err) {
 *   if ((err as CacheError).code === 'ERR_CACHE_TIMEOUT') {
 *     // the shared store is slow: fail the OAuth callback closed
 *   }
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12 (state must be single-use)
 */
export class CacheError extends Error {
  override readonly name = 'CacheError';
  readonly code: CacheErrorCode;
  readonly operation: CacheOperation;

  constructor(
    code: CacheErrorCode,
    operation: CacheOperation,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.operation = operation;
  }
}

/**
 * Whether `value` is a {@link CacheError}, also one thrown by another copy of this package
 * (duck-typed on `name` and a `code` of {@link CACHE_ERROR_CODES}, since `instanceof` fails across
 * copies). Check `code` after it.
 *
 * @example
 * ```ts
 * try {
 *   await cache.take(key);
 * } catch (err) {
 *   if (isCacheError(err) && err.code === 'ERR_CACHE_UNAVAILABLE') { … }
 *   else throw err;
 * }
 * ```
 * @see https://redis.io/docs/latest/commands/getdel/
 */
export function isCacheError(value: unknown): value is CacheError {
  return isCodedError(value, 'CacheError', CODES);
}
