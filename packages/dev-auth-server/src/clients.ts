import { JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT } from './grants/names.js';
import { secret } from './internal/http.js';
import { generateSigningKey } from './keys.js';
import type { ClientConfig, DevAuthServer, DevAuthServerOptions } from './types.js';

/** The built-in clients every server has, with secrets fresh for each start. */

/** Loopback redirect URIs of the built-in clients; any port is accepted on them (RFC 8252 §7.3). */
export const LOOPBACK_REDIRECT_URIS: readonly string[] = [
  '127.0.0.1',
  'localhost',
  '[::1]',
].flatMap((host) =>
  ['/callback', '/oauth/callback', '/oauth2/callback', '/auth/callback', '/cb', '/'].map(
    (path) => `http://${host}${path}`,
  ),
);

/** The clients oidc-provider is configured with, and the secrets the helpers authenticate with. */
export interface Clients {
  /** Built-in clients (`mcp-*`) followed by the `clients` option's. */
  all: ClientConfig[];
  /** `client_id` → secret, for the helpers; registrations add theirs. */
  secrets: Map<string, string>;
  /** What `DevAuthServer.clients` shows. */
  info: DevAuthServer['clients'];
}

/** Whether the JWT-bearer grant is on (some issuer is trusted for it). */
export function jwtBearerEnabled(options: DevAuthServerOptions): boolean {
  return Boolean(options.trustedIdJagIssuers?.length || options.trustedWorkloadIssuers?.length);
}

export async function createClients(options: DevAuthServerOptions): Promise<Clients> {
  const confidential = secret();
  const service = secret();
  const introspector = secret();
  const serviceKey = await generateSigningKey('ES256');
  const { d: _d, ...servicePublicKey } = serviceKey;
  const jwtBearer = jwtBearerEnabled(options);
  const idp = Boolean(options.enterpriseIdp);
  // Extension grants join the built-in clients only when they are on (oidc-provider refuses a
  // client whose grant_types name a grant it does not have).
  const extra = (...grants: [boolean, string][]) => grants.filter(([on]) => on).map(([, g]) => g);
  const builtin: ClientConfig[] = [
    {
      client_id: 'mcp-public',
      client_name: 'MCP public client (PKCE, loopback redirect)',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token', ...extra([idp, TOKEN_EXCHANGE_GRANT])],
      response_types: ['code'],
      redirect_uris: [...LOOPBACK_REDIRECT_URIS],
    },
    {
      client_id: 'mcp-confidential',
      client_name: 'MCP confidential client',
      application_type: 'native',
      client_secret: confidential,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [
        'authorization_code',
        'refresh_token',
        ...extra([jwtBearer, JWT_BEARER_GRANT], [idp, TOKEN_EXCHANGE_GRANT]),
      ],
      response_types: ['code'],
      redirect_uris: [...LOOPBACK_REDIRECT_URIS],
    },
    {
      client_id: 'mcp-service',
      client_name: 'MCP service (client credentials)',
      client_secret: service,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'mcp-service-jwt',
      client_name: 'MCP service (client credentials, private_key_jwt)',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [servicePublicKey] },
      grant_types: ['client_credentials', ...extra([jwtBearer, JWT_BEARER_GRANT])],
      response_types: [],
      redirect_uris: [],
    },
    ...(options.trustedWorkloadIssuers?.length
      ? [
          {
            client_id: 'mcp-workload',
            client_name: 'Workload (JWT-bearer grant with a workload JWT)',
            token_endpoint_auth_method: 'none',
            grant_types: [JWT_BEARER_GRANT],
            response_types: [],
            redirect_uris: [],
          },
        ]
      : []),
    {
      client_id: 'mcp-introspector',
      client_name: 'Resource server (introspection)',
      client_secret: introspector,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ];
  const secrets = new Map<string, string>([
    ['mcp-confidential', confidential],
    ['mcp-service', service],
    ['mcp-introspector', introspector],
  ]);
  for (const c of options.clients ?? []) {
    if (typeof c.client_secret === 'string') secrets.set(c.client_id, c.client_secret);
  }
  return {
    all: [...builtin, ...(options.clients ?? [])],
    secrets,
    info: {
      public: { clientId: 'mcp-public', redirectUris: [...LOOPBACK_REDIRECT_URIS] },
      confidential: {
        clientId: 'mcp-confidential',
        clientSecret: confidential,
        redirectUris: [...LOOPBACK_REDIRECT_URIS],
      },
      service: { clientId: 'mcp-service', clientSecret: service },
      introspector: { clientId: 'mcp-introspector', clientSecret: introspector },
      serviceJwt: {
        clientId: 'mcp-service-jwt',
        privateJwk: { ...serviceKey },
        alg: 'ES256',
        kid: serviceKey.kid,
      },
      workload: options.trustedWorkloadIssuers?.length ? { clientId: 'mcp-workload' } : undefined,
    },
  };
}
