import { isTokenValidationError, type TokenValidationError } from '../errors.js';

/** The MCP SDK's error classes we map onto (`@modelcontextprotocol/sdk/server/auth/errors.js`). */
interface SdkErrors {
  InvalidTokenError: new (message: string) => Error;
  InsufficientScopeError: new (message: string) => Error;
  InvalidRequestError: new (message: string) => Error;
  ServerError: new (message: string) => Error;
}

let sdkErrors: Promise<SdkErrors | null> | undefined;

/** Defined by the build (tsup `define`): true in the CommonJS output, false in the ES output. */
declare const __MCP_AUTH_CJS__: boolean | undefined;

// A variable specifier keeps bundlers from inlining the optional peer dependency.
const SDK_ERRORS_MODULE = '@modelcontextprotocol/sdk/server/auth/errors.js';

function loadSdkErrors(): Promise<SdkErrors | null> {
  if (sdkErrors === undefined) {
    const usable = (m: SdkErrors) => (typeof m?.InvalidTokenError === 'function' ? m : null);
    // Match the caller's module system: the CommonJS build requires the SDK's CommonJS classes,
    // the ES build imports its ES classes, so `instanceof` in requireBearerAuth holds.
    if (typeof __MCP_AUTH_CJS__ !== 'undefined' && __MCP_AUTH_CJS__) {
      try {
        sdkErrors = Promise.resolve(usable(require(SDK_ERRORS_MODULE) as SdkErrors));
      } catch {
        sdkErrors = Promise.resolve(null);
      }
    } else {
      sdkErrors = import(/* @vite-ignore */ SDK_ERRORS_MODULE).then(usable, () => null);
    }
  }
  return sdkErrors;
}

/** The v2 SDK's error class (`@modelcontextprotocol/server`), matched by code and brand. */
type V2OAuthError = new (code: string, message: string) => Error;

let v2OAuthError: Promise<V2OAuthError | null> | undefined;

// A variable specifier keeps bundlers from inlining the optional peer dependency.
const SDK_V2_MODULE = '@modelcontextprotocol/server';

function loadV2OAuthError(): Promise<V2OAuthError | null> {
  v2OAuthError ??= import(/* @vite-ignore */ SDK_V2_MODULE).then(
    (m: { OAuthError?: unknown }) =>
      typeof m?.OAuthError === 'function' ? (m.OAuthError as V2OAuthError) : null,
    () => null,
  );
  return v2OAuthError;
}

/**
 * The v2 SDK recognises its `OAuthError` by a brand under this global symbol (so errors cross
 * bundle copies); stamping it lets one error serve both SDK lines.
 */
const V2_BRANDS = Symbol.for('mcp.sdk.errorBrands');

/** The OAuth `error` code an SDK answers with, by the validator's HTTP status. */
function oauthCodeOf(status: number): string {
  if (status === 403) return 'insufficient_scope';
  if (status === 401) return 'invalid_token';
  if (status === 400) return 'invalid_request';
  return 'server_error';
}

/**
 * Rethrows a validator error the way the MCP SDK's `requireBearerAuth` understands, for both SDK
 * lines at once:
 * - v1 (`@modelcontextprotocol/sdk`) maps by class: `InvalidTokenError` → 401,
 *   `InsufficientScopeError` → 403, other → 500. When it is installed, the error is an instance of
 *   the matching class (its CommonJS classes from the CommonJS build).
 * - v2 (`@modelcontextprotocol/server`) maps an `OAuthError` by its `code` (`invalid_token` → 401,
 *   `insufficient_scope` → 403, `server_error` → 500, other → 400): the error carries the v2 brand
 *   and `code` is that OAuth code.
 * Either way `validationCode` keeps the validator's stable code (`ERR_…`), with `status`,
 * `requiredScopes`, `retryAfterSeconds` and `cause` (the `TokenValidationError`). With neither SDK
 * installed the `TokenValidationError` itself is thrown. The SDKs have no 503: an unavailable
 * authorization server becomes `server_error` (500).
 */
export async function toSdkError(err: unknown): Promise<never> {
  if (!isTokenValidationError(err)) throw err;
  const e = err as TokenValidationError;
  const [v1, v2] = await Promise.all([loadSdkErrors(), loadV2OAuthError()]);
  if (v1 === null && v2 === null) throw err;
  const code = oauthCodeOf(e.status);
  let mapped: Error & Record<string | symbol, unknown>;
  if (v1 !== null) {
    const Ctor =
      e.status === 403
        ? v1.InsufficientScopeError
        : e.status === 401
          ? v1.InvalidTokenError
          : e.status === 400
            ? v1.InvalidRequestError
            : v1.ServerError;
    mapped = new Ctor(e.message) as Error & Record<string | symbol, unknown>;
    Object.defineProperty(mapped, V2_BRANDS, {
      value: new Set(['mcp.OAuthError']),
      enumerable: false,
      configurable: true,
    });
  } else {
    mapped = new v2!(code, e.message) as Error & Record<string | symbol, unknown>;
  }
  mapped.code = code;
  mapped.validationCode = e.code;
  mapped.status = e.status;
  if (e.requiredScopes) mapped.requiredScopes = e.requiredScopes;
  if (e.retryAfterSeconds !== undefined) mapped.retryAfterSeconds = e.retryAfterSeconds;
  mapped.cause = e;
  throw mapped;
}
