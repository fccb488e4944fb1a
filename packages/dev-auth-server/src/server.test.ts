import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevAuthServer, DevAuthServerError, start } from './index.js';

const MCP = 'http://127.0.0.1:3000/mcp';
const OTHER = 'http://127.0.0.1:3001/mcp';
const OPAQUE = 'http://127.0.0.1:3002/mcp';

let as: DevAuthServer;

beforeAll(async () => {
  as = await start({
    resources: [
      { uri: MCP, scopes: ['mcp:tools', 'mcp:read'] },
      { uri: OTHER, scopes: ['other:read'] },
      { uri: OPAQUE, scopes: ['mcp:tools'], format: 'opaque' },
    ],
  });
});
afterAll(async () => {
  await as?.stop();
});

async function expectOAuthError(p: Promise<unknown>, error: string): Promise<DevAuthServerError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DevAuthServerError);
  expect((err as DevAuthServerError).code).toBe('ERR_OAUTH');
  expect((err as DevAuthServerError).error).toBe(error);
  return err as DevAuthServerError;
}

async function postForm(url: string, form: Record<string, string>, auth?: [string, string]) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth)
    headers.authorization = `Basic ${Buffer.from(`${auth[0]}:${auth[1]}`).toString('base64')}`;
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('discovery', () => {
  it('serves RFC 8414 and OpenID discovery at the root for an issuer without a path', async () => {
    expect(as.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const path of [
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
    ]) {
      const res = await fetch(as.origin + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const doc = (await res.json()) as Record<string, unknown>;
      expect(doc.issuer).toBe(as.issuer);
      expect(doc.code_challenge_methods_supported).toEqual(['S256']);
      expect(doc.response_types_supported).toEqual(['code']);
      expect(doc.grant_types_supported).not.toContain('implicit');
      expect(doc.authorization_response_iss_parameter_supported).toBe(true);
      expect(doc.registration_endpoint).toBe(`${as.issuer}/register`);
      expect(doc).toEqual(as.metadata);
    }
    expect(as.discoveryUrls.oauthAuthorizationServer).toEqual([
      `${as.origin}/.well-known/oauth-authorization-server`,
    ]);
  });

  it('lists the resource scopes in scopes_supported', () => {
    expect(as.metadata.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'mcp:tools', 'mcp:read', 'other:read']),
    );
  });

  it.each([
    ['/.well-known/oauth-protected-resource', 404],
    ['/.well-known/unknown', 404],
    ['/.well-known/oauth-authorization-server/extra', 404],
  ])('GET %s -> %i', async (path, status) => {
    const res = await fetch(as.origin + path);
    expect(res.status).toBe(status);
    await res.body?.cancel();
  });

  it('answers 405 to a POST on a discovery document', async () => {
    const res = await fetch(`${as.origin}/.well-known/openid-configuration`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    await res.body?.cancel();
  });

  it('inserts the well-known segment before the issuer path (RFC 8414 §3.1) and never serves the root', async () => {
    const tenant = await start({
      issuerPath: '/tenant1',
      resources: [{ uri: MCP, scopes: ['a'] }],
    });
    try {
      expect(tenant.issuer).toBe(`${tenant.origin}/tenant1`);
      const expectations: [string, number][] = [
        ['/.well-known/oauth-authorization-server/tenant1', 200],
        ['/.well-known/openid-configuration/tenant1', 200],
        ['/tenant1/.well-known/openid-configuration', 200],
        ['/.well-known/oauth-authorization-server', 404],
        ['/.well-known/openid-configuration', 404],
        ['/tenant1/.well-known/oauth-authorization-server', 404],
      ];
      for (const [path, status] of expectations) {
        const res = await fetch(tenant.origin + path);
        expect([path, res.status]).toEqual([path, status]);
        if (status === 200) {
          const doc = (await res.json()) as Record<string, unknown>;
          expect(doc.issuer).toBe(tenant.issuer);
          expect(doc.token_endpoint).toBe(`${tenant.issuer}/token`);
        } else {
          await res.body?.cancel();
        }
      }
      const token = await tenant.getToken({ resource: MCP });
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(tenant.jwksUri)), {
        issuer: tenant.issuer,
        audience: MCP,
      });
      expect(payload.scope).toBe('a');
    } finally {
      await tenant.stop();
    }
  });
});

describe('authorization code + PKCE + resource (non-interactive)', () => {
  it('yields a JWT whose aud is the resource and whose signature verifies against the JWKS', async () => {
    const tokens = await as.authorizationCodeFlow({ resource: MCP, scope: 'mcp:tools' });
    expect(tokens.token_type).toBe('Bearer');
    // expires_in counts from the response, so a second boundary may have passed since iat
    expect(tokens.expires_in).toBeGreaterThanOrEqual(3598);
    expect(tokens.expires_in).toBeLessThanOrEqual(3600);
    expect(tokens.scope).toBe('mcp:tools');
    expect(typeof tokens.refresh_token).toBe('string');
    const header = decodeProtectedHeader(tokens.access_token);
    expect(header.typ).toBe('at+jwt');
    expect(header.alg).toBe('RS256');
    const { payload } = await jwtVerify(
      tokens.access_token,
      createRemoteJWKSet(new URL(as.jwksUri)),
      {
        issuer: as.issuer,
        audience: MCP,
        typ: 'at+jwt',
        algorithms: ['RS256'],
      },
    );
    expect(payload).toMatchObject({
      aud: MCP,
      sub: 'user-1',
      client_id: 'mcp-public',
      scope: 'mcp:tools',
      iss: as.issuer,
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
  });

  it('uses every scope of the resource when none is given', async () => {
    const tokens = await as.authorizationCodeFlow({ resource: MCP });
    expect(decodeJwt(tokens.access_token).scope).toBe('mcp:tools mcp:read');
  });

  it('signs in the user named by `user`', async () => {
    const two = await start({
      resources: [{ uri: MCP, scopes: ['a'] }],
      users: [
        { sub: 'alice', password: 'pw-a', email: 'alice@example.com' },
        { sub: 'bob', password: 'pw-b', email: 'bob@example.com' },
      ],
    });
    try {
      expect(decodeJwt((await two.authorizationCodeFlow({ resource: MCP })).access_token).sub).toBe(
        'alice',
      );
      const bob = await two.authorizationCodeFlow({ resource: MCP, user: 'bob@example.com' });
      expect(decodeJwt(bob.access_token).sub).toBe('bob');
      await expect(
        two.authorizationCodeFlow({ resource: MCP, user: 'carol' }),
      ).rejects.toMatchObject({
        code: 'ERR_INTERACTION',
      });
    } finally {
      await two.stop();
    }
  });

  it('a login_hint naming no user ends the request with access_denied', async () => {
    const err = await expectOAuthError(
      as.authorize({ resource: MCP, extraParams: { login_hint: 'nobody@example.com' } }),
      'access_denied',
    );
    expect(err.errorDescription).toBe('unknown login_hint');
  });

  it('returns iss in the authorization response (RFC 9207)', async () => {
    const a = await as.authorize({ resource: MCP });
    expect(a.iss).toBe(as.issuer);
  });

  it('refuses a wrong code_verifier with invalid_grant', async () => {
    const a = await as.authorize({ resource: MCP });
    await expectOAuthError(
      as.exchangeCode({
        code: a.code,
        codeVerifier: `${a.codeVerifier.slice(0, -1)}${a.codeVerifier.endsWith('A') ? 'B' : 'A'}`,
        redirectUri: a.redirectUri,
        resource: MCP,
      }),
      'invalid_grant',
    );
  });

  it('refuses a code used twice', async () => {
    const a = await as.authorize({ resource: MCP });
    await as.exchangeCode({ ...a, resource: MCP });
    await expectOAuthError(as.exchangeCode({ ...a, resource: MCP }), 'invalid_grant');
  });

  it('refuses a token request without code_verifier', async () => {
    const a = await as.authorize({ resource: MCP });
    const r = await postForm(as.endpoints.token, {
      grant_type: 'authorization_code',
      code: a.code,
      redirect_uri: a.redirectUri,
      client_id: 'mcp-public',
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
  });

  it.each([
    ['no code_challenge', {}, 'invalid_request'],
    [
      'plain method',
      { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
      'invalid_request',
    ],
  ])('/authorize with %s is refused (PKCE required, S256 only)', async (_name, pkce, error) => {
    for (const client of ['mcp-public', 'mcp-confidential']) {
      const url = new URL(as.endpoints.authorization);
      const params = {
        response_type: 'code',
        client_id: client,
        redirect_uri: 'http://127.0.0.1:4567/callback',
        scope: 'mcp:tools',
        resource: MCP,
        state: 's',
        ...pkce,
      };
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get('location') ?? '');
      expect(location.origin + location.pathname).toBe('http://127.0.0.1:4567/callback');
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('state')).toBe('s');
    }
  });

  it.each([
    'http://127.0.0.1:1/callback',
    'http://127.0.0.1:65535/callback',
    'http://localhost:8080/oauth/callback',
    'http://[::1]:5000/callback',
  ])('accepts the loopback redirect URI %s on any port (RFC 8252 §7.3)', async (redirectUri) => {
    const tokens = await as.authorizationCodeFlow({ resource: MCP, redirectUri });
    expect(decodeJwt(tokens.access_token).aud).toBe(MCP);
  });

  it.each([
    'http://evil.example/callback',
    'http://127.0.0.1:4000/other-path',
    'https://127.0.0.1:4000/callback',
  ])('never redirects to the unregistered %s', async (redirectUri) => {
    const err = await as.authorize({ resource: MCP, redirectUri }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevAuthServerError);
    expect((err as DevAuthServerError).status).toBe(400);
    expect((err as DevAuthServerError).error).toBe('invalid_redirect_uri');
  });

  it('works for the confidential client with its secret', async () => {
    const tokens = await as.authorizationCodeFlow({
      resource: MCP,
      clientId: as.clients.confidential.clientId,
      clientSecret: as.clients.confidential.clientSecret,
    });
    expect(decodeJwt(tokens.access_token).client_id).toBe('mcp-confidential');
  });

  it('refuses the confidential client with a wrong secret (invalid_client)', async () => {
    await expectOAuthError(
      as.authorizationCodeFlow({
        resource: MCP,
        clientId: 'mcp-confidential',
        clientSecret: 'nope',
      }),
      'invalid_client',
    );
  });

  it('gives invalid_target for an unknown resource at /authorize', async () => {
    await expectOAuthError(
      as.authorize({ resource: 'http://127.0.0.1:9/unknown' }),
      'invalid_target',
    );
  });

  it('refuses a token request for a resource other than the granted one', async () => {
    const a = await as.authorize({ resource: MCP });
    await expectOAuthError(as.exchangeCode({ ...a, resource: OTHER }), 'invalid_target');
  });
});

describe('browser clients (CORS at the token endpoint)', () => {
  it.each([
    ['http://127.0.0.1:5173', 200],
    ['http://localhost:8080', 200],
    ['https://evil.example', 400],
  ])('a public client’s token request from Origin %s -> %i', async (origin, status) => {
    const a = await as.authorize({ resource: MCP });
    const res = await fetch(as.endpoints.token, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: a.code,
        code_verifier: a.codeVerifier,
        redirect_uri: a.redirectUri,
        client_id: 'mcp-public',
        resource: MCP,
      }),
    });
    expect(res.status).toBe(status);
    const body = (await res.json()) as Record<string, unknown>;
    if (status === 200) {
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(body.access_token).toBeTypeOf('string');
    } else {
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(body.error).toBe('invalid_request');
    }
  });
});

describe('refresh tokens', () => {
  it('refresh yields a new access token for the same resource, rotating the public client refresh token', async () => {
    const first = await as.authorizationCodeFlow({ resource: MCP, scope: 'mcp:tools' });
    const second = await as.refresh({ refreshToken: first.refresh_token as string, resource: MCP });
    expect(second.access_token).not.toBe(first.access_token);
    const { payload } = await jwtVerify(
      second.access_token,
      createRemoteJWKSet(new URL(as.jwksUri)),
      {
        issuer: as.issuer,
        audience: MCP,
      },
    );
    expect(payload.scope).toBe('mcp:tools');
    expect(second.refresh_token).toBeTypeOf('string');
    expect(second.refresh_token).not.toBe(first.refresh_token);
    // the rotated refresh token is spent
    await expectOAuthError(
      as.refresh({ refreshToken: first.refresh_token as string, resource: MCP }),
      'invalid_grant',
    );
  });

  it('reusing a rotated refresh token revokes the whole grant (RFC 9700 §4.14)', async () => {
    const first = await as.authorizationCodeFlow({ resource: OPAQUE });
    const second = await as.refresh({
      refreshToken: first.refresh_token as string,
      resource: OPAQUE,
    });
    expect((await as.introspect(second.access_token)).active).toBe(true);
    await expectOAuthError(
      as.refresh({ refreshToken: first.refresh_token as string, resource: OPAQUE }),
      'invalid_grant',
    );
    // the replay took down every token of the grant
    await expectOAuthError(
      as.refresh({ refreshToken: second.refresh_token as string, resource: OPAQUE }),
      'invalid_grant',
    );
    expect(await as.introspect(second.access_token)).toEqual({ active: false });
  });

  it('revoking a refresh token revokes the access tokens of its grant', async () => {
    const t = await as.authorizationCodeFlow({ resource: OPAQUE });
    expect((await as.introspect(t.access_token)).active).toBe(true);
    await as.revoke(t.refresh_token as string, { clientId: 'mcp-public' });
    expect(await as.introspect(t.access_token)).toEqual({ active: false });
  });

  it('a refresh token introspects as active for the resource server', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP });
    const info = await as.introspect(t.refresh_token as string);
    expect(info).toMatchObject({ active: true, client_id: 'mcp-public', sub: 'user-1' });
  });
});

describe('client credentials', () => {
  it('getToken returns a JWT for the resource with the requested scopes', async () => {
    const token = await as.getToken({ resource: MCP, scope: 'mcp:read' });
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(as.jwksUri)),
      { issuer: as.issuer, audience: MCP, typ: 'at+jwt' },
    );
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      sub: 'mcp-service',
      client_id: 'mcp-service',
      scope: 'mcp:read',
    });
  });

  it('gives invalid_target for an unknown resource', async () => {
    await expectOAuthError(
      as.getToken({ resource: 'http://127.0.0.1:9/unknown' }),
      'invalid_target',
    );
  });

  it('gives invalid_target for a resource with a fragment', async () => {
    await expectOAuthError(as.getToken({ resource: `${MCP}#x` }), 'invalid_target');
  });

  it('drops a scope the resource does not have, and says so in the response (RFC 6749 §3.3)', async () => {
    const t = await as.clientCredentials({ resource: MCP, scope: 'other:read mcp:read' });
    expect(t.scope).toBe('mcp:read');
    expect(decodeJwt(t.access_token).scope).toBe('mcp:read');
  });

  it('a token for one resource is not for another', async () => {
    const token = await as.getToken({ resource: OTHER });
    await expect(
      jwtVerify(token, createRemoteJWKSet(new URL(as.jwksUri)), {
        issuer: as.issuer,
        audience: MCP,
      }),
    ).rejects.toThrow(/aud/);
  });

  it('refuses a wrong client secret with invalid_client (401)', async () => {
    const err = await expectOAuthError(
      as.getToken({ resource: MCP, clientId: 'mcp-service', clientSecret: 'wrong' }),
      'invalid_client',
    );
    expect(err.status).toBe(401);
  });

  it('refuses the grant for a client not registered for it (oidc-provider answers invalid_request)', async () => {
    const err = await expectOAuthError(
      as.getToken({ resource: MCP, clientId: 'mcp-confidential' }),
      'invalid_request',
    );
    expect(err.errorDescription).toBe('requested grant type is not allowed for this client');
  });
});

describe('opaque tokens, introspection and revocation', () => {
  it('an opaque token introspects as active, and as inactive after revocation', async () => {
    const token = await as.getToken({ resource: OPAQUE });
    expect(token).not.toMatch(/\./);
    const info = await as.introspect(token);
    expect(info).toMatchObject({
      active: true,
      aud: OPAQUE,
      client_id: 'mcp-service',
      scope: 'mcp:tools',
      iss: as.issuer,
      token_type: 'Bearer',
    });
    expect(info.exp).toBeTypeOf('number');
    await as.revoke(token);
    expect(await as.introspect(token)).toEqual({ active: false });
  });

  it('an opaque token from the code flow carries the user', async () => {
    const t = await as.authorizationCodeFlow({ resource: OPAQUE });
    expect(await as.introspect(t.access_token)).toMatchObject({
      active: true,
      sub: 'user-1',
      client_id: 'mcp-public',
      aud: OPAQUE,
    });
  });

  it('an unknown token introspects as inactive', async () => {
    expect(await as.introspect('not-a-token')).toEqual({ active: false });
  });

  it('introspection requires client authentication', async () => {
    const token = await as.getToken({ resource: OPAQUE });
    const anonymous = await postForm(as.endpoints.introspection, { token });
    expect(anonymous.status).toBe(400);
    expect(anonymous.body.error).toBe('invalid_request');
    const wrong = await postForm(as.endpoints.introspection, { token }, ['mcp-introspector', 'x']);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
  });

  it('a public client cannot introspect someone else’s token', async () => {
    const token = await as.getToken({ resource: OPAQUE });
    const r = await postForm(as.endpoints.introspection, { token, client_id: 'mcp-public' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ active: false });
  });

  it('the owning client can revoke its token', async () => {
    const token = await as.getToken({ resource: OPAQUE });
    await as.revoke(token, { clientId: 'mcp-service' });
    expect((await as.introspect(token)).active).toBe(false);
  });

  it('revoking a refresh token makes it unusable', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP });
    await as.revoke(t.refresh_token as string, { tokenTypeHint: 'refresh_token' });
    await expectOAuthError(
      as.refresh({ refreshToken: t.refresh_token as string, resource: MCP }),
      'invalid_grant',
    );
  });
});

describe('per-request token format', () => {
  it('getToken({ format }) overrides the resource format both ways, same aud', async () => {
    const opaque = await as.getToken({ resource: MCP, format: 'opaque' });
    expect(opaque).not.toContain('.');
    expect(await as.introspect(opaque)).toMatchObject({ active: true, aud: MCP });
    const jwt = await as.getToken({ resource: OPAQUE, format: 'jwt' });
    expect(decodeProtectedHeader(jwt).typ).toBe('at+jwt');
    expect(decodeJwt(jwt).aud).toBe(OPAQUE);
  });

  it('the code flow and refresh take it too', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, format: 'opaque' });
    expect(t.access_token).not.toContain('.');
    expect(await as.introspect(t.access_token)).toMatchObject({
      active: true,
      sub: 'user-1',
      aud: MCP,
    });
    const r = await as.refresh({ refreshToken: t.refresh_token as string, resource: MCP });
    expect(decodeJwt(r.access_token).aud).toBe(MCP);
    const r2 = await as.refresh({
      refreshToken: r.refresh_token as string,
      resource: MCP,
      format: 'opaque',
    });
    expect(r2.access_token).not.toContain('.');
  });

  it('an unknown value is ignored (the resource format applies)', async () => {
    const r = await postForm(
      as.endpoints.token,
      { grant_type: 'client_credentials', resource: MCP, x_dev_token_format: 'paseto' },
      ['mcp-service', as.clients.service.clientSecret],
    );
    expect(r.status).toBe(200);
    expect(decodeProtectedHeader(r.body.access_token as string).typ).toBe('at+jwt');
  });
});

describe('JWT access tokens at the introspection and revocation endpoints', () => {
  it('a JWT access token introspects as active with its claims', async () => {
    const token = await as.getToken({ resource: MCP, scope: 'mcp:tools' });
    const claims = decodeJwt(token);
    expect(await as.introspect(token)).toEqual({
      ...claims,
      active: true,
      token_type: 'Bearer',
    });
  });

  it('a JWT from the code flow carries the user', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP });
    expect(await as.introspect(t.access_token)).toMatchObject({
      active: true,
      sub: 'user-1',
      client_id: 'mcp-public',
      aud: MCP,
      scope: 'mcp:tools mcp:read',
    });
  });

  it('a revoked JWT introspects as inactive (it still verifies locally: that is what JWTs are)', async () => {
    const token = await as.getToken({ resource: MCP });
    await as.revoke(token);
    expect(await as.introspect(token)).toEqual({ active: false });
  });

  it('the owner may revoke its JWT; another confidential client may not', async () => {
    const token = await as.getToken({ resource: MCP });
    const other = await postForm(as.endpoints.revocation, { token }, [
      'mcp-confidential',
      as.clients.confidential.clientSecret,
    ]);
    expect(other.status).toBe(400);
    expect(other.body.error).toBe('invalid_request');
    expect((await as.introspect(token)).active).toBe(true);
    await as.revoke(token, { clientId: 'mcp-service' });
    expect((await as.introspect(token)).active).toBe(false);
  });

  it('an ID token signed by the same keys is not an active access token', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, scope: 'openid mcp:tools' });
    expect(t.id_token).toBeTypeOf('string');
    expect(await as.introspect(t.id_token as string)).toEqual({ active: false });
  });

  it('a forged JWT (same claims, key not the server’s) is inactive', async () => {
    const real = decodeJwt(await as.getToken({ resource: MCP }));
    const kid = decodeProtectedHeader(await as.getToken({ resource: MCP })).kid as string;
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(real)
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
      .sign(privateKey);
    expect(await as.introspect(forged)).toEqual({ active: false });
  });

  it.each([
    ['no client authentication', {}, undefined, 400, 'invalid_request'],
    [
      'a wrong secret',
      {},
      ['mcp-introspector', 'wrong'] as [string, string],
      401,
      'invalid_client',
    ],
    ['an unknown client', {}, ['nobody', 'x'] as [string, string], 401, 'invalid_client'],
    [
      'a secret for a public client',
      { client_id: 'mcp-public', client_secret: 'x' },
      undefined,
      401,
      'invalid_client',
    ],
  ])('JWT introspection with %s -> %i %s', async (_name, extra, auth, status, error) => {
    const token = await as.getToken({ resource: MCP });
    const r = await postForm(as.endpoints.introspection, { token, ...extra }, auth);
    expect(r.status).toBe(status);
    expect(r.body.error).toBe(error);
  });

  it('client_secret_post works too', async () => {
    const token = await as.getToken({ resource: MCP });
    const r = await postForm(as.endpoints.introspection, {
      token,
      client_id: 'mcp-introspector',
      client_secret: as.clients.introspector.clientSecret,
    });
    expect(r.body.active).toBe(true);
  });

  it('a public client sees only its own JWTs', async () => {
    const mine = (await as.authorizationCodeFlow({ resource: MCP })).access_token;
    const theirs = await as.getToken({ resource: MCP });
    const a = await postForm(as.endpoints.introspection, { token: mine, client_id: 'mcp-public' });
    expect(a.body.active).toBe(true);
    const b = await postForm(as.endpoints.introspection, {
      token: theirs,
      client_id: 'mcp-public',
    });
    expect(b.body).toEqual({ active: false });
  });

  it('an oversized body is refused with 400, not buffered', async () => {
    const r = await postForm(as.endpoints.introspection, { token: 'x'.repeat(60_000) }, [
      'mcp-introspector',
      as.clients.introspector.clientSecret,
    ]);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });
});

describe('dynamic client registration (RFC 7591)', () => {
  it('registers a public native client that then completes the code flow on any loopback port', async () => {
    const reg = await as.registerClient({
      client_name: 'test client',
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/my/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    expect(reg.client_id).toBeTypeOf('string');
    expect(reg.client_secret).toBeUndefined();
    expect(reg.registration_access_token).toBeTypeOf('string');
    const tokens = await as.authorizationCodeFlow({
      resource: MCP,
      clientId: reg.client_id as string,
      redirectUri: 'http://127.0.0.1:45678/my/callback',
    });
    const payload = decodeJwt(tokens.access_token);
    expect(payload.client_id).toBe(reg.client_id);
    expect(payload.aud).toBe(MCP);
  });

  it('registers a confidential web client with a secret', async () => {
    const reg = await as.registerClient({
      redirect_uris: ['http://127.0.0.1:7777/cb'],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    });
    expect(reg.client_secret).toBeTypeOf('string');
    expect(reg.token_endpoint_auth_method).toBe('client_secret_basic');
    const token = await as.getToken({
      resource: MCP,
      clientId: reg.client_id as string,
      clientSecret: reg.client_secret as string,
    });
    expect(decodeJwt(token).client_id).toBe(reg.client_id);
  });

  // The body the official MCP SDK client's auth() (and the MCP Inspector) sends to the registration
  // endpoint: a public client on a loopback redirect, with `scope` = the resource's scopes_supported.
  const sdkRegistration = (scope: string) => ({
    client_name: 'MCP Inspector',
    redirect_uris: ['http://localhost:6274/oauth/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope,
  });

  it('accepts the MCP SDK client’s registration with resource scopes in `scope` (201, scope echoed)', async () => {
    const res = await fetch(as.endpoints.registration as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(sdkRegistration('mcp:tools mcp:read')),
    });
    expect(res.status).toBe(201);
    const reg = (await res.json()) as Record<string, unknown>;
    expect(reg.scope).toBe('mcp:tools mcp:read');
    expect(reg.token_endpoint_auth_method).toBe('none');
    expect(reg.client_secret).toBeUndefined();
    const tokens = await as.authorizationCodeFlow({
      resource: MCP,
      scope: 'mcp:tools mcp:read',
      clientId: reg.client_id as string,
      redirectUri: 'http://localhost:6274/oauth/callback',
    });
    const payload = decodeJwt(tokens.access_token);
    expect(payload.client_id).toBe(reg.client_id);
    expect(payload.scope).toBe('mcp:tools mcp:read');
    expect(tokens.refresh_token).toBeTypeOf('string');
  });

  it('accepts OpenID and resource scopes of several resources together', async () => {
    const reg = await as.registerClient(sdkRegistration('openid email mcp:tools other:read'));
    expect(reg.scope).toBe('openid email mcp:tools other:read');
    const tokens = await as.authorizationCodeFlow({
      resource: MCP,
      scope: 'openid mcp:tools',
      clientId: reg.client_id as string,
      redirectUri: 'http://localhost:6274/oauth/callback',
    });
    expect(decodeJwt(tokens.access_token).scope).toBe('mcp:tools');
    expect(tokens.id_token).toBeTypeOf('string');
  });

  it('accepts the scopes of a resource added at run time', async () => {
    const uri = `http://127.0.0.1:3999/mcp-${Date.now()}`;
    as.addResource({ uri, scopes: ['late:scope'] });
    const reg = await as.registerClient(sdkRegistration('late:scope'));
    expect(reg.scope).toBe('late:scope');
  });

  it.each([
    ['a scope no resource has', 'mcp:tools mcp:admin'],
    ['an unknown OpenID-looking scope', 'openid phone'],
  ])('still refuses %s with invalid_client_metadata', async (_name, scope) => {
    const err = await expectOAuthError(
      as.registerClient(sdkRegistration(scope)),
      'invalid_client_metadata',
    );
    expect(err.errorDescription).toBe(
      'scope must only contain Authorization Server supported scope values',
    );
    expect(err.status).toBe(400);
  });

  it.each([
    [{ redirect_uris: ['not a url'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['http://127.0.0.1/cb#frag'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: 'http://127.0.0.1/cb' }, 'invalid_redirect_uri'],
    [
      { token_endpoint_auth_method: 'bogus', redirect_uris: ['http://127.0.0.1/cb'] },
      'invalid_client_metadata',
    ],
  ])('refuses bad metadata %j with %s', async (metadata, error) => {
    await expectOAuthError(as.registerClient(metadata), error);
  });
});

describe('options', () => {
  it.each([
    [{ port: -1 }, '"port"'],
    [{ port: 1.5 }, '"port"'],
    [{ profile: 'ping' }, '"profile"'],
    [{ issuerPath: 'tenant' }, '"issuerPath"'],
    [{ issuerPath: '/tenant/' }, '"issuerPath"'],
    [{ issuerPath: '/t?x=1' }, '"issuerPath"'],
    [{ accessTokenTtlSeconds: 0 }, '"accessTokenTtlSeconds"'],
    [{ resources: {} }, '"resources"'],
    [{ resources: [{ uri: 'relative', scopes: [] }] }, '"resources[0].uri"'],
    [{ resources: [{ uri: 'http://a/#x', scopes: [] }] }, '"resources[0].uri"'],
    [{ resources: [{ uri: 'http://a/', scopes: ['has space'] }] }, '"resources[0].scopes"'],
    [{ resources: [{ uri: 'http://a/', scopes: [], format: 'paseto' }] }, '"resources[0].format"'],
    [{ resources: [{ uri: 'http://a/', scopes: [], alg: 'HS256' }] }, '"resources[0].alg"'],
    [
      {
        resources: [
          { uri: 'http://a/', scopes: [] },
          { uri: 'http://a/', scopes: [] },
        ],
      },
      '"resources[1].uri"',
    ],
    [{ clients: [{}] }, '"clients[0].client_id"'],
    [{ clients: [{ client_id: 'mcp-public' }] }, '"clients[0].client_id"'],
    [{ users: [] }, '"users"'],
    [{ users: [{ sub: 'x' }] }, '"users[0].password"'],
    [
      {
        users: [
          { sub: 'x', password: 'a' },
          { sub: 'x', password: 'b' },
        ],
      },
      '"users[1].sub"',
    ],
    [{ clients: [{ client_id: 'a' }, { client_id: 'a' }] }, '"clients[1].client_id"'],
    [{ oktaAudience: 'api://x' }, '"oktaAudience"'],
    [{ profile: 'okta', oktaAudience: '' }, '"oktaAudience"'],
    [{ profile: 'okta', auth0Rfc9068Profile: true }, '"auth0Rfc9068Profile"'],
    [{ entraAudience: 'x' }, '"entraAudience"'],
    [{ profile: 'okta', keycloakAudienceMapper: false }, '"keycloakAudienceMapper"'],
  ])('%j is a TypeError naming %s', async (opts, name) => {
    await expect(start(opts as never)).rejects.toThrow(TypeError);
    await expect(start(opts as never)).rejects.toThrow(name);
  });

  it('accessTokenTtlSeconds sets the lifetime (a long one for tests with a frozen clock)', async () => {
    const tenYears = 10 * 365 * 24 * 3600;
    const long = await start({
      accessTokenTtlSeconds: tenYears,
      resources: [
        { uri: MCP, scopes: ['a'] },
        { uri: OTHER, scopes: ['a'], accessTokenTtlSeconds: 60 },
      ],
    });
    try {
      const a = decodeJwt(await long.getToken({ resource: MCP }));
      expect((a.exp as number) - (a.iat as number)).toBe(tenYears);
      const b = decodeJwt(await long.getToken({ resource: OTHER }));
      expect((b.exp as number) - (b.iat as number)).toBe(60);
    } finally {
      await long.stop();
    }
  });

  it('listens on 127.0.0.1 only by default', async () => {
    expect(new URL(as.origin).hostname).toBe('127.0.0.1');
  });
});

describe('lifecycle, extra clients, users and userinfo', () => {
  it('stop() releases the port (a new server can take it) and is idempotent', async () => {
    const first = await start();
    const port = Number(new URL(first.origin).port);
    await first.stop();
    await first.stop();
    const second = await start({ port });
    try {
      expect(second.origin).toBe(`http://127.0.0.1:${port}`);
    } finally {
      await second.stop();
    }
  });

  it('helpers of a stopped server reject with ERR_SERVER_UNREACHABLE', async () => {
    const gone = await start({ resources: [{ uri: MCP, scopes: ['a'] }] });
    await gone.stop();
    await expect(gone.getToken({ resource: MCP })).rejects.toMatchObject({
      code: 'ERR_SERVER_UNREACHABLE',
      message: expect.stringContaining('is the server stopped?'),
    });
    await expect(gone.authorizationCodeFlow({ resource: MCP })).rejects.toMatchObject({
      code: 'ERR_SERVER_UNREACHABLE',
    });
  });

  it('a port in use rejects start() with EADDRINUSE', async () => {
    const port = Number(new URL(as.origin).port);
    await expect(start({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('logs through the logger it is given', async () => {
    const lines: string[] = [];
    const logged = await start({ logger: { info: (msg) => lines.push(msg) } });
    await logged.stop();
    expect(lines).toContain('dev-auth-server: listening');
  });

  it('serves many token requests at once', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 40 }, () => as.getToken({ resource: MCP })),
    );
    expect(new Set(tokens).size).toBe(40);
  });

  it('extra clients and users work, and userinfo returns the user’s claims', async () => {
    const custom = await start({
      resources: [{ uri: MCP, scopes: ['a'] }],
      users: [
        {
          sub: 'u-42',
          password: 'pw',
          email: 'x@example.com',
          name: 'X Person',
          claims: { locale: 'fr' },
        },
      ],
      clients: [
        {
          client_id: 'web-app',
          client_secret: 'web-secret',
          redirect_uris: ['https://app.example.com/cb'],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
      ],
    });
    try {
      const t = await custom.authorizationCodeFlow({
        resource: null,
        scope: 'openid email profile',
        clientId: 'web-app',
        clientSecret: 'web-secret',
        redirectUri: 'https://app.example.com/cb',
      });
      const id = decodeJwt(t.id_token as string);
      expect(id).toMatchObject({ sub: 'u-42', aud: 'web-app', iss: custom.issuer });
      const res = await fetch(custom.endpoints.userinfo, {
        headers: { authorization: `Bearer ${t.access_token}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        sub: 'u-42',
        email: 'x@example.com',
        email_verified: true,
        name: 'X Person',
        preferred_username: 'x@example.com',
        locale: 'fr',
      });
      // a resource token for the same client is a JWT for the resource, not for userinfo
      const api = await custom.authorizationCodeFlow({
        resource: MCP,
        clientId: 'web-app',
        clientSecret: 'web-secret',
        redirectUri: 'https://app.example.com/cb',
      });
      expect(decodeJwt(api.access_token)).toMatchObject({
        aud: MCP,
        sub: 'u-42',
        client_id: 'web-app',
      });
    } finally {
      await custom.stop();
    }
  });
});

describe('addResource', () => {
  it('adds a resource at run time: tokens for it, its scopes in discovery', async () => {
    const late = 'http://127.0.0.1:3999/late/mcp';
    await expectOAuthError(as.getToken({ resource: late }), 'invalid_target');
    const added = as.addResource({ uri: late, scopes: ['late:read'], format: 'jwt', alg: 'ES256' });
    expect(added).toEqual({ uri: late, scopes: ['late:read'], format: 'jwt', alg: 'ES256' });
    const token = await as.getToken({ resource: late });
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(as.jwksUri)),
      { issuer: as.issuer, audience: late },
    );
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.scope).toBe('late:read');
    const doc = (await (
      await fetch(`${as.origin}/.well-known/oauth-authorization-server`)
    ).json()) as {
      scopes_supported: string[];
    };
    expect(doc.scopes_supported).toContain('late:read');
    expect(as.resources.map((r) => r.uri)).toContain(late);
  });

  it.each([
    [{ uri: MCP, scopes: [] }, /already configured/],
    [{ uri: 'not absolute', scopes: [] }, /"resource\.uri"/],
    [{ uri: 'http://127.0.0.1:1/x', scopes: ['a b'] }, /"resource\.scopes"/],
  ])('refuses %j with a TypeError', (r, message) => {
    expect(() => as.addResource(r as never)).toThrow(TypeError);
    expect(() => as.addResource(r as never)).toThrow(message);
  });
});
