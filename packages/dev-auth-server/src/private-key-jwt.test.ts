import { decodeJwt, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientAssertion, type DevAuthServer, start } from './index.js';

const MCP = 'http://127.0.0.1:3000/mcp';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let as: DevAuthServer;
let rsa: { privateJwk: JWK; publicJwk: JWK };

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  rsa = {
    privateJwk: { ...(await exportJWK(privateKey)), kid: 'rsa-1', alg: 'RS256' },
    publicJwk: { ...(await exportJWK(publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
  };
  as = await start({
    resources: [{ uri: MCP, scopes: ['mcp:tools', 'mcp:read'] }],
    clients: [
      {
        client_id: 'rs256-service',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'RS256',
        jwks: { keys: [rsa.publicJwk] },
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
    ],
  });
});
afterAll(async () => {
  await as?.stop();
});

/** A raw client_credentials request authenticated by the given assertion. */
async function withAssertion(clientId: string, assertion: string) {
  const res = await fetch(as.endpoints.token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      resource: MCP,
      client_id: clientId,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('client credentials with private_key_jwt (RFC 7523 §2.2)', () => {
  it('advertises private_key_jwt with ES256 and RS256', () => {
    expect(as.metadata.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(as.metadata.token_endpoint_auth_signing_alg_values_supported).toEqual(
      expect.arrayContaining(['ES256', 'RS256']),
    );
  });

  it('the built-in ES256 client mcp-service-jwt gets a token with its generated key', async () => {
    expect(as.clients.serviceJwt).toMatchObject({ clientId: 'mcp-service-jwt', alg: 'ES256' });
    expect(as.clients.serviceJwt.privateJwk.d).toBeTypeOf('string');
    const token = await as.getToken({ resource: MCP, clientId: 'mcp-service-jwt' });
    expect(decodeJwt(token)).toMatchObject({
      client_id: 'mcp-service-jwt',
      aud: MCP,
      scope: 'mcp:tools mcp:read',
    });
  });

  it('an RS256 client registered with a JWKS (clients option) gets a token', async () => {
    const token = await as.getToken({
      resource: MCP,
      clientId: 'rs256-service',
      scope: 'mcp:read',
      privateKeyJwt: { key: rsa.privateJwk },
    });
    expect(decodeJwt(token)).toMatchObject({ client_id: 'rs256-service', scope: 'mcp:read' });
  });

  it('a client registered dynamically with a JWKS works too', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const reg = await as.registerClient({
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'dyn-1' }] },
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    });
    expect(reg.client_secret).toBeUndefined();
    const token = await as.getToken({
      resource: MCP,
      clientId: reg.client_id as string,
      privateKeyJwt: { key: privateKey, alg: 'ES256', kid: 'dyn-1' },
    });
    expect(decodeJwt(token).client_id).toBe(reg.client_id);
  });

  it('refuses an assertion signed by another key with invalid_client (401)', async () => {
    const other = await generateKeyPair('ES256');
    const assertion = await createClientAssertion({
      clientId: 'mcp-service-jwt',
      audience: as.issuer,
      key: other.privateKey,
      alg: 'ES256',
    });
    const r = await withAssertion('mcp-service-jwt', assertion);
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
  });

  it('refuses a replayed assertion (same jti) with invalid_client', async () => {
    const assertion = await createClientAssertion({
      clientId: 'mcp-service-jwt',
      audience: as.issuer,
      key: as.clients.serviceJwt.privateJwk,
    });
    expect((await withAssertion('mcp-service-jwt', assertion)).status).toBe(200);
    const again = await withAssertion('mcp-service-jwt', assertion);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_client');
  });

  it.each([
    ['for another audience', { aud: 'http://127.0.0.1:1/other' }, 401, 'invalid_client'],
    ['expired', { exp: Math.floor(Date.now() / 1000) - 600 }, 401, 'invalid_client'],
    [
      'naming another client as iss/sub',
      { iss: 'rs256-service', sub: 'rs256-service' },
      400,
      'invalid_request',
    ],
  ])('refuses an assertion %s (%i %s)', async (_name, claims, status, error) => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({
      iss: 'mcp-service-jwt',
      sub: 'mcp-service-jwt',
      aud: as.issuer,
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 60,
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: as.clients.serviceJwt.kid })
      .sign(await importJWK(as.clients.serviceJwt.privateJwk, 'ES256'));
    const r = await withAssertion('mcp-service-jwt', assertion);
    expect(r.status).toBe(status);
    expect(r.body.error).toBe(error);
  });

  it('the secret client mcp-service is unchanged (client_secret_basic)', async () => {
    const token = await as.getToken({ resource: MCP });
    expect(decodeJwt(token).client_id).toBe('mcp-service');
  });
});
