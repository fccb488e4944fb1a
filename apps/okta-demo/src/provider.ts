import type { ProviderDefinition } from '@mcp-auth/app-demo-kit';

const CUSTOM_AS_PATH = /^\/oauth2\/[A-Za-z0-9_-]+$/;

/**
 * Okta with a custom authorization server, as its access tokens really look:
 * - issuer `https://<org>/oauth2/<server id>` (`default` for the built-in custom server); the org
 *   authorization server (no `/oauth2/...`) issues tokens that only Okta itself may validate;
 * - both discovery documents under the issuer path; introspection available;
 * - scopes in an `scp` array; the client in `cid`; `aud` is the server's "Audience" setting
 *   (`api://default` unless changed: set it to this server's resource URI).
 */
export const okta: ProviderDefinition = {
  profile: 'okta',
  appName: 'okta-demo',
  displayName: 'Okta',
  defaultRequiredScopes: ['mcp.tools'],
  defaultStepUpScope: 'mcp.admin',
  defaultPort: 3003,
  issuerExample: 'https://dev-123456.okta.com/oauth2/default',
  resourceExample: 'https://mcp.example.com/mcp',
  noOtherResourceCheck:
    'an Okta authorization server gives every token its one audience, whatever resource is asked for: one authorization server per protected resource',
  checkIssuer(issuer) {
    if (!CUSTOM_AS_PATH.test(issuer.pathname)) {
      return 'OAUTH_AUTHORIZATION_SERVER must be an Okta custom authorization server issuer, e.g. https://dev-123456.okta.com/oauth2/default (the org authorization server does not issue tokens for your APIs)';
    }
    return undefined;
  },
  emulation: {
    issuerPath: '/oauth2/default',
    audience: 'api://default',
    notes: [
      'issuer like https://<org>.okta.com/oauth2/default',
      'both discovery documents (RFC 8414 and OpenID) under the issuer path; introspection enabled',
      'access tokens: scp array, cid, uid, aud api://default (the default Audience, whatever resource is asked for)',
      'api://default is accepted here explicitly (as OAUTH_AUDIENCE=api://default would); with a real org, prefer setting the Audience to OAUTH_RESOURCE_URI',
    ],
  },
  highlightClaims: ['scp', 'cid', 'uid', 'aud', 'ver'],
};
