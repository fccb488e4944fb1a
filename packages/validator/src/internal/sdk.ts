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

/**
 * `requireBearerAuth` of the MCP SDK maps errors by class (`instanceof InvalidTokenError` → 401,
 * `InsufficientScopeError` → 403, other → 500). When the SDK is installed, the validator's errors
 * are rethrown as those classes (with `code`, `status` and `cause` kept); otherwise as they are.
 * The SDK has no 503: an unavailable authorization server becomes its `ServerError` (500).
 */
export async function toSdkError(err: unknown): Promise<never> {
  if (!isTokenValidationError(err)) throw err;
  const sdk = await loadSdkErrors();
  if (sdk === null) throw err;
  const e = err as TokenValidationError;
  const Ctor =
    e.status === 403
      ? sdk.InsufficientScopeError
      : e.status === 401
        ? sdk.InvalidTokenError
        : e.status === 400
          ? sdk.InvalidRequestError
          : sdk.ServerError;
  const mapped = new Ctor(e.message) as Error & Record<string, unknown>;
  mapped.code = e.code;
  mapped.status = e.status;
  if (e.requiredScopes) mapped.requiredScopes = e.requiredScopes;
  if (e.retryAfterSeconds !== undefined) mapped.retryAfterSeconds = e.retryAfterSeconds;
  mapped.cause = e;
  throw mapped;
}
