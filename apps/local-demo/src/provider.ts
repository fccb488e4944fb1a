import type { ProviderDefinition } from '@mcp-auth/app-demo-kit';

/** The local demo: the generic (RFC 9068) local authorization server, always in-process. */
export const local: ProviderDefinition = {
  profile: 'generic',
  appName: 'local-demo',
  displayName: 'the local authorization server',
  defaultRequiredScopes: ['mcp:tools'],
  defaultStepUpScope: 'mcp:admin',
  defaultPort: 3000,
  issuerExample: 'http://127.0.0.1:9000',
  resourceExample: 'http://127.0.0.1:3000/mcp',
  emulationOnly: true,
  emulation: {
    notes: [
      'a real OAuth 2.1 server (oidc-provider) on 127.0.0.1: RFC 8414 + OpenID discovery, PKCE S256, resource indicators, RFC 9068 JWT access tokens, dynamic registration',
    ],
  },
  highlightClaims: ['aud', 'client_id', 'scope', 'jti'],
};
