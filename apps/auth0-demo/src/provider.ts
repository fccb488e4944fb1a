import type { ProviderDefinition } from '@mcp-auth/app-demo-kit';

/**
 * Auth0, as its access tokens really look:
 * - the issuer ends with a slash (`https://<tenant>.auth0.com/`); compared exactly;
 * - the API is chosen with the `audience` parameter (or `resource` with the tenant's "Resource
 *   Parameter Compatibility Profile" on); `aud` is an array `[api, <issuer>userinfo]` when
 *   `openid` is asked;
 * - with RBAC on, the granted permissions are in a `permissions` array; `azp` is the client;
 * - dynamic client registration when the tenant enables it.
 */
export const auth0: ProviderDefinition = {
  profile: 'auth0',
  appName: 'auth0-demo',
  displayName: 'Auth0',
  defaultRequiredScopes: ['read:tools'],
  defaultStepUpScope: 'read:admin',
  defaultPort: 3002,
  issuerExample: 'https://your-tenant.us.auth0.com/',
  resourceExample: 'https://mcp.example.com/mcp',
  // Auth0 issuers always end with "/": add it rather than fail the exact issuer comparison later.
  normalizeIssuer: (issuer) => (issuer.endsWith('/') ? issuer : `${issuer}/`),
  checkIssuer(issuer) {
    if (issuer.pathname !== '/') {
      return 'OAUTH_AUTHORIZATION_SERVER must be your Auth0 tenant (or custom domain) root with its trailing slash, e.g. https://your-tenant.us.auth0.com/';
    }
    return undefined;
  },
  emulation: {
    notes: [
      'issuer with a trailing slash, like https://<tenant>.auth0.com/',
      'the audience parameter selects the API (resource is honoured too)',
      'access tokens: aud an array [api, <issuer>userinfo] when openid is asked, permissions array (RBAC), azp',
      'dynamic client registration enabled',
    ],
  },
  highlightClaims: ['aud', 'azp', 'permissions', 'scope'],
};
