import { discoverAuthorizationServer } from '@mcp-auth/discovery';
import type { ProviderDefinition } from './provider.js';

/** What {@link checkIssuerReachable} found. */
export interface IssuerCheck {
  ok: boolean;
  /** One line for the banner. */
  line: string;
}

/**
 * A start-up look at the configured authorization server, as MCP clients will see it: metadata
 * discovered in the MCP order, `issuer` equal to the configured one, S256 advertised (Cognito: the
 * known omission is accepted for this issuer only). Never fatal: the provider may be down for a
 * moment, and the server answers 503 until it is back. A typo in the issuer shows up here at once
 * instead of on the first request.
 *
 * @example
 * const check = await checkIssuerReachable(cognito, 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC');
 * console.log(check.line);
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export async function checkIssuerReachable(
  def: ProviderDefinition,
  issuer: string,
  o: { timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<IssuerCheck> {
  try {
    const found = await discoverAuthorizationServer(issuer, {
      cache: false,
      timeoutMs: o.timeoutMs ?? 5000,
      requirePkceS256: true,
      // Cognito omits code_challenge_methods_supported although S256 works (its README says so).
      ...(def.profile === 'cognito' ? { allowMissingPkceMetadata: true } : {}),
      allowInsecureHttpForLoopback: true,
      ...(o.fetch ? { fetch: o.fetch } : {}),
    });
    return { ok: true, line: `✓ metadata at ${found.url}` };
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e?.code === 'string' ? e.code : 'ERR_UNEXPECTED';
    const hint =
      code === 'ERR_PKCE_METADATA_MISSING' || code === 'ERR_PKCE_S256_UNSUPPORTED'
        ? ' (MCP clients will refuse this authorization server)'
        : ' (requests get 503 until it answers; check OAUTH_AUTHORIZATION_SERVER)';
    const message = typeof e?.message === 'string' ? e.message : String(err);
    return { ok: false, line: `! ${code}: ${message}${hint}` };
  }
}
