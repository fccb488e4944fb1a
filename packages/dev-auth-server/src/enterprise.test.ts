import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Fixture,
  LOCAL_IDP,
  MCP,
  OTHER,
  oauthError,
  startFixture,
} from './extensions.fixture.js';
import {
  createDpopProof,
  dpopThumbprint,
  ID_JAG_TOKEN_TYPE,
  JWT_BEARER_GRANT,
  start,
  TOKEN_EXCHANGE_GRANT,
} from './index.js';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f?.stop();
});

describe('discovery', () => {
  it('the MCP AS lists the JWT-bearer grant, the IdP the token exchange grant', () => {
    expect(f.mcpAs.metadata.grant_types_supported).toContain(JWT_BEARER_GRANT);
    expect(f.mcpAs.metadata.grant_types_supported).not.toContain(TOKEN_EXCHANGE_GRANT);
    expect(f.idp.metadata.grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT);
    expect(f.idp.metadata.grant_types_supported).not.toContain(JWT_BEARER_GRANT);
  });
});

describe('enterprise-managed authorization: ID token → ID-JAG (IdP) → access token (MCP AS)', () => {
  it('runs end to end across two servers', async () => {
    const signIn = await f.idp.authorizationCodeFlow({
      resource: null,
      scope: 'openid email',
      clientSecret: f.idp.clients.confidential.clientSecret,
    });
    const exchanged = await f.idp.tokenExchange({
      idToken: signIn.id_token as string,
      audience: f.mcpAs.issuer,
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
      iss: f.idp.issuer,
      sub: 'alice',
      aud: f.mcpAs.issuer,
      client_id: 'mcp-confidential',
      resource: MCP,
      scope: 'mcp:tools mcp:read',
      email: 'alice@corp.example',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
    expect(claims.jti).toBeTypeOf('string');

    const t = await f.mcpAs.jwtBearer({ assertion: jag, scope: 'mcp:tools' });
    expect(t.token_type).toBe('Bearer');
    expect(t.scope).toBe('mcp:tools');
    const { payload, protectedHeader } = await jwtVerify(
      t.access_token,
      createRemoteJWKSet(new URL(f.mcpAs.jwksUri)),
      { issuer: f.mcpAs.issuer, audience: MCP },
    );
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ sub: 'alice', client_id: 'mcp-confidential' });
    expect(await f.mcpAs.introspect(t.access_token)).toMatchObject({
      active: true,
      sub: 'alice',
      scope: 'mcp:tools',
    });
  });

  it('without scope the token gets the ID-JAG’s scopes', async () => {
    const t = await f.mcpAs.jwtBearer({ assertion: await f.idJag({ scope: 'mcp:read' }) });
    expect(decodeJwt(t.access_token).scope).toBe('mcp:read');
  });

  it('an ID-JAG is used once: the second use is invalid_grant', async () => {
    const jag = await f.idJag();
    await f.mcpAs.jwtBearer({ assertion: jag });
    expect(await oauthError(f.mcpAs.jwtBearer({ assertion: jag }))).toEqual({
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
    const jag = await f.idJag({ scope: 'mcp:tools' });
    expect(await oauthError(f.mcpAs.jwtBearer({ assertion: jag, scope }))).toMatchObject({
      error: 'invalid_scope',
      description,
      status: 400,
    });
  });

  it('another resource than the ID-JAG’s is invalid_target', async () => {
    const jag = await f.idJag();
    expect(await oauthError(f.mcpAs.jwtBearer({ assertion: jag, resource: OTHER }))).toMatchObject({
      error: 'invalid_target',
      description: 'the ID-JAG is not for this resource',
    });
  });

  it('an ID-JAG presented by another client than its client_id is invalid_grant', async () => {
    const jag = await f.idJag();
    expect(
      await oauthError(f.mcpAs.jwtBearer({ assertion: jag, clientId: 'mcp-service-jwt' })),
    ).toMatchObject({
      error: 'invalid_grant',
      description: 'ID-JAG client_id is not the authenticated client',
    });
  });

  it('a client not registered for the grant gets unauthorized_client', async () => {
    const jag = await f.idJag();
    expect(
      await oauthError(f.mcpAs.jwtBearer({ assertion: jag, clientId: 'mcp-service' })),
    ).toEqual({
      code: 'ERR_OAUTH',
      error: 'unauthorized_client',
      description: 'requested grant type is not allowed for this client',
      status: 400,
    });
  });

  it('an ID-JAG addressed to another authorization server is invalid_grant (aud)', async () => {
    const jag = await f.idJag({ audience: 'http://127.0.0.1:1' });
    expect(await oauthError(f.mcpAs.jwtBearer({ assertion: jag }))).toMatchObject({
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
    const jag = await f.localJwt(
      {
        iss: LOCAL_IDP,
        sub: 'bob',
        aud: f.mcpAs.issuer,
        client_id: 'mcp-confidential',
        resource: MCP,
        scope: 'mcp:tools',
        ...claims,
      },
      { typ: 'oauth-id-jag+jwt', ...header },
    );
    expect(await oauthError(f.mcpAs.jwtBearer({ assertion: jag }))).toMatchObject({
      error: 'invalid_grant',
      description,
    });
  });

  it('an ID-JAG from a trusted issuer with a static JWKS works', async () => {
    const jag = await f.localJwt(
      {
        iss: LOCAL_IDP,
        sub: 'bob',
        aud: f.mcpAs.issuer,
        client_id: 'mcp-confidential',
        resource: MCP,
        scope: 'mcp:tools',
      },
      { typ: 'oauth-id-jag+jwt' },
    );
    const t = await f.mcpAs.jwtBearer({ assertion: jag });
    expect(decodeJwt(t.access_token)).toMatchObject({ sub: 'bob', aud: MCP, scope: 'mcp:tools' });
  });

  it('a DPoP proof binds the token (token_type DPoP, cnf.jkt), as on the built-in grants', async () => {
    const key = await generateKeyPair('ES256');
    const t = await f.mcpAs.jwtBearer({ assertion: await f.idJag(), dpop: key });
    expect(t.token_type).toBe('DPoP');
    expect(decodeJwt(t.access_token).cnf).toEqual({ jkt: await dpopThumbprint(key) });
    expect(await f.mcpAs.introspect(t.access_token)).toMatchObject({ token_type: 'DPoP' });
  });

  it('a bad DPoP proof on the grant is invalid_dpop_proof, and the ID-JAG is not used up', async () => {
    const key = await generateKeyPair('ES256');
    const jag = await f.idJag();
    const res = await fetch(f.mcpAs.endpoints.token, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`mcp-confidential:${f.mcpAs.clients.confidential.clientSecret}`).toString('base64')}`,
        dpop: await createDpopProof(key, { htm: 'POST', htu: 'http://127.0.0.1:1/token' }),
      },
      body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: jag }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'DPoP proof htu mismatch',
    });
    expect((await f.mcpAs.jwtBearer({ assertion: jag })).token_type).toBe('Bearer');
  });

  it('a missing assertion is invalid_request', async () => {
    expect(await oauthError(f.mcpAs.jwtBearer({ assertion: '' }))).toMatchObject({
      error: 'invalid_request',
    });
  });
});

describe('token exchange at the IdP (RFC 8693)', () => {
  async function idToken(clientId: 'mcp-confidential' | 'mcp-public' = 'mcp-confidential') {
    const t = await f.idp.authorizationCodeFlow({
      resource: null,
      scope: 'openid',
      clientId,
      ...(clientId === 'mcp-confidential'
        ? { clientSecret: f.idp.clients.confidential.clientSecret }
        : {}),
    });
    return t.id_token as string;
  }

  it('an ID token issued to another client is invalid_grant', async () => {
    const other = await idToken('mcp-public');
    expect(
      await oauthError(f.idp.tokenExchange({ idToken: other, audience: f.mcpAs.issuer })),
    ).toMatchObject({
      error: 'invalid_grant',
      description: 'subject_token is not a valid ID token of this issuer for this client',
    });
  });

  it('a public client exchanges its own ID token', async () => {
    const jag = await f.idp.getIdJag({
      idToken: await idToken('mcp-public'),
      audience: f.mcpAs.issuer,
      clientId: 'mcp-public',
    });
    expect(decodeJwt(jag)).toMatchObject({ client_id: 'mcp-public', aud: f.mcpAs.issuer });
  });

  it('an ID token of another issuer (the MCP AS) is invalid_grant', async () => {
    const foreign = await f.mcpAs.authorizationCodeFlow({
      resource: null,
      scope: 'openid',
      clientSecret: f.mcpAs.clients.confidential.clientSecret,
    });
    expect(
      await oauthError(
        f.idp.tokenExchange({ idToken: foreign.id_token as string, audience: f.mcpAs.issuer }),
      ),
    ).toMatchObject({ error: 'invalid_grant' });
  });

  it('clientIdAt names the client id the other server knows', async () => {
    const mapped = await start({
      enterpriseIdp: { clientIdAt: { [f.mcpAs.issuer]: 'agent-at-mcp' }, idJagTtlSeconds: 60 },
    });
    try {
      const signIn = await mapped.authorizationCodeFlow({
        resource: null,
        scope: 'openid',
        clientSecret: mapped.clients.confidential.clientSecret,
      });
      const r = await mapped.tokenExchange({
        idToken: signIn.id_token as string,
        audience: f.mcpAs.issuer,
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
        ? f.idp.clients.service.clientSecret
        : f.idp.clients.confidential.clientSecret;
    const res = await fetch(f.idp.endpoints.token, {
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
        subject_token: (await f.idp.authorizationCodeFlow({ resource: null, scope: 'openid' }))
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
      audience: f.mcpAs.issuer,
      ...(await make()),
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(error);
  });

  it('a DPoP proof on token exchange is refused (an ID-JAG has nothing to bind)', async () => {
    const key = await generateKeyPair('ES256');
    const res = await fetch(f.idp.endpoints.token, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`mcp-confidential:${f.idp.clients.confidential.clientSecret}`).toString('base64')}`,
        dpop: await createDpopProof(key, { htm: 'POST', htu: f.idp.endpoints.token }),
      },
      body: new URLSearchParams({
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: await idToken(),
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        requested_token_type: ID_JAG_TOKEN_TYPE,
        audience: f.mcpAs.issuer,
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'DPoP is not supported for this grant type',
    });
  });

  it('a client not registered for token exchange gets unauthorized_client', async () => {
    const r = await rawExchange(
      {
        subject_token: await idToken(),
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        requested_token_type: ID_JAG_TOKEN_TYPE,
        audience: f.mcpAs.issuer,
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
    const res = await fetch(f.mcpAs.endpoints.token, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`mcp-confidential:${f.mcpAs.clients.confidential.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });
});
