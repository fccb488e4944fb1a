/**
 * The real local authorization server for the benchmark, in its own process (so oidc-provider's
 * work and async hooks do not run inside the measured process). Mints `count` RS256 access tokens
 * with client_credentials, prints one JSON line { issuer, resource, tokens }, and keeps serving
 * discovery and the JWKS until stdin closes.
 */
import { start } from '@mcp-auth/dev-auth-server';

const RESOURCE = 'http://127.0.0.1:3000/mcp';
const count = Number(process.argv[2] ?? 3000);
const as = await start({ resources: [{ uri: RESOURCE, scopes: ['mcp:read', 'mcp:write'] }] });
const tokens: string[] = [];
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (tokens.length < count) {
      tokens.push(
        await as.getToken({
          resource: RESOURCE,
          scope: 'mcp:read mcp:write',
          clientId: as.clients.service.clientId,
          clientSecret: as.clients.service.clientSecret,
        }),
      );
    }
  }),
);
process.stdout.write(
  `${JSON.stringify({ issuer: as.issuer, jwksUri: as.jwksUri, resource: RESOURCE, tokens: tokens.slice(0, count) })}\n`,
);
process.stdin.resume();
process.stdin.on('end', () => {
  void as.stop().then(() => process.exit(0));
});
