import { type AuthInfo, TokenValidationError, type TokenValidator } from '@mcp-auth/validator';

export const RESOURCE = 'https://mcp.example.com/mcp';

/** A stand-in validator for unit tests: `Bearer <sub>:<scope,scope>`. The real one is in test/. */
export function fakeValidator(requiredScopes: string[] = []): TokenValidator {
  // `as`: the interface grows (evict, …) while other packages change; unused members are stubs.
  return {
    resource: RESOURCE,
    resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    requiredScopes,
    issuer: 'https://as.example.com',
    issuers: ['https://as.example.com'],
    async authenticate(req: unknown): Promise<AuthInfo> {
      const h =
        (req as { headers?: Record<string, string> }).headers ?? (req as Record<string, string>);
      const value = h instanceof Headers ? h.get('authorization') : h['authorization'];
      if (!value) throw new TokenValidationError('ERR_MISSING_TOKEN', 'No token');
      const [sub, scopes] = value.slice(7).split(':');
      return {
        token: value,
        clientId: 'c',
        scopes: scopes ? scopes.split(',') : [],
        extra: { subject: sub, issuer: 'https://as.example.com', tokenType: 'jwt', claims: {} },
      };
    },
    validate: () => Promise.reject(new Error('unused')),
    verifyAccessToken: () => Promise.reject(new Error('unused')),
    stats: () => ({}) as never,
    close: async () => {},
    evict: async () => {},
  } as unknown as TokenValidator;
}
