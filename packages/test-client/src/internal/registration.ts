import { TestClientError } from '../errors.js';
import type { TokenEndpointAuthMethod } from '../options.js';

/** What a dynamic client registration response gave us, checked. */
export interface RegisteredClient {
  clientId: string;
  clientSecret?: string;
  /** Seconds since the epoch; 0 means the secret does not expire (RFC 7591 §3.2.1). */
  clientSecretExpiresAt: number;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  registrationAccessToken?: string;
  /** The redirect URIs the server registered, when it echoed them. */
  redirectUris?: string[];
}

const USABLE_METHODS = new Set<string>(['none', 'client_secret_basic', 'client_secret_post']);

function fail(message: string, details: { status?: number; oauthError?: string } = {}): never {
  throw new TestClientError(
    'ERR_REGISTRATION_FAILED',
    `Dynamic client registration failed: ${message}`,
    details,
  );
}

/**
 * Checks a dynamic client registration response (RFC 7591 §3.2), lenient where real servers vary and
 * strict where the flow's safety depends on it.
 *
 * Lenient (why we do not use oauth4webapi's `processDynamicClientRegistrationResponse`, which refuses
 * the first two): a `client_secret` without `client_secret_expires_at` (or with `null`) is a secret
 * that does not expire; `200 OK` is accepted as well as `201 Created`; a JSON body served with
 * another content type is read; `client_secret: null` or `""` is no secret; an expiry written as a
 * string of digits is read as the number.
 *
 * Strict: no `client_id` (or not a non-empty string), a `client_secret` that is not a non-empty string,
 * a `client_secret_expires_at` that is not a non-negative integer or lies in the past (the secret is
 * already dead), a `token_endpoint_auth_method` this client cannot perform, or one that needs a secret
 * without a secret: each is refused with `ERR_REGISTRATION_FAILED`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1
 */
export async function processRegistrationResponse(
  response: Response,
  nowSeconds: number,
): Promise<RegisteredClient> {
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw new TestClientError(
      'ERR_REGISTRATION_FAILED',
      `Dynamic client registration failed: ${err instanceof Error ? err.message : String(err)}`,
      { status: response.status, cause: err },
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const json =
    body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  if (response.status !== 200 && response.status !== 201) {
    const error = typeof json?.error === 'string' ? json.error : undefined;
    const description =
      typeof json?.error_description === 'string' ? json.error_description : undefined;
    fail(
      `${response.status}${error ? ` error=${error}` : ''}${description ? ` (${description})` : ''}`,
      { status: response.status, ...(error ? { oauthError: error } : {}) },
    );
  }
  if (!json) fail('the response body is not a JSON object', { status: response.status });
  const clientId = json.client_id;
  if (typeof clientId !== 'string' || clientId.length === 0) {
    fail('the response has no client_id', { status: response.status });
  }
  // null and "" mean "no secret" in what public-client registrations of real servers return.
  const secret =
    json.client_secret === null || json.client_secret === '' ? undefined : json.client_secret;
  if (secret !== undefined && typeof secret !== 'string') {
    fail('client_secret must be a non-empty string');
  }
  const expiresAt = readExpiresAt(json.client_secret_expires_at);
  if (expiresAt === undefined) {
    fail('client_secret_expires_at must be a non-negative integer (0: does not expire)');
  }
  if (secret !== undefined && expiresAt !== 0 && expiresAt <= nowSeconds) {
    fail(`the client_secret expired at ${new Date(expiresAt * 1000).toISOString()}`);
  }
  const declared = json.token_endpoint_auth_method ?? undefined;
  if (declared !== undefined && (typeof declared !== 'string' || !USABLE_METHODS.has(declared))) {
    fail(
      `token_endpoint_auth_method ${JSON.stringify(declared)} is not one this client performs (none, client_secret_basic, client_secret_post)`,
    );
  }
  // RFC 7591 §2: the default is client_secret_basic; a server that returns no secret means none.
  const method =
    (declared as TokenEndpointAuthMethod | undefined) ?? (secret ? 'client_secret_basic' : 'none');
  if (method !== 'none' && secret === undefined) {
    fail(`token_endpoint_auth_method ${method} without a client_secret`);
  }
  const rat = json.registration_access_token;
  const uris = json.redirect_uris;
  return {
    clientId,
    ...(secret !== undefined ? { clientSecret: secret as string } : {}),
    clientSecretExpiresAt: expiresAt,
    tokenEndpointAuthMethod: method,
    ...(typeof rat === 'string' ? { registrationAccessToken: rat } : {}),
    ...(Array.isArray(uris) && uris.every((u) => typeof u === 'string')
      ? { redirectUris: uris as string[] }
      : {}),
  };
}

/** Absent or null: 0 (does not expire). A non-negative integer, or one written as a string of digits. */
function readExpiresAt(value: unknown): number | undefined {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'string' && /^\d{1,12}$/.test(value)) return Number(value);
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  return undefined;
}
