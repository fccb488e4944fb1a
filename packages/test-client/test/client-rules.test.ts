/**
 * Every client rule of MCP authorization revision 2026-07-28, each against a purpose-built server
 * (node:http on 127.0.0.1) that behaves the way the rule is about.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestHttpServer } from '@mcp-auth/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { authorize } from '../src/index.js';
import { AuthSession } from '../src/internal/session.js';
import { type FakeAs, startFakeAs, startFakeResource } from './helpers.js';

const servers: TestHttpServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function fakeAs(o: Parameters<typeof startFakeAs>[0] = {}): Promise<FakeAs> {
  const as = await startFakeAs(o);
  servers.push(as);
  return as;
}

async function fakeResource(o: Parameters<typeof startFakeResource>[0]) {
  const rs = await startFakeResource(o);
  servers.push(rs);
  return rs;
}

const paths = (s: TestHttpServer) => s.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`);

function metadata(extra: Record<string, unknown> = {}) {
  return (issuer: string) => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    code_challenge_methods_supported: ['S256'],
    ...extra,
  });
}

describe('discovery (MCP 2026-07-28, RFC 9728 §3, RFC 8414 §3)', () => {
  it('without resource_metadata in the challenge: the path-suffixed well-known URL, then the root one', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({
      authorizationServer: () => as.issuer,
      challenge: () => 'Bearer scope="mcp:read"',
      prmAt: 'root',
    });
    const result = await authorize(rs.serverUrl, { nonInteractive: true });
    expect(paths(rs)).toEqual([
      'POST /mcp',
      'GET /.well-known/oauth-protected-resource/mcp',
      'GET /.well-known/oauth-protected-resource',
    ]);
    expect(result.metadata.protectedResourceMetadataUrl).toBe(
      `${new URL(rs.serverUrl).origin}/.well-known/oauth-protected-resource`,
    );
  });

  it('resource_metadata from the challenge is fetched first and alone', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({
      authorizationServer: () => as.issuer,
      challenge: (prm) => `Bearer resource_metadata="${prm.replace('/mcp', '')}"`,
      prmAt: 'root',
    });
    await authorize(rs.serverUrl, { nonInteractive: true });
    expect(paths(rs)).toEqual(['POST /mcp', 'GET /.well-known/oauth-protected-resource']);
  });

  it('issuer with a path: oauth-authorization-server inserted, openid-configuration inserted, then appended; never the root', async () => {
    const as = await fakeAs({
      issuerPath: '/tenant1',
      metadata: metadata(),
      metadataPaths: (p) => [`${p}/.well-known/openid-configuration`],
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, { nonInteractive: true });
    expect(paths(as).slice(0, 3)).toEqual([
      'GET /.well-known/oauth-authorization-server/tenant1',
      'GET /.well-known/openid-configuration/tenant1',
      'GET /tenant1/.well-known/openid-configuration',
    ]);
    expect(result.metadata.authorizationServer.issuer).toBe(as.issuer);
  });

  it('issuer with a path whose documents exist only at the root: refused, the root never asked', async () => {
    const as = await fakeAs({
      issuerPath: '/tenant1',
      metadata: metadata(),
      metadataPaths: () => [
        '/.well-known/oauth-authorization-server',
        '/.well-known/openid-configuration',
      ],
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
      code: 'ERR_AUTHORIZATION_SERVER_METADATA',
    });
    expect(paths(as)).toEqual([
      'GET /.well-known/oauth-authorization-server/tenant1',
      'GET /.well-known/openid-configuration/tenant1',
      'GET /tenant1/.well-known/openid-configuration',
    ]);
  });

  it('issuer without a path: oauth-authorization-server, then openid-configuration', async () => {
    const as = await fakeAs({
      metadata: metadata(),
      metadataPaths: () => ['/.well-known/openid-configuration'],
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await authorize(rs.serverUrl, { nonInteractive: true });
    expect(paths(as).slice(0, 2)).toEqual([
      'GET /.well-known/oauth-authorization-server',
      'GET /.well-known/openid-configuration',
    ]);
  });
});

describe('client identity, in order (MCP 2026-07-28 client registration approaches)', () => {
  it('pre-registered credentials win over a metadata document and dynamic registration', async () => {
    const as = await fakeAs({
      metadata: metadata({ client_id_metadata_document_supported: true }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, {
      nonInteractive: true,
      clientId: 'pre-registered-client',
      clientMetadataUrl: 'https://client.example.com/mcp-client.json',
    });
    expect(result.client).toEqual({
      clientId: 'pre-registered-client',
      tokenEndpointAuthMethod: 'none',
      source: 'pre-registered',
    });
    expect(as.registrations).toHaveLength(0);
    expect(as.authorizeRequests[0]!.get('client_id')).toBe('pre-registered-client');
  });

  it('dynamic registration sends application_type native, a loopback redirect URI, no secret asked', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await authorize(rs.serverUrl, { nonInteractive: true, clientName: 'rules-test' });
    expect(as.registrations).toEqual([
      {
        client_name: 'rules-test',
        redirect_uris: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        application_type: 'native',
      },
    ]);
  });

  it('credentials stay with their issuer: a stored client of A is never sent to B, B gets a registration', async () => {
    const register = (name: string) => (body: Record<string, unknown>) => ({
      status: 201,
      body: {
        ...body,
        client_id: `client-of-${name}`,
        client_secret: `secret-of-${name}-0123456789`,
        token_endpoint_auth_method: 'client_secret_basic',
      },
    });
    const a = await fakeAs({ register: register('a') });
    const b = await fakeAs({ register: register('b') });
    let current = a.issuer;
    const rs = await fakeResource({ authorizationServer: () => current });
    const dir = await mkdtemp(join(tmpdir(), 'tc-rules-'));
    dirs.push(dir);
    const tokenStore = join(dir, 'tokens.json');
    const first = await authorize(rs.serverUrl, { nonInteractive: true, tokenStore });
    expect(first.client.clientId).toBe('client-of-a');
    current = b.issuer;
    const second = await authorize(rs.serverUrl, { nonInteractive: true, tokenStore });
    expect(second.client.clientId).toBe('client-of-b');
    expect(b.registrations).toHaveLength(1);
    const toB = JSON.stringify([b.requests, b.tokenRequests.map((p) => p.toString())]);
    expect(toB).not.toContain('client-of-a');
    expect(toB).not.toContain('secret-of-a');
    expect(b.tokenHeaders[0]!.authorization).toBe(
      `Basic ${Buffer.from('client-of-b:secret-of-b-0123456789').toString('base64')}`,
    );
  });

  it('within a session: a refused token and a new authorization server mean discovery and registration again', async () => {
    const register = (name: string) => (body: Record<string, unknown>) => ({
      status: 201,
      body: {
        ...body,
        client_id: `client-of-${name}`,
        client_secret: `secret-of-${name}-0123456789`,
      },
    });
    const a = await fakeAs({ register: register('a') });
    const b = await fakeAs({ register: register('b') });
    let current = a.issuer;
    const rs = await fakeResource({ authorizationServer: () => current });
    const session = new AuthSession(rs.serverUrl, { nonInteractive: true });
    try {
      const probe = await session.probe({ requireChallenge: true });
      await session.discover(probe.challenge);
      await session.authorizeOnce({ challengeScope: probe.challenge?.params.scope });
      current = b.issuer;
      await session.handleChallenge(401, probe.challenge, session.tokens!.accessToken, 'POST /mcp');
      expect(session.metadata!.authorizationServer.issuer).toBe(b.issuer);
      expect(session.client).toMatchObject({ clientId: 'client-of-b' });
      const toB = JSON.stringify([b.requests, b.tokenRequests.map((p) => p.toString())]);
      expect(toB).not.toContain('client-of-a');
      expect(b.registrations).toHaveLength(1);
      const step = session.report.steps.filter((s) => s.id === 'client')[1]!;
      expect(step.notes).toContain(
        `the authorization server changed from ${a.issuer} to ${b.issuer}: the client registered there is not sent here`,
      );
    } finally {
      await session.close();
    }
  });
});

describe('pre-registered credentials and a new authorization server', () => {
  async function switchAuthorizationServer(options: ConstructorParameters<typeof AuthSession>[1]) {
    const a = await fakeAs();
    const b = await fakeAs();
    let current = a.issuer;
    const rs = await fakeResource({ authorizationServer: () => current });
    const session = new AuthSession(rs.serverUrl, options);
    const probe = await session.probe({ requireChallenge: true });
    await session.discover(probe.challenge);
    await session.authorizeOnce({ challengeScope: probe.challenge?.params.scope });
    current = b.issuer;
    const switched = session
      .handleChallenge(401, probe.challenge, session.tokens!.accessToken, 'POST /mcp')
      .finally(() => session.close());
    return { a, b, session, switched };
  }

  it('authorization code: the new server gets a registration, never the pre-registered secret', async () => {
    const { a, b, session, switched } = await switchAuthorizationServer({
      nonInteractive: true,
      clientId: 'pre-registered-client',
      clientSecret: 'pre-registered-secret',
    });
    await switched;
    // A got the pre-registered credentials (form-encoded Basic), B never does (below).
    expect(a.tokenHeaders[0]!.authorization).toBe(
      `Basic ${btoa('pre-registered-client:pre-registered-secret')}`,
    );
    expect(session.client).toMatchObject({ clientId: 'dyn-1', source: 'dynamic-registration' });
    const toB = JSON.stringify([b.requests, b.tokenRequests.map((p) => p.toString())]);
    expect(toB).not.toContain('pre-registered-client');
    expect(toB).not.toContain(
      Buffer.from('pre-registered-client:pre-registered-secret').toString('base64'),
    );
    expect(session.report.steps.filter((s) => s.id === 'client')[1]!.notes).toContain(
      `the pre-registered client pre-registered-client belongs to ${a.issuer}: not sent to ${b.issuer}`,
    );
  });

  it('client credentials: refused with ERR_NO_CLIENT_IDENTITY, nothing sent to the new server', async () => {
    const { a, b, switched } = await switchAuthorizationServer({
      grant: 'client_credentials',
      clientId: 'svc',
      clientSecret: 'svc-secret',
    });
    await expect(switched).rejects.toMatchObject({
      code: 'ERR_NO_CLIENT_IDENTITY',
      message: `The client_credentials grant needs the pre-registered client, which belongs to ${a.issuer}: it is not sent to ${b.issuer}`,
    });
    expect(b.tokenRequests).toHaveLength(0);
    expect(b.registrations).toHaveLength(0);
  });
});

describe('token endpoint authentication (RFC 6749 §2.3, RFC 8414 §2)', () => {
  it.each<[string, string, string[] | undefined]>([
    ['nothing listed (RFC 8414 default)', 'client_secret_basic', undefined],
    ['basic and post listed', 'client_secret_basic', ['client_secret_post', 'client_secret_basic']],
    ['only post listed', 'client_secret_post', ['client_secret_post']],
  ])('a pre-registered confidential client, %s: %s', async (_, method, supported) => {
    const as = await fakeAs({
      metadata: metadata(supported ? { token_endpoint_auth_methods_supported: supported } : {}),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, {
      nonInteractive: true,
      clientId: 'conf-client',
      clientSecret: 'conf-secret',
    });
    expect(result.client.tokenEndpointAuthMethod).toBe(method);
    const body = as.tokenRequests[0]!;
    const header = as.tokenHeaders[0]!.authorization;
    if (method === 'client_secret_post') {
      expect(header).toBeUndefined();
      expect(body.get('client_id')).toBe('conf-client');
      expect(body.get('client_secret')).toBe('conf-secret');
    } else {
      expect(header).toBe(`Basic ${Buffer.from('conf-client:conf-secret').toString('base64')}`);
      expect(body.get('client_secret')).toBeNull();
    }
  });

  it('a public client (no secret): none, client_id in the body, no Authorization header', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await authorize(rs.serverUrl, { nonInteractive: true, clientId: 'public-client' });
    expect(as.tokenHeaders[0]!.authorization).toBeUndefined();
    expect(as.tokenRequests[0]!.get('client_id')).toBe('public-client');
    expect(as.tokenRequests[0]!.get('client_secret')).toBeNull();
  });

  it('dynamic registration at a server without none: asks for a secret method it lists, then uses what it got', async () => {
    const as = await fakeAs({
      metadata: metadata({ token_endpoint_auth_methods_supported: ['client_secret_post'] }),
      register: (body) => ({
        status: 201,
        body: { ...body, client_id: 'dyn-post', client_secret: 'dyn-post-secret' },
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, { nonInteractive: true });
    expect(as.registrations[0]!.token_endpoint_auth_method).toBe('client_secret_post');
    expect(result.client.tokenEndpointAuthMethod).toBe('client_secret_post');
    expect(as.tokenRequests[0]!.get('client_secret')).toBe('dyn-post-secret');
    expect(as.tokenHeaders[0]!.authorization).toBeUndefined();
  });
});

describe('scopes (MCP 2026-07-28 scope selection strategy)', () => {
  it.each<[string, Partial<Parameters<typeof startFakeResource>[0]>, string | null]>([
    [
      "the challenge's scope",
      { challenge: (p) => `Bearer resource_metadata="${p}", scope="mcp:a mcp:b"` },
      'mcp:a mcp:b',
    ],
    [
      'else scopes_supported',
      { challenge: (p) => `Bearer resource_metadata="${p}"`, scopesSupported: ['mcp:x', 'mcp:y'] },
      'mcp:x mcp:y',
    ],
    [
      'else omitted',
      { challenge: (p) => `Bearer resource_metadata="${p}"`, scopesSupported: null },
      null,
    ],
  ])('%s', async (_, resourceOptions, expected) => {
    const as = await fakeAs();
    const rs = await fakeResource({ authorizationServer: () => as.issuer, ...resourceOptions });
    await authorize(rs.serverUrl, { nonInteractive: true });
    expect(as.authorizeRequests[0]!.get('scope')).toBe(expected);
  });

  it.each<[string, { refresh?: boolean }, string[] | undefined, string[], string]>([
    [
      'refresh wanted, AS lists it: added',
      { refresh: true },
      ['mcp:read', 'offline_access'],
      ['mcp:read'],
      'mcp:read offline_access',
    ],
    [
      'refresh wanted, AS does not list it: absent',
      { refresh: true },
      ['mcp:read'],
      ['mcp:read'],
      'mcp:read',
    ],
    [
      'no refresh wanted, the resource lists it: left out',
      {},
      ['mcp:read', 'offline_access'],
      ['mcp:read', 'offline_access'],
      'mcp:read',
    ],
  ])('offline_access: %s', async (_, options, asScopes, prmScopes, expected) => {
    const as = await fakeAs({
      metadata: metadata(asScopes ? { scopes_supported: asScopes } : {}),
      token: (body) =>
        body.get('grant_type') === 'refresh_token' || options.refresh
          ? {
              status: 200,
              body: {
                access_token: 'at-0123456789abcdef',
                token_type: 'Bearer',
                refresh_token: 'rt-0123456789abcdef',
              },
            }
          : undefined,
    });
    const rs = await fakeResource({
      authorizationServer: () => as.issuer,
      challenge: (p) => `Bearer resource_metadata="${p}"`,
      scopesSupported: prmScopes,
    });
    await authorize(rs.serverUrl, { nonInteractive: true, ...options });
    expect(as.authorizeRequests[0]!.get('scope')).toBe(expected);
  });

  it('step-up: the union of the scopes asked before and the new challenge, at most 3 attempts, resource every time', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const session = new AuthSession(rs.serverUrl, { nonInteractive: true });
    const forbidden = (scope: string) => ({
      params: { error: 'insufficient_scope', scope, resource_metadata: rs.prmUrl },
      raw: `Bearer error="insufficient_scope", scope="${scope}"`,
    });
    try {
      const probe = await session.probe({ requireChallenge: true });
      await session.discover(probe.challenge);
      await session.authorizeOnce({ challengeScope: probe.challenge?.params.scope });
      await session.handleChallenge(
        403,
        forbidden('mcp:write'),
        session.tokens!.accessToken,
        'POST /mcp',
      );
      await session.handleChallenge(
        403,
        forbidden('mcp:admin'),
        session.tokens!.accessToken,
        'POST /mcp',
      );
      await expect(
        session.handleChallenge(
          403,
          forbidden('mcp:root'),
          session.tokens!.accessToken,
          'POST /mcp',
        ),
      ).rejects.toMatchObject({ code: 'ERR_TOO_MANY_ATTEMPTS', oauthError: 'insufficient_scope' });
      expect(as.authorizeRequests.map((p) => p.get('scope'))).toEqual([
        'mcp:read',
        'mcp:read mcp:write',
        'mcp:read mcp:write mcp:admin',
      ]);
      expect(as.authorizeRequests.map((p) => p.get('resource'))).toEqual(
        Array(3).fill(rs.serverUrl),
      );
      expect(as.tokenRequests.map((p) => p.get('resource'))).toEqual(Array(3).fill(rs.serverUrl));
    } finally {
      await session.close();
    }
  });
});

describe('RFC 9207 iss in the authorization response', () => {
  it.each([
    ['a trailing slash', (i: string) => `${i}/`],
    ['an upper-case scheme', (i: string) => i.replace('http:', 'HTTP:')],
    ['localhost for 127.0.0.1', (i: string) => i.replace('127.0.0.1', 'localhost')],
    ['an explicit default path', (i: string) => `${i}/.`],
  ])('an iss that differs only by %s is refused, even when not advertised', async (_, variant) => {
    const as = await fakeAs({
      behaviour: (p, iss) => ({ code: 'c', state: p.get('state') ?? '', iss: variant(iss) }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
      code: 'ERR_CALLBACK_ISSUER_MISMATCH',
    });
    expect(as.tokenRequests).toHaveLength(0);
  });

  it('no iss from a server that does not advertise it: accepted', async () => {
    const as = await fakeAs({ behaviour: (p) => ({ code: 'c', state: p.get('state') ?? '' }) });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, { nonInteractive: true });
    expect(result.report.steps.find((s) => s.id === 'authorization_response')!.received[0]).toMatch(
      /, no iss$/,
    );
  });
});

describe('resource (RFC 8707) on every request', () => {
  it('authorization request, code exchange and refresh each carry the canonical resource', async () => {
    const as = await fakeAs({
      token: () => ({
        status: 200,
        body: {
          access_token: 'at-0123456789abcdef',
          token_type: 'Bearer',
          refresh_token: 'rt-0123456789abcdef',
          expires_in: 60,
        },
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await authorize(rs.serverUrl, { nonInteractive: true, refresh: true });
    expect(as.authorizeRequests[0]!.get('resource')).toBe(rs.serverUrl);
    expect(as.tokenRequests.map((p) => [p.get('grant_type'), p.get('resource')])).toEqual([
      ['authorization_code', rs.serverUrl],
      ['refresh_token', rs.serverUrl],
    ]);
  });
});
