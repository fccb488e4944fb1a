import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { type DevAuthServer, start } from './index.js';

/**
 * Test fixture of the extension-grant tests: an enterprise IdP (dev server in `enterpriseIdp` mode),
 * an MCP authorization server trusting it (ID-JAG) and two workload issuers, and a local key that
 * plays an IdP and a workload issuer whose claims the tests choose.
 */

export const MCP = 'http://127.0.0.1:3000/mcp';
export const OTHER = 'http://127.0.0.1:3001/mcp';
export const LOCAL_IDP = 'https://idp.corp.example';
export const WORKLOAD = 'https://workloads.example';
export const AGENT = 'spiffe://example.org/ns/default/sa/agent';

export interface Fixture {
  idp: DevAuthServer;
  mcpAs: DevAuthServer;
  /** A JWT signed by the local key (`kid: local-1`, ES256) with fresh iat/exp/jti unless overridden. */
  localJwt(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /** Alice signs in at the IdP and the client exchanges her ID token for an ID-JAG for the MCP AS. */
  idJag(o?: { scope?: string; resource?: string; audience?: string }): Promise<string>;
  stop(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  const pair = await generateKeyPair('ES256');
  const privateKey: CryptoKey = pair.privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'local-1', alg: 'ES256' };
  const idp = await start({
    enterpriseIdp: true,
    users: [{ sub: 'alice', email: 'alice@corp.example', password: 'pw' }],
  });
  const mcpAs = await start({
    resources: [
      { uri: MCP, scopes: ['mcp:tools', 'mcp:read'] },
      { uri: OTHER, scopes: ['other:read'] },
    ],
    trustedIdJagIssuers: [
      { issuer: idp.issuer, jwksUri: idp.jwksUri },
      { issuer: LOCAL_IDP, jwks: { keys: [jwk] } },
    ],
    trustedWorkloadIssuers: [
      { issuer: WORKLOAD, jwks: { keys: [jwk] }, subjects: [AGENT] },
      { issuer: idp.issuer, jwksUri: idp.jwksUri, clientIds: ['mcp-workload'] },
    ],
  });
  return {
    idp,
    mcpAs,
    localJwt: (claims, header = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iat: now, exp: now + 120, jti: crypto.randomUUID(), ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'local-1', ...header })
        .sign(privateKey);
    },
    idJag: async (o = {}) => {
      const signIn = await idp.authorizationCodeFlow({
        resource: null,
        scope: 'openid email',
        clientSecret: idp.clients.confidential.clientSecret,
      });
      return idp.getIdJag({
        idToken: signIn.id_token as string,
        audience: o.audience ?? mcpAs.issuer,
        resource: o.resource ?? MCP,
        scope: o.scope ?? 'mcp:tools',
      });
    },
    stop: async () => {
      await Promise.all([idp.stop(), mcpAs.stop()]);
    },
  };
}

/** The code, OAuth error, description and status of a helper's rejection. */
export async function oauthError(p: Promise<unknown>) {
  const e = (await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  )) as { code?: string; error?: string; errorDescription?: string; status?: number };
  return { code: e.code, error: e.error, description: e.errorDescription, status: e.status };
}
