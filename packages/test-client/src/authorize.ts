import type { ProbeResponse } from './internal/http.js';
import { AuthSession, type ClientIdentity, type DiscoveredMetadata } from './internal/session.js';
import type { AuthorizeOptions, TokenSet } from './options.js';
import type { Report } from './report.js';

export type { ClientIdentity, ClientSource, DiscoveredMetadata } from './internal/session.js';
export { MAX_AUTHORIZATION_ATTEMPTS } from './internal/session.js';

/** What {@link authorize} returns. */
export interface AuthorizeResult {
  tokens: TokenSet;
  metadata: DiscoveredMetadata;
  client: ClientIdentity;
  /** The scopes asked for. */
  scopes: string[];
  report: Report;
}

/**
 * Runs the MCP authorization flow against `serverUrl` and returns the tokens: a request without a
 * token (401 and its challenge), protected resource metadata (RFC 9728), authorization server
 * metadata (RFC 8414 / OIDC, in the MCP order, S256 required), the client identity (pre-registered,
 * Client ID Metadata Document, or dynamic registration), the scope, an authorization request with
 * PKCE S256, `state` and `resource` to a loopback redirect listener, the checks of `state` and `iss`,
 * and the token request with `code_verifier`, `redirect_uri` and `resource`. With `refresh`, a refresh
 * token grant too.
 *
 * Throws a {@link TestClientError} when a step fails; every step (failed ones too) is in the
 * `report` you pass (or in `result.report`).
 *
 * @example
 * ```ts
 * import { authorize } from '@mcp-auth/test-client';
 *
 * const { tokens, metadata } = await authorize('http://127.0.0.1:3000/mcp', {
 *   nonInteractive: true, // the local authorization server approves without a login page
 * });
 * console.log(metadata.resource, tokens.scope);
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2 (resource in both requests)
 */
export async function authorize(
  serverUrl: string | URL,
  options: AuthorizeOptions = {},
): Promise<AuthorizeResult> {
  const session = new AuthSession(serverUrl, options);
  try {
    await obtainTokens(session, { lazy: false });
    return {
      tokens: session.tokens!,
      metadata: session.metadata!,
      client: session.client!,
      scopes: session.scopes,
      report: session.report,
    };
  } finally {
    await session.close();
  }
}

/**
 * Probe, discovery and the first authorization. With `lazy`, a server that answers the first
 * request without a 401 gets no authorization yet: the transport's fetch authorizes when a 401 comes.
 */
export async function obtainTokens(
  session: AuthSession,
  o: { lazy: boolean; probe?: ProbeResponse | undefined },
): Promise<void> {
  const probe = o.probe ?? (await session.probe({ requireChallenge: !o.lazy }));
  if (probe.status !== 401 && o.lazy) return;
  await session.discover(probe.challenge);
  let tokens = await session.loadStoredTokens();
  if (!tokens && session.tokens?.refreshToken) {
    tokens = await session.refresh({ required: true }).catch(() => undefined);
  }
  if (!tokens) {
    await session.authorizeOnce({ challengeScope: probe.challenge?.params.scope });
  }
  if (session.options.refresh) await session.refresh({ required: true });
}
