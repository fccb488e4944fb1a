import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevAuthServer, start } from './index.js';

const MCP = 'http://127.0.0.1:3000/mcp';

async function status(url: string): Promise<number> {
  const res = await fetch(url);
  await res.body?.cancel();
  return res.status;
}

async function verify(as: DevAuthServer, token: string) {
  // No audience option: the profile decides what `aud` is (Cognito has none).
  return jwtVerify(token, createRemoteJWKSet(new URL(as.jwksUri)), {
    issuer: as.issuer,
    algorithms: ['RS256'],
  });
}

describe('cognito profile', () => {
  let as: DevAuthServer;
  beforeAll(async () => {
    as = await start({
      profile: 'cognito',
      resources: [{ uri: MCP, scopes: ['mcp-api/tools', 'mcp-api/read'] }],
      users: [
        { sub: '0b8f0a1e-user', username: 'alice', email: 'alice@example.com', password: 'pw' },
      ],
    });
  });
  afterAll(() => as?.stop());

  it('has an issuer shaped like a user pool: http://127.0.0.1:P/us-east-1_Example', () => {
    expect(as.issuer).toBe(`${as.origin}/us-east-1_Example`);
    expect(as.metadata.issuer).toBe(as.issuer);
  });

  it.each([
    ['/us-east-1_Example/.well-known/openid-configuration', 200],
    ['/.well-known/openid-configuration/us-east-1_Example', 404],
    ['/.well-known/oauth-authorization-server/us-east-1_Example', 404],
    ['/us-east-1_Example/.well-known/oauth-authorization-server', 404],
    ['/.well-known/oauth-authorization-server', 404],
    ['/.well-known/openid-configuration', 404],
  ])('serves only OpenID discovery: %s -> %i', async (path, expected) => {
    expect(await status(as.origin + path)).toBe(expected);
  });

  it('omits code_challenge_methods_supported and registration, and serves JWKS at /.well-known/jwks.json', async () => {
    expect(as.metadata).not.toHaveProperty('code_challenge_methods_supported');
    expect(as.metadata).not.toHaveProperty('registration_endpoint');
    expect(as.authorizationServerMetadata).toBeUndefined();
    expect(as.jwksUri).toBe(`${as.issuer}/.well-known/jwks.json`);
    expect(as.endpoints.token).toBe(`${as.issuer}/oauth2/token`);
    expect(await status(as.jwksUri)).toBe(200);
  });

  it('still enforces PKCE', async () => {
    const url = new URL(as.endpoints.authorization);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: 'mcp-public',
      redirect_uri: 'http://127.0.0.1:5555/callback',
      scope: 'openid',
      state: 'st',
    })) {
      url.searchParams.set(k, v);
    }
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('user access tokens: no aud, client_id, token_use, scope string, username, no typ', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, scope: 'openid mcp-api/tools' });
    const header = decodeProtectedHeader(t.access_token);
    expect(header).not.toHaveProperty('typ');
    expect(header.alg).toBe('RS256');
    const { payload } = await verify(as, t.access_token);
    expect(payload).not.toHaveProperty('aud');
    expect(payload).toMatchObject({
      iss: as.issuer,
      sub: '0b8f0a1e-user',
      client_id: 'mcp-public',
      token_use: 'access',
      scope: 'openid mcp-api/tools',
      username: 'alice',
      version: 2,
    });
    expect(payload.auth_time).toBeTypeOf('number');
  });

  it('ID tokens say token_use "id"', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, scope: 'openid mcp-api/tools' });
    expect(decodeJwt(t.id_token as string)).toMatchObject({
      token_use: 'id',
      sub: '0b8f0a1e-user',
    });
  });

  it('client_credentials tokens: sub is the client, no username, no aud', async () => {
    const token = await as.getToken({ resource: MCP, scope: 'mcp-api/read' });
    const { payload } = await verify(as, token);
    expect(payload).not.toHaveProperty('aud');
    expect(payload).not.toHaveProperty('username');
    expect(payload).toMatchObject({
      sub: 'mcp-service',
      client_id: 'mcp-service',
      token_use: 'access',
      scope: 'mcp-api/read',
    });
  });

  it('a client that sends no resource still gets an API token (Cognito ignores resource)', async () => {
    const t = await as.authorizationCodeFlow({ resource: null, scope: 'mcp-api/tools' });
    expect(decodeJwt(t.access_token)).toMatchObject({
      token_use: 'access',
      scope: 'mcp-api/tools',
    });
  });

  it('has no dynamic registration', async () => {
    expect(as.endpoints.registration).toBeUndefined();
    await expect(as.registerClient({ redirect_uris: ['http://127.0.0.1/cb'] })).rejects.toThrow(
      /disabled/,
    );
  });
});

describe('cognito profile with the hosted UI on another origin', () => {
  it.each([false, true])(
    'authorize, token and the login pages live on the second origin, discovery and keys on the issuer (interactive: %s)',
    async (interactive) => {
      const as = await start({
        profile: 'cognito',
        endpointsOnSeparateOrigin: true,
        interactive,
        resources: [{ uri: MCP, scopes: ['mcp-api/tools'] }],
      });
      try {
        const hosted = as.endpointsOrigin as string;
        expect(hosted).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(hosted).not.toBe(as.origin);
        expect(as.metadata).toMatchObject({
          issuer: as.issuer,
          authorization_endpoint: `${hosted}/oauth2/authorize`,
          token_endpoint: `${hosted}/oauth2/token`,
          userinfo_endpoint: `${hosted}/oauth2/userInfo`,
          revocation_endpoint: `${hosted}/oauth2/revoke`,
          jwks_uri: `${as.issuer}/.well-known/jwks.json`,
        });
        expect(await status(`${hosted}/.well-known/openid-configuration`)).toBe(404);
        expect(await status(`${hosted}/us-east-1_Example/.well-known/openid-configuration`)).toBe(
          404,
        );
        const t = await as.authorizationCodeFlow({ resource: MCP, scope: 'openid mcp-api/tools' });
        const { payload } = await verify(as, t.access_token);
        expect(payload).toMatchObject({
          token_use: 'access',
          client_id: 'mcp-public',
          iss: as.issuer,
        });
        const refreshed = await as.refresh({ refreshToken: t.refresh_token as string });
        expect((await verify(as, refreshed.access_token)).payload.scope).toBe(
          'openid mcp-api/tools',
        );
        // the login pages are on the hosted origin too: /authorize sends the browser to a relative URL
        const authorize = new URL(as.endpoints.authorization);
        for (const [k, v] of Object.entries({
          response_type: 'code',
          client_id: 'mcp-public',
          redirect_uri: 'http://127.0.0.1:5555/callback',
          scope: 'openid',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        })) {
          authorize.searchParams.set(k, v);
        }
        const res = await fetch(authorize, { redirect: 'manual' });
        expect(res.status).toBe(303);
        const location = res.headers.get('location') ?? '';
        expect(location).toMatch(/^\/us-east-1_Example\/interaction\/[\w-]+$/);
        expect(new URL(location, authorize).origin).toBe(hosted);
      } finally {
        await as.stop();
      }
    },
  );
});

describe('auth0 profile', () => {
  let as: DevAuthServer;
  beforeAll(async () => {
    as = await start({
      profile: 'auth0',
      resources: [
        { uri: MCP, scopes: ['read:tools', 'call:tools'] },
        { uri: 'https://api.example.com/', scopes: ['other'] },
      ],
    });
  });
  afterAll(() => as?.stop());

  it('has an issuer with a trailing slash, reported exactly so by discovery', async () => {
    expect(as.issuer).toBe(`${as.origin}/`);
    const res = await fetch(`${as.origin}/.well-known/openid-configuration`);
    expect(((await res.json()) as { issuer: string }).issuer).toBe(as.issuer);
    expect(as.endpoints.token).toBe(`${as.origin}/oauth/token`);
    expect(as.jwksUri).toBe(`${as.origin}/.well-known/jwks.json`);
    expect(as.endpoints.userinfo).toBe(`${as.origin}/userinfo`);
  });

  it('serves OpenID discovery only', async () => {
    expect(await status(`${as.origin}/.well-known/openid-configuration`)).toBe(200);
    expect(await status(`${as.origin}/.well-known/oauth-authorization-server`)).toBe(404);
  });

  it('the audience parameter on /authorize selects the API; aud is [api, <issuer>userinfo] with openid', async () => {
    const t = await as.authorizationCodeFlow({
      resource: null,
      scope: 'openid profile read:tools',
      extraParams: { audience: MCP },
    });
    const { payload, protectedHeader } = await verify(as, t.access_token);
    expect(protectedHeader.typ).toBe('JWT');
    expect(payload.aud).toEqual([MCP, `${as.issuer}userinfo`]);
    expect(payload).toMatchObject({
      iss: as.issuer,
      sub: 'user-1',
      azp: 'mcp-public',
      scope: 'openid profile read:tools',
      permissions: ['read:tools'],
    });
    expect(payload).not.toHaveProperty('client_id');
    expect(typeof t.id_token).toBe('string');
  });

  it('aud is a string without openid', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, scope: 'read:tools call:tools' });
    const { payload } = await verify(as, t.access_token);
    expect(payload.aud).toBe(MCP);
    expect(payload.permissions).toEqual(['read:tools', 'call:tools']);
    expect(payload.scope).toBe('read:tools call:tools');
  });

  it('the audience parameter on /oauth/token (client_credentials) selects the API', async () => {
    const res = await fetch(as.endpoints.token, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: as.clients.service.clientId,
        client_secret: as.clients.service.clientSecret,
        audience: 'https://api.example.com/',
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string };
    const { payload, protectedHeader } = await verify(as, body.access_token);
    expect(protectedHeader.typ).toBe('JWT');
    expect(payload).toMatchObject({
      aud: 'https://api.example.com/',
      sub: 'mcp-service@clients',
      azp: 'mcp-service',
      gty: 'client-credentials',
      permissions: ['other'],
      scope: 'other',
    });
  });

  it('an unknown audience is invalid_target', async () => {
    const res = await fetch(as.endpoints.token, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: as.clients.service.clientId,
        client_secret: as.clients.service.clientSecret,
        audience: 'https://unknown.example.com/',
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_target');
  });

  it('the RFC 9068 profile option gives typ at+jwt and client_id', async () => {
    const rfc = await start({
      profile: 'auth0',
      auth0Rfc9068Profile: true,
      resources: [{ uri: MCP, scopes: ['read:tools'] }],
    });
    try {
      const token = await rfc.getToken({ resource: MCP });
      expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
      expect(decodeJwt(token)).toMatchObject({ client_id: 'mcp-service', azp: 'mcp-service' });
    } finally {
      await rfc.stop();
    }
  });

  it('has dynamic registration', () => {
    expect(as.endpoints.registration).toBe(`${as.origin}/oidc/register`);
  });
});

describe('okta profile', () => {
  let as: DevAuthServer;
  beforeAll(async () => {
    as = await start({
      profile: 'okta',
      resources: [
        { uri: MCP, scopes: ['mcp.tools', 'mcp.read'] },
        { uri: 'http://127.0.0.1:3009/opaque', scopes: ['mcp.tools'], format: 'opaque' },
      ],
    });
  });
  afterAll(() => as?.stop());

  it('has the issuer http://127.0.0.1:P/oauth2/default', () => {
    expect(as.issuer).toBe(`${as.origin}/oauth2/default`);
    expect(as.endpoints.token).toBe(`${as.issuer}/v1/token`);
    expect(as.endpoints.introspection).toBe(`${as.issuer}/v1/introspect`);
    expect(as.jwksUri).toBe(`${as.issuer}/v1/keys`);
  });

  it.each([
    ['/oauth2/default/.well-known/openid-configuration', 200],
    ['/oauth2/default/.well-known/oauth-authorization-server', 200],
    ['/.well-known/oauth-authorization-server/oauth2/default', 404],
    ['/.well-known/openid-configuration/oauth2/default', 404],
    ['/.well-known/openid-configuration', 404],
  ])('serves both documents under the issuer path: %s -> %i', async (path, expected) => {
    expect(await status(as.origin + path)).toBe(expected);
  });

  it('both documents report the issuer and S256', async () => {
    for (const url of [
      ...as.discoveryUrls.openidConfiguration,
      ...as.discoveryUrls.oauthAuthorizationServer,
    ]) {
      const doc = (await (await fetch(url)).json()) as Record<string, unknown>;
      expect(doc.issuer).toBe(as.issuer);
      expect(doc.code_challenge_methods_supported).toEqual(['S256']);
      expect(doc.introspection_endpoint).toBe(`${as.issuer}/v1/introspect`);
    }
  });

  it('user tokens: aud api://default, scp array, cid, uid, no scope, no client_id, no typ', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, scope: 'openid mcp.tools' });
    const { payload, protectedHeader } = await verify(as, t.access_token);
    expect(protectedHeader).not.toHaveProperty('typ');
    expect(payload).toMatchObject({
      iss: as.issuer,
      aud: 'api://default',
      scp: ['openid', 'mcp.tools'],
      cid: 'mcp-public',
      uid: 'user-1',
      sub: 'user1@example.com',
      ver: 1,
    });
    expect(payload).not.toHaveProperty('scope');
    expect(payload).not.toHaveProperty('client_id');
  });

  it('client_credentials tokens: cid, scp, sub = client', async () => {
    const { payload } = await verify(as, await as.getToken({ resource: MCP, scope: 'mcp.read' }));
    expect(payload).toMatchObject({
      aud: 'api://default',
      scp: ['mcp.read'],
      cid: 'mcp-service',
      sub: 'mcp-service',
    });
    expect(payload).not.toHaveProperty('uid');
  });

  it('a request without resource gets the default audience too', async () => {
    const t = await as.authorizationCodeFlow({ resource: null, scope: 'mcp.tools' });
    expect(decodeJwt(t.access_token)).toMatchObject({ aud: 'api://default', scp: ['mcp.tools'] });
  });

  it('oktaAudience changes aud', async () => {
    const custom = await start({
      profile: 'okta',
      oktaAudience: 'api://mcp',
      resources: [{ uri: MCP, scopes: ['a'] }],
    });
    try {
      expect(decodeJwt(await custom.getToken({ resource: MCP })).aud).toBe('api://mcp');
    } finally {
      await custom.stop();
    }
  });

  it('introspection works (opaque format), and reports inactive after revocation', async () => {
    const token = await as.getToken({ resource: 'http://127.0.0.1:3009/opaque' });
    expect(await as.introspect(token)).toMatchObject({
      active: true,
      aud: 'api://default',
      client_id: 'mcp-service',
      scope: 'mcp.tools',
    });
    await as.revoke(token);
    expect(await as.introspect(token)).toEqual({ active: false });
  });

  it('introspects its JWT access tokens like Okta does (scope string, client_id from cid), and revokes them', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, scope: 'openid mcp.tools' });
    expect(await as.introspect(t.access_token)).toMatchObject({
      active: true,
      aud: 'api://default',
      scope: 'openid mcp.tools',
      scp: ['openid', 'mcp.tools'],
      client_id: 'mcp-public',
      cid: 'mcp-public',
      uid: 'user-1',
      token_type: 'Bearer',
    });
    await as.revoke(t.access_token, { clientId: 'mcp-public' });
    expect(await as.introspect(t.access_token)).toEqual({ active: false });
  });

  it('has no dynamic registration', () => {
    expect(as.metadata).not.toHaveProperty('registration_endpoint');
  });
});

describe('entra profile (Entra ID v2 as it really is)', () => {
  const APP = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
  const API = `api://${APP}`;
  let as: DevAuthServer;
  beforeAll(async () => {
    as = await start({
      profile: 'entra',
      resources: [{ uri: MCP, scopes: ['mcp.read', 'Tools.Run'] }],
      users: [{ sub: 'user-1', email: 'user1@example.com', name: 'User One', password: 'pw' }],
    });
  });
  afterAll(() => as?.stop());

  /** A raw token request as mcp-service. */
  async function tokenRequest(params: Record<string, string>) {
    const { clientId, clientSecret } = as.clients.service;
    const res = await fetch(as.endpoints.token, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('has an issuer like https://login.microsoftonline.com/<tid>/v2.0 and OpenID discovery only', async () => {
    expect(as.issuer).toBe(`${as.origin}/00000000-0000-4000-8000-000000000000/v2.0`);
    expect(await status(`${as.issuer}/.well-known/openid-configuration`)).toBe(200);
    expect(
      await status(
        `${as.origin}/.well-known/oauth-authorization-server/00000000-0000-4000-8000-000000000000/v2.0`,
      ),
    ).toBe(404);
    expect(as.endpoints.token).toBe(`${as.issuer}/oauth2/v2.0/token`);
    expect(as.jwksUri).toBe(`${as.issuer}/discovery/v2.0/keys`);
    expect(as.metadata).not.toHaveProperty('registration_endpoint');
  });

  it('discovery lists the OpenID scopes only (API scopes live on the app registration)', () => {
    expect(as.metadata.scopes_supported).toEqual(['openid', 'offline_access', 'profile', 'email']);
  });

  it('delegated tokens: aud = the API application id, scp string of short names, azp, tid, oid, ver 2.0, typ JWT', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, scope: `openid ${API}/mcp.read` });
    expect(t.scope).toBe(`${API}/mcp.read`);
    const { payload, protectedHeader } = await verify(as, t.access_token);
    expect(protectedHeader.typ).toBe('JWT');
    expect(payload).toMatchObject({
      iss: as.issuer,
      aud: APP,
      scp: 'mcp.read',
      azp: 'mcp-public',
      tid: '00000000-0000-4000-8000-000000000000',
      ver: '2.0',
      sub: 'user-1',
      preferred_username: 'user1@example.com',
      name: 'User One',
    });
    expect(payload.oid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(payload.uti).toBe(payload.jti);
    for (const absent of ['scope', 'client_id', 'roles'])
      expect(payload).not.toHaveProperty(absent);
  });

  it('delegated: api://<app>/.default is every scope of the API; the helper asks for all by name', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, scope: `${API}/.default` });
    expect(decodeJwt(t.access_token).scp).toBe('mcp.read Tools.Run');
    const byDefault = await as.authorizationCodeFlow({ resource: MCP });
    expect(byDefault.scope).toBe(`${API}/mcp.read ${API}/Tools.Run`);
    expect(decodeJwt(byDefault.access_token).scp).toBe('mcp.read Tools.Run');
  });

  it('delegated: a short scope name is not the API’s (no scp), as in Entra', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, scope: 'openid mcp.read' });
    expect(decodeJwt(t.access_token)).not.toHaveProperty('scp');
  });

  it('app-only tokens (client credentials with api://<app>/.default): roles array, idtyp app, no scp', async () => {
    const r = await as.clientCredentials({ resource: MCP });
    expect(r.scope).toBe(`${API}/.default`);
    const { payload } = await verify(as, r.access_token);
    expect(payload).toMatchObject({
      aud: APP,
      roles: ['mcp.read', 'Tools.Run'],
      idtyp: 'app',
      azp: 'mcp-service',
      ver: '2.0',
    });
    expect(payload.sub).toBe(payload.oid);
    expect(payload).not.toHaveProperty('scp');
    expect(payload).not.toHaveProperty('scope');
  });

  it('introspection reports the scp scopes as scope', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, scope: `${API}/mcp.read` });
    expect(await as.introspect(t.access_token)).toMatchObject({ active: true, scope: 'mcp.read' });
  });

  it.each([
    ['a named scope', { scope: `${API}/mcp.read` }],
    ['no scope', {}],
    ['another app’s .default', { scope: 'api://other/.default' }],
  ])('client credentials with %s is invalid_scope (AADSTS1002012)', async (_name, params) => {
    const r = await tokenRequest(params);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_scope');
    expect(r.body.error_description).toMatch(/^AADSTS1002012: /);
  });

  it('the resource parameter is refused at /token (invalid_request, AADSTS901002)', async () => {
    const r = await tokenRequest({ scope: `${API}/.default`, resource: MCP });
    expect(r).toEqual({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: "AADSTS901002: The 'resource' request parameter is not supported.",
      },
    });
  });

  it('the resource parameter is refused at /authorize (invalid_request back to the client)', async () => {
    const err = await as
      .authorize({ resource: MCP, extraParams: { resource: MCP } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ERR_OAUTH',
      error: 'invalid_request',
      errorDescription: "AADSTS901002: The 'resource' request parameter is not supported.",
    });
  });

  it('entraAudience set to the Application ID URI: aud and the scope prefix follow', async () => {
    const other = await start({
      profile: 'entra',
      entraAudience: 'api://my-api',
      resources: [{ uri: MCP, scopes: ['a'] }],
    });
    try {
      const r = await other.clientCredentials({ resource: MCP });
      expect(r.scope).toBe('api://my-api/.default');
      expect(decodeJwt(r.access_token)).toMatchObject({ aud: 'api://my-api', roles: ['a'] });
    } finally {
      await other.stop();
    }
  });

  it('entraAppIdUri names the scope prefix while aud stays the GUID', async () => {
    const other = await start({
      profile: 'entra',
      entraAppIdUri: 'api://contoso.example/mcp',
      resources: [{ uri: MCP, scopes: ['Files.Read'] }],
    });
    try {
      const t = await other.authorizationCodeFlow({
        resource: MCP,
        scope: 'openid api://contoso.example/mcp/Files.Read',
      });
      expect(decodeJwt(t.access_token)).toMatchObject({ aud: APP, scp: 'Files.Read' });
      await expect(start({ profile: 'okta', entraAppIdUri: 'api://x' } as never)).rejects.toThrow(
        '"entraAppIdUri" applies to profile "entra" only',
      );
    } finally {
      await other.stop();
    }
  });
});

describe('keycloak profile', () => {
  let as: DevAuthServer;
  beforeAll(async () => {
    as = await start({ profile: 'keycloak', resources: [{ uri: MCP, scopes: ['mcp:read'] }] });
  });
  afterAll(() => as?.stop());

  it('has an issuer like https://host/realms/<realm>, OpenID and RFC 8414 discovery', async () => {
    expect(as.issuer).toBe(`${as.origin}/realms/mcp`);
    expect(await status(`${as.issuer}/.well-known/openid-configuration`)).toBe(200);
    expect(await status(`${as.origin}/.well-known/oauth-authorization-server/realms/mcp`)).toBe(
      200,
    );
    expect(as.endpoints.token).toBe(`${as.issuer}/protocol/openid-connect/token`);
    expect(as.jwksUri).toBe(`${as.issuer}/protocol/openid-connect/certs`);
    expect(as.endpoints.registration).toBe(`${as.issuer}/clients-registrations/openid-connect`);
  });

  it('user tokens: typ Bearer claim, azp, aud [resource, account], scope string, roles', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, scope: 'openid mcp:read' });
    const { payload, protectedHeader } = await verify(as, t.access_token);
    expect(protectedHeader.typ).toBe('JWT');
    expect(payload).toMatchObject({
      typ: 'Bearer',
      azp: 'mcp-public',
      aud: [MCP, 'account'],
      scope: 'openid mcp:read',
      preferred_username: 'user1@example.com',
      email: 'user1@example.com',
      realm_access: { roles: ['default-roles-mcp', 'offline_access', 'uma_authorization'] },
    });
    expect(payload).not.toHaveProperty('client_id');
  });

  it('ID tokens say typ "ID"; userinfo does not carry it', async () => {
    const t = await as.authorizationCodeFlow({ resource: null, scope: 'openid' });
    expect(decodeJwt(t.id_token as string)).toMatchObject({ typ: 'ID', sub: 'user-1' });
    const info = await fetch(as.endpoints.userinfo, {
      headers: { authorization: `Bearer ${t.access_token}` },
    });
    expect(info.status).toBe(200);
    expect(await info.json()).toEqual({ sub: 'user-1' });
  });

  it('service-account tokens carry client_id and preferred_username service-account-<client>', async () => {
    const { payload } = await verify(as, await as.getToken({ resource: MCP }));
    expect(payload).toMatchObject({
      typ: 'Bearer',
      azp: 'mcp-service',
      client_id: 'mcp-service',
      preferred_username: 'service-account-mcp-service',
      scope: 'mcp:read',
    });
  });

  it('without an audience mapper aud is just "account"', async () => {
    const plain = await start({
      profile: 'keycloak',
      keycloakAudienceMapper: false,
      resources: [{ uri: MCP, scopes: ['a'] }],
    });
    try {
      expect(decodeJwt(await plain.getToken({ resource: MCP })).aud).toBe('account');
    } finally {
      await plain.stop();
    }
  });
});
