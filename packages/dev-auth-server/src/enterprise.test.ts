import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type CryptoKey as JoseKey,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDpopProof,
  type DevAuthServer,
  ID_JAG_TOKEN_TYPE,
  JWT_BEARER_GRANT,
  start,
  TOKEN_EXCHANGE_GRANT,
} from './index';

const MCP = 'http://127.0.0.1:3000/mcp';
const OTHER = 'http://127.0.0.1:3001/mcp';
/** An enterprise IdP and a workload issuer known only by a local key (for claims we choose). */
const LOCAL_IDP = 'https://idp.corp.example';
const WORKLOAD = 'https://workloads.example';
const AGENT = 'spiffe://example.org/ns/default/sa/agent';

let idp: DevAuthServer;
let mcpAs: DevAuthServer;
let local: { privateKey: JoseKey; jwk: JWK };

async function localJwt(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, exp: now + 120, jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'local-1', ...header })
    .sign(local.privateKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  local = {
    privateKey: pair.privateKey,
    jwk: { ...(await exportJWK(pair.publicKey)), kid: 'local-1', alg: 'ES256' },
  };
  idp = await start({
    enterpriseIdp: true,
    users: [{ sub: 'alice', email: 'alice@corp.example', password: 'pw' }],
  });
  mcpAs = await start({
    resources: [
      { uri: MCP, scopes: ['mcp:tools', 'mcp:read'] },
      { uri: OTHER, scopes: ['other:read'] },
    ],
    trustedIdJagIssuers: [
      { issuer: idp.issuer, jwksUri: idp.jwksUri },
      { issuer: LOCAL_IDP, jwks: { keys: [local.jwk] } },
    ],
    trustedWorkloadIssuers: [
      { issuer: WORKLOAD, jwks: { keys: [local.jwk] }, subjects: [AGENT] },
      { issuer: idp.issuer, jwksUri: idp.jwksUri, clientIds: ['mcp-workload'] },
    ],
  });
});
afterAll(async () => {
  await Promise.all([idp?.stop(), mcpAs?.stop()]);
});

/** Alice signs in at the IdP (OpenID) and the client exchanges her ID token for an ID-JAG. */
async function idJag(o: { scope?: string; resource?: string; audience?: string } = {}) {
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
}

async function oauthError(p: Promise<unknown>) {
  const e = (await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  )) as { code?: string; error?: string; errorDescription?: string; status?: number };
  return { code: e.code, error: e.error, description: e.errorDescription, status: e.status };
}

describe('discovery', () => {
  it('the MCP AS lists the JWT-bearer grant, the IdP the token exchange grant', () => {
    expect(mcpAs.metadata.grant_types_supported).toContain(JWT_BEARER_GRANT);
    expect(mcpAs.metadata.grant_types_supported).not.toContain(TOKEN_EXCHANGE_GRANT);
    expect(idp.metadata.grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT);
    expect(idp.metadata.grant_types_supported).not.toContain(JWT_BEARER_GRANT);
  });
});

describe('enterprise-managed authorization: ID token → ID-JAG (IdP) → access token (MCP AS)', () => {
  it('runs end to end across two servers', async () => {
    const signIn = await idp.authorizationCodeFlow({
      resource: null,
      scope: 'openid email',
      clientSecret: idp.clients.confidential.clientSecret,
    });
    const exchanged = await idp.tokenExchange({
      idToken: signIn.id_token as string,
      audience: mcpAs.issuer,
      resource: MCP,
      scope: 'mcp:tools mcp:read',
    });
    expect(exchanged).toMatchObject({
      issued_token_type: ID_JAG_TOKEN_TYPE,
      token_type: 'N_A',
      expires_in: 300,
      scope: 'mcp:tools mcp:read',
    });
    const jag = exchanged.access_token;
    expect(decodeProtectedHeader(jag)).toMatchObject({ typ: 'oauth-id-jag+jwt', alg: 'RS256' });
    const claims = decodeJwt(jag);
    expect(claims).toMatchObject({
      iss: idp.issuer,
      sub: 'alice',
      aud: mcpAs.issuer,
      client_id: 'mcp-confidential',
      resource: MCP,
      scope: 'mcp:tools mcp:read',
      email: 'alice@corp.example',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
    expect(claims.jti).toBeTypeOf('string');

    const t = await mcpAs.jwtBearer({ assertion: jag, scope: 'mcp:tools' });
    expect(t.token_type).toBe('Bearer');
    expect(t.scope).toBe('mcp:tools');
    const { payload, protectedHeader } = await jwtVerify(
      t.access_token,
      createRemoteJWKSet(new URL(mcpAs.jwksUri)),
      { issuer: mcpAs.issuer, audience: MCP },
    );
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ sub: 'alice', client_id: 'mcp-confidential' });
    expect(await mcpAs.introspect(t.access_token)).toMatchObject({
      active: true,
      sub: 'alice',
      scope: 'mcp:tools',
    });
  });

  it('without scope the token gets the ID-JAG’s scopes', async () => {
    const t = await mcpAs.jwtBearer({ assertion: await idJag({ scope: 'mcp:read' }) });
    expect(decodeJwt(t.access_token).scope).toBe('mcp:read');
  });

  it('an ID-JAG is used once: the second use is invalid_grant', async () => {
    const jag = await idJag();
    await mcpAs.jwtBearer({ assertion: jag });
    expect(await oauthError(mcpAs.jwtBearer({ assertion: jag }))).toEqual({
      code: 'ERR_OAUTH',
      error: 'invalid_grant',
      description: 'assertion was already used',
      status: 400,
    });
  });

  it.each([
    [
      'a scope the ID-JAG does not grant',
      'mcp:tools mcp:read',
      'requested scope is not granted by the ID-JAG',
    ],
    [
      'a scope the resource does not have',
      'mcp:admin',
      'requested scope is not valid for the resource',
    ],
  ])('asking for %s is invalid_scope', async (_name, scope, description) => {
    const jag = await idJag({ scope: 'mcp:tools' });
    expect(await oauthError(mcpAs.jwtBearer({ assertion: jag, scope }))).toMatchObject({
      error: 'invalid_scope',
      description,
      status: 400,
    });
  });

  it('another resource than the ID-JAG’s is invalid_target', async () => {
    const jag = await idJag();
    expect(await oauthError(mcpAs.jwtBearer({ assertion: jag, resource: OTHER }))).toMatchObject({
      error: 'invalid_target',
      description: 'the ID-JAG is not for this resource',
    });
  });

  it('an ID-JAG presented by another client than its client_id is invalid_grant', async () => {
    const jag = await idJag();
    expect(
      await oauthError(mcpAs.jwtBearer({ assertion: jag, clientId: 'mcp-service-jwt' })),
    ).toMatchObject({
      error: 'invalid_grant',
      description: 'ID-JAG client_id is not the authenticated client',
    });
  });

  it('a client not registered for the grant gets unauthorized_client', async () => {
    const jag = await idJag();
    expect(await oauthError(mcpAs.jwtBearer({ assertion: jag, clientId: 'mcp-service' }))).toEqual({
      code: 'ERR_OAUTH',
      error: 'unauthorized_client',
      description: 'requested grant type is not allowed for this client',
      status: 400,
    });
  });

  it('an ID-JAG addressed to another authorization server is invalid_grant (aud)', async () => {
    const jag = await idJag({ audience: 'http://127.0.0.1:1' });
    expect(await oauthError(mcpAs.jwtBearer({ assertion: jag }))).toMatchObject({
      error: 'invalid_grant',
      description: 'assertion "aud" claim is missing or invalid',
    });
  });

  it.each([
    ['an untrusted issuer', { iss: 'https://evil.example' }, {}, 'ID-JAG issuer is not trusted'],
    [
      'an expired ID-JAG',
      { exp: Math.floor(Date.now() / 1000) - 600 },
      {},
      'assertion has expired',
    ],
    ['no jti', { jti: undefined }, {}, 'assertion "jti" claim is missing or invalid'],
    [
      'no client_id',
      { client_id: undefined },
      {},
      'assertion "client_id" claim is missing or invalid',
    ],
    // without the ID-JAG typ it is taken for a workload JWT, whose issuers do not include this one
    ['typ JWT', {}, { typ: 'JWT' }, 'assertion issuer is not trusted'],
  ])('%s is invalid_grant', async (_name, claims, header, description) => {
    const jag = await localJwt(
      {
        iss: LOCAL_IDP,
        sub: 'bob',
        aud: mcpAs.issuer,
        client_id: 'mcp-confidential',
        resource: MCP,
        scope: 'mcp:tools',
        ...claims,
      },
      { typ: 'oauth-id-jag+jwt', ...header },
    );
    expect(await oauthError(mcpAs.jwtBearer({ assertion: jag }))).toMatchObject({
      error: 'invalid_grant',
      description,
    });
  });

  it('an ID-JAG from a trusted issuer with a static JWKS works', async () => {
    const jag = await localJwt(
      {
        iss: LOCAL_IDP,
        sub: 'bob',
        aud: mcpAs.issuer,
        client_id: 'mcp-confidential',
        resource: MCP,
        scope: 'mcp:tools',
      },
      { typ: 'oauth-id-jag+jwt' },
    );
    const t = await mcpAs.jwtBearer({ assertion: jag });
    expect(decodeJwt(t.access_token)).toMatchObject({ sub: 'bob', aud: MCP, scope: 'mcp:tools' });
  });

  it('a DPoP proof on the grant is refused (invalid_dpop_proof), not ignored', async () => {
    const key = await generateKeyPair('ES256');
    const res = await fetch(mcpAs.endpoints.token, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`mcp-confidential:${mcpAs.clients.confidential.clientSecret}`).toString('base64')}`,
        dpop: await createDpopProof(key, { htm: 'POST', htu: mcpAs.endpoints.token }),
      },
      body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: await idJag() }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_dpop_proof');
  });

  it('a missing assertion is invalid_request', async () => {
    expect(await oauthError(mcpAs.jwtBearer({ assertion: '' }))).toMatchObject({
      error: 'invalid_request',
    });
  });
});

describe('token exchange at the IdP (RFC 8693)', () => {
  async function idToken(clientId: 'mcp-confidential' | 'mcp-public' = 'mcp-confidential') {
    const t = await idp.authorizationCodeFlow({
      resource: null,
      scope: 'openid',
      clientId,
      ...(clientId === 'mcp-confidential'
        ? { clientSecret: idp.clients.confidential.clientSecret }
        : {}),
    });
    return t.id_token as string;
  }

  it('an ID token issued to another client is invalid_grant', async () => {
    const other = await idToken('mcp-public');
    expect(
      await oauthError(idp.tokenExchange({ idToken: other, audience: mcpAs.issuer })),
    ).toMatchObject({
      error: 'invalid_grant',
      description: 'subject_token is not a valid ID token of this issuer for this client',
    });
  });

  it('a public client exchanges its own ID token', async () => {
    const jag = await idp.getIdJag({
      idToken: await idToken('mcp-public'),
      audience: mcpAs.issuer,
      clientId: 'mcp-public',
    });
    expect(decodeJwt(jag)).toMatchObject({ client_id: 'mcp-public', aud: mcpAs.issuer });
  });

  it('an ID token of another issuer (the MCP AS) is invalid_grant', async () => {
    const foreign = await mcpAs.authorizationCodeFlow({
      resource: null,
      scope: 'openid',
      clientSecret: mcpAs.clients.confidential.clientSecret,
    });
    expect(
      await oauthError(
        idp.tokenExchange({ idToken: foreign.id_token as string, audience: mcpAs.issuer }),
      ),
    ).toMatchObject({ error: 'invalid_grant' });
  });

  it('clientIdAt names the client id the other server knows', async () => {
    const mapped = await start({
      enterpriseIdp: { clientIdAt: { [mcpAs.issuer]: 'agent-at-mcp' }, idJagTtlSeconds: 60 },
    });
    try {
      const signIn = await mapped.authorizationCodeFlow({
        resource: null,
        scope: 'openid',
        clientSecret: mapped.clients.confidential.clientSecret,
      });
      const r = await mapped.tokenExchange({
        idToken: signIn.id_token as string,
        audience: mcpAs.issuer,
      });
      expect(r.expires_in).toBe(60);
      expect(decodeJwt(r.access_token).client_id).toBe('agent-at-mcp');
    } finally {
      await mapped.stop();
    }
  });

  async function rawExchange(params: Record<string, string>, client = 'mcp-confidential') {
    const secret =
      client === 'mcp-service'
        ? idp.clients.service.clientSecret
        : idp.clients.confidential.clientSecret;
    const res = await fetch(idp.endpoints.token, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client}:${secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, ...params }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it.each([
    [
      'an access token as subject_token',
      async () => ({
        subject_token: (await idp.authorizationCodeFlow({ resource: null, scope: 'openid' }))
          .access_token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      }),
      'invalid_grant',
    ],
    [
      'another subject_token_type',
      async () => ({
        subject_token: await idToken(),
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      }),
      'invalid_request',
    ],
    [
      'another requested_token_type',
      async () => ({
        subject_token: await idToken(),
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      }),
      'invalid_request',
    ],
    [
      'no audience',
      async () => ({
        subject_token: await idToken(),
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        audience: '',
      }),
      'invalid_target',
    ],
  ])('%s: 400 %s', async (_name, make, error) => {
    const r = await rawExchange({
      requested_token_type: ID_JAG_TOKEN_TYPE,
      audience: mcpAs.issuer,
      ...(await make()),
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(error);
  });

  it('a client not registered for token exchange gets unauthorized_client', async () => {
    const r = await rawExchange(
      {
        subject_token: await idToken(),
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        requested_token_type: ID_JAG_TOKEN_TYPE,
        audience: mcpAs.issuer,
      },
      'mcp-service',
    );
    expect(r).toEqual({
      status: 400,
      body: {
        error: 'unauthorized_client',
        error_description: 'requested grant type is not allowed for this client',
      },
    });
  });

  it('a server without enterpriseIdp answers unsupported_grant_type', async () => {
    const res = await fetch(mcpAs.endpoints.token, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`mcp-confidential:${mcpAs.clients.confidential.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });
});

describe('workload identity federation (JWT-bearer grant with a workload JWT)', () => {
  const workloadJwt = (claims: Record<string, unknown> = {}) =>
    localJwt({ iss: WORKLOAD, sub: AGENT, aud: mcpAs.issuer, ...claims });

  it('the public client mcp-workload gets a token for the workload', async () => {
    expect(mcpAs.clients.workload).toEqual({ clientId: 'mcp-workload' });
    const t = await mcpAs.jwtBearer({
      assertion: await workloadJwt(),
      clientId: 'mcp-workload',
      resource: MCP,
      scope: 'mcp:read',
    });
    const { payload } = await jwtVerify(
      t.access_token,
      createRemoteJWKSet(new URL(mcpAs.jwksUri)),
      { issuer: mcpAs.issuer, audience: MCP },
    );
    expect(payload).toMatchObject({ sub: AGENT, client_id: 'mcp-workload', scope: 'mcp:read' });
  });

  it('the token endpoint URL is accepted as aud (RFC 7523 §3)', async () => {
    const t = await mcpAs.jwtBearer({
      assertion: await workloadJwt({ aud: mcpAs.endpoints.token }),
      clientId: 'mcp-workload',
      resource: MCP,
    });
    // no scope asked: none granted (like client_credentials on the generic profile)
    expect(decodeJwt(t.access_token).scope).toBeUndefined();
  });

  it('a workload JWT signed by this kind of server (signWorkloadJwt, jwksUri trust) works', async () => {
    const assertion = await idp.signWorkloadJwt({ subject: 'job-42', audience: mcpAs.issuer });
    expect(decodeJwt(assertion)).toMatchObject({ iss: idp.issuer, sub: 'job-42' });
    const t = await mcpAs.jwtBearer({ assertion, clientId: 'mcp-workload', resource: MCP });
    expect(decodeJwt(t.access_token).sub).toBe('job-42');
  });

  it('an issuer trusted only for some clients: another client gets unauthorized_client', async () => {
    const assertion = await idp.signWorkloadJwt({ subject: 'job-42', audience: mcpAs.issuer });
    expect(await oauthError(mcpAs.jwtBearer({ assertion, resource: MCP }))).toMatchObject({
      error: 'unauthorized_client',
      description: 'the client may not present assertions of this issuer',
    });
  });

  it.each([
    [
      'a subject not allowed',
      { sub: 'spiffe://example.org/other' },
      'workload subject is not allowed',
    ],
    [
      'another audience',
      { aud: 'http://127.0.0.1:1' },
      'assertion "aud" claim is missing or invalid',
    ],
    ['an expired JWT', { exp: Math.floor(Date.now() / 1000) - 600 }, 'assertion has expired'],
    ['no exp', { exp: undefined }, 'assertion "exp" claim is missing or invalid'],
  ])('%s is invalid_grant', async (_name, claims, description) => {
    expect(
      await oauthError(
        mcpAs.jwtBearer({
          assertion: await workloadJwt(claims),
          clientId: 'mcp-workload',
          resource: MCP,
        }),
      ),
    ).toMatchObject({ error: 'invalid_grant', description });
  });

  it('a JWT signed by another key is invalid_grant', async () => {
    const other = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({
      iss: WORKLOAD,
      sub: AGENT,
      aud: mcpAs.issuer,
      exp: now + 60,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'local-1' })
      .sign(other.privateKey);
    expect(
      await oauthError(
        mcpAs.jwtBearer({ assertion: forged, clientId: 'mcp-workload', resource: MCP }),
      ),
    ).toMatchObject({ error: 'invalid_grant', description: 'assertion signature is invalid' });
  });

  it('an HMAC-signed JWT is invalid_grant (asymmetric algorithms only)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const hs = await new SignJWT({ iss: WORKLOAD, sub: AGENT, aud: mcpAs.issuer, exp: now + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(
      await oauthError(mcpAs.jwtBearer({ assertion: hs, clientId: 'mcp-workload', resource: MCP })),
    ).toMatchObject({ error: 'invalid_grant', description: 'assertion algorithm is not allowed' });
  });

  it('a request without a resource (generic profile) is invalid_target', async () => {
    expect(
      await oauthError(
        mcpAs.jwtBearer({ assertion: await workloadJwt(), clientId: 'mcp-workload' }),
      ),
    ).toMatchObject({ error: 'invalid_target' });
  });

  it('not a JWT at all is invalid_grant', async () => {
    expect(
      await oauthError(mcpAs.jwtBearer({ assertion: 'abc', clientId: 'mcp-workload' })),
    ).toMatchObject({ error: 'invalid_grant', description: 'assertion is not a JWT' });
  });
});

describe('options', () => {
  it.each([
    [{ trustedIdJagIssuers: {} }, '"trustedIdJagIssuers" must be an array'],
    [
      { trustedIdJagIssuers: [{ issuer: 'nope', jwks: { keys: [] } }] },
      '"trustedIdJagIssuers[0].issuer"',
    ],
    [{ trustedWorkloadIssuers: [{ issuer: WORKLOAD }] }, 'exactly one of "jwks" and "jwksUri"'],
    [
      { trustedWorkloadIssuers: [{ issuer: WORKLOAD, jwksUri: 'http://x/j', subjects: [1] }] },
      '"trustedWorkloadIssuers[0].subjects"',
    ],
    [{ enterpriseIdp: { idJagTtlSeconds: 0 } }, '"enterpriseIdp.idJagTtlSeconds"'],
    [{ enterpriseIdp: 'yes' }, '"enterpriseIdp" must be a boolean or an object'],
    [{ requireDpopNonce: 'yes' }, '"requireDpopNonce" must be a boolean'],
  ])('%j is a TypeError naming the option', async (options, message) => {
    await expect(start(options as never)).rejects.toThrow(TypeError);
    await expect(start(options as never)).rejects.toThrow(message);
  });
});
