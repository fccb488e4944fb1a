import type { ProviderDefinition } from '@mcp-auth/app-demo-kit';

// Cognito user pool issuers: https://cognito-idp.<region>.amazonaws.com/<region>_<id>.
const COGNITO_ISSUER_HOST = /^cognito-idp\.([a-z0-9-]+)\.amazonaws\.com$/;
const POOL_ID = /^\/([a-z0-9-]+)_[A-Za-z0-9]+$/;

/**
 * Amazon Cognito, as its access tokens really look:
 * - no `aud` claim (resource indicators exist only on paid tiers), so the server binds tokens to
 *   the app client ids it trusts (`client_id` claim) instead of an audience;
 * - `token_use: "access"`, `scope` as a space-separated string, custom scopes named
 *   `<resource server identifier>/<scope>`;
 * - OpenID discovery only, and its metadata omits `code_challenge_methods_supported` although
 *   S256 works: clients need an explicit per-issuer override;
 * - no dynamic client registration.
 */
export const cognito: ProviderDefinition = {
  profile: 'cognito',
  appName: 'cognito-demo',
  displayName: 'Amazon Cognito',
  defaultRequiredScopes: ['mcp/tools'],
  defaultStepUpScope: 'mcp/admin',
  defaultPort: 3001,
  issuerExample: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123',
  resourceExample: 'https://mcp.example.com/mcp',
  requiresAllowedClientIds: true,
  noOtherResourceCheck:
    'Cognito access tokens carry no audience: tokens are bound by client id (OAUTH_ALLOWED_CLIENT_IDS) instead',
  checkIssuer(issuer) {
    // The most common mistake: the hosted UI / managed login domain is not the issuer.
    if (issuer.hostname.endsWith('.amazoncognito.com')) {
      return 'OAUTH_AUTHORIZATION_SERVER is the Cognito domain (…amazoncognito.com), not the issuer: use https://cognito-idp.<region>.amazonaws.com/<user pool id>, e.g. https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123';
    }
    const host = COGNITO_ISSUER_HOST.exec(issuer.hostname);
    if (host) {
      const pool = POOL_ID.exec(issuer.pathname);
      if (!pool || pool[1] !== host[1]) {
        return `OAUTH_AUTHORIZATION_SERVER must end with the user pool id of region ${host[1]}, e.g. https://cognito-idp.${host[1]}.amazonaws.com/${host[1]}_AbCdEf123 (no trailing slash)`;
      }
    }
    return undefined;
  },
  emulation: {
    issuerPath: '/us-east-1_Example',
    notes: [
      'issuer shaped like https://cognito-idp.<region>.amazonaws.com/<user pool id>',
      'only OpenID discovery, and no code_challenge_methods_supported in it (PKCE is still enforced)',
      'access tokens: no aud, client_id, token_use "access", scope as a string, no typ at+jwt',
      'no dynamic client registration: use the pre-registered client id',
    ],
  },
  highlightClaims: ['token_use', 'client_id', 'scope', 'username', 'aud'],
};
