/**
 * Deliberately broken resource and authorization servers (node:http on 127.0.0.1): the test client
 * must refuse, stop, and say why.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { startHttpServer, type TestHttpServer } from '@mcp-auth/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { authorize, checkServer, run, runCli } from '../src/index.js';
import { decodeJwtPayload, type FakeAs, startFakeAs, startFakeResource } from './helpers.js';

const servers: TestHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
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

describe('the protected resource metadata', () => {
  it('a resource mismatch is refused before any authorization request', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({
      authorizationServer: () => as.issuer,
      resource: () => 'https://other.example.com/mcp',
    });
    const result = await run(rs.serverUrl, { nonInteractive: true });
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('ERR_RESOURCE_MISMATCH');
    const failed = result.report.failure!;
    expect(failed.id).toBe('resource_metadata');
    expect(failed.notes).toContain('stopped before any authorization request');
    expect(as.requests).toEqual([]);
    expect(rs.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /mcp',
      'GET /.well-known/oauth-protected-resource/mcp',
    ]);
  });

  it('a resource_metadata URL on plain http off loopback is refused without --allow-http', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({
      authorizationServer: () => as.issuer,
      challenge: () => 'Bearer resource_metadata="http://metadata.example.com/prm"',
    });
    const result = await run(rs.serverUrl, { nonInteractive: true });
    expect(result.error?.code).toBe('ERR_HTTP_URL_REFUSED');
    expect(result.error?.message).toContain('--allow-http');
  });

  it('falls back to the well-known URL when the challenge has no resource_metadata', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({
      authorizationServer: () => as.issuer,
      challenge: () => 'Bearer',
    });
    const result = await authorize(rs.serverUrl, { nonInteractive: true });
    expect(result.metadata.protectedResourceMetadataUrl).toBe(rs.prmUrl);
    expect(result.report.steps[0]!.notes).toContain(
      'the challenge has no resource_metadata: falling back to the well-known URLs',
    );
  });
});

describe('the authorization server metadata', () => {
  it.each([
    ['S256 not listed', ['plain'], 'ERR_PKCE_S256_UNSUPPORTED'],
    ['no code_challenge_methods_supported', undefined, 'ERR_PKCE_METADATA_MISSING'],
  ])(
    '%s: refused with ERR_PKCE_NOT_SUPPORTED, no authorization request',
    async (_, methods, discoveryCode) => {
      const as = await fakeAs({
        metadata: (issuer) => ({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          registration_endpoint: `${issuer}/register`,
          ...(methods ? { code_challenge_methods_supported: methods } : {}),
        }),
      });
      const rs = await fakeResource({ authorizationServer: () => as.issuer });
      await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
        code: 'ERR_PKCE_NOT_SUPPORTED',
        discoveryCode,
        message: expect.stringContaining(`--allow-missing-pkce-metadata ${as.issuer}`),
      });
      expect(as.authorizeRequests).toHaveLength(0);
      expect(as.registrations).toHaveLength(0);
    },
  );

  it('--allow-missing-pkce-metadata for that issuer proceeds, still with S256', async () => {
    const as = await fakeAs({
      metadata: (issuer) => ({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        registration_endpoint: `${issuer}/register`,
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    // For another issuer: still refused.
    await expect(
      authorize(rs.serverUrl, {
        nonInteractive: true,
        allowMissingPkceMetadata: 'http://127.0.0.1:1',
      }),
    ).rejects.toMatchObject({ code: 'ERR_PKCE_NOT_SUPPORTED' });
    const result = await authorize(rs.serverUrl, {
      nonInteractive: true,
      allowMissingPkceMetadata: [as.issuer],
    });
    expect(as.authorizeRequests[0]!.get('code_challenge_method')).toBe('S256');
    expect(result.report.steps.find((s) => s.id === 'authorization_server')!.notes).toEqual([
      `metadata lacks code_challenge_methods_supported: S256 assumed for ${as.issuer} (explicit override)`,
    ]);
  });

  it('an issuer mismatch in the metadata is refused (mix-up)', async () => {
    const as = await fakeAs({
      metadata: (issuer) => ({
        issuer: `${issuer}/other`,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        code_challenge_methods_supported: ['S256'],
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
      code: 'ERR_AUTHORIZATION_SERVER_METADATA',
      discoveryCode: 'ERR_METADATA_ISSUER_MISMATCH',
    });
    expect(as.authorizeRequests).toHaveLength(0);
  });
});

describe('client identity', () => {
  it('without registration_endpoint or a client id: a clear error saying what to pass', async () => {
    const as = await fakeAs({
      metadata: (issuer) => ({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        code_challenge_methods_supported: ['S256'],
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
      code: 'ERR_NO_CLIENT_IDENTITY',
      message: `The authorization server ${as.issuer} has no registration_endpoint and does not support Client ID Metadata Documents: pass --client-id (and --client-secret for a confidential client)`,
    });
  });

  it('uses a Client ID Metadata Document when the server advertises support', async () => {
    const as = await fakeAs({
      metadata: (issuer) => ({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        registration_endpoint: `${issuer}/register`,
        code_challenge_methods_supported: ['S256'],
        client_id_metadata_document_supported: true,
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const cimd = 'https://client.example.com/mcp-client.json';
    const result = await authorize(rs.serverUrl, { nonInteractive: true, clientMetadataUrl: cimd });
    expect(result.client).toEqual({
      clientId: cimd,
      tokenEndpointAuthMethod: 'none',
      source: 'metadata-document',
    });
    expect(as.registrations).toHaveLength(0);
    expect(as.authorizeRequests[0]!.get('client_id')).toBe(cimd);
    expect(as.tokenRequests[0]!.get('client_id')).toBe(cimd);
  });

  it('falls back to dynamic registration when the metadata document is not supported', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, {
      nonInteractive: true,
      clientMetadataUrl: 'https://client.example.com/mcp-client.json',
    });
    expect(result.client).toMatchObject({ clientId: 'dyn-1', source: 'dynamic-registration' });
    expect(as.registrations[0]).toMatchObject({
      redirect_uris: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
  });
});

describe('the authorization and token requests', () => {
  it('sends PKCE S256, state and resource, then code_verifier, redirect_uri and resource', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, { nonInteractive: true, scope: 'a b' });
    const authz = as.authorizeRequests[0]!;
    expect(authz.get('resource')).toBe(rs.serverUrl);
    expect(authz.get('scope')).toBe('a b');
    const tokenReq = as.tokenRequests[0]!;
    expect(Object.fromEntries(tokenReq)).toMatchObject({
      grant_type: 'authorization_code',
      code: 'fake-code',
      redirect_uri: authz.get('redirect_uri'),
      resource: rs.serverUrl,
      client_id: 'dyn-1',
    });
    expect(tokenReq.get('code_verifier')).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    expect(result.tokens).toMatchObject({
      accessToken: 'fake-access-token-0123456789',
      tokenType: 'bearer',
    });
  });

  it.each([
    [
      'a wrong state',
      (p: URLSearchParams, iss: string) => ({ code: 'c', state: `${p.get('state')}x`, iss }),
      'ERR_STATE_MISMATCH',
    ],
    ['no state', (_p: URLSearchParams, iss: string) => ({ code: 'c', iss }), 'ERR_STATE_MISMATCH'],
    [
      'a wrong iss',
      (p: URLSearchParams) => ({ code: 'c', state: p.get('state')!, iss: 'http://127.0.0.1:1' }),
      'ERR_CALLBACK_ISSUER_MISMATCH',
    ],
    [
      'an error response',
      (p: URLSearchParams, iss: string) => ({
        error: 'access_denied',
        error_description: 'nope',
        state: p.get('state')!,
        iss,
      }),
      'ERR_AUTHORIZATION_ERROR',
    ],
  ] as const)('%s is refused and no token is requested', async (_, behaviour, code) => {
    const as = await fakeAs({ behaviour });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await run(rs.serverUrl, { nonInteractive: true });
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe(code);
    expect(result.report.failure?.id).toBe('authorization_response');
    expect(as.tokenRequests).toHaveLength(0);
  });

  it('reports the OAuth error of an error response', async () => {
    const as = await fakeAs({
      behaviour: (p, iss) => ({
        error: 'access_denied',
        error_description: 'User said no',
        state: p.get('state')!,
        iss,
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
      code: 'ERR_AUTHORIZATION_ERROR',
      oauthError: 'access_denied',
      oauthErrorDescription: 'User said no',
      message: 'The authorization server answered error=access_denied (User said no)',
    });
  });

  it('a missing iss is refused when the server advertises authorization_response_iss_parameter_supported', async () => {
    const as = await fakeAs({
      metadata: (issuer) => ({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        registration_endpoint: `${issuer}/register`,
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      }),
      behaviour: (p) => ({ code: 'c', state: p.get('state')! }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
      code: 'ERR_CALLBACK_ISSUER_MISSING',
    });
  });

  it('--non-interactive against a login page: ERR_INTERACTION_REQUIRED', async () => {
    const as = await fakeAs({
      behaviour: () => ({ status: 200, body: '<html><h1>Sign in</h1><form></form></html>' }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
      code: 'ERR_INTERACTION_REQUIRED',
      message: expect.stringContaining('Sign in'),
    });
  });

  it('a token endpoint error is reported with its OAuth error code', async () => {
    const broken = await fakeAs({
      metadata: (issuer) => ({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/nope`,
        registration_endpoint: `${issuer}/register`,
        code_challenge_methods_supported: ['S256'],
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => broken.issuer });
    await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
      code: 'ERR_TOKEN_REQUEST_FAILED',
      status: 404,
      oauthError: 'not_found',
    });
  });
});

describe('hostile authorization servers', () => {
  it('--non-interactive refuses a redirect to plain http off loopback', async () => {
    const hop = await startHttpServer((_req, res) => {
      res.writeHead(302, { location: 'http://login.example.com/authorize' }).end();
    });
    servers.push(hop);
    const as = await fakeAs({
      metadata: (issuer) => ({
        issuer,
        authorization_endpoint: `${hop.url}/authorize`,
        token_endpoint: `${issuer}/token`,
        registration_endpoint: `${issuer}/register`,
        code_challenge_methods_supported: ['S256'],
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
      code: 'ERR_HTTP_URL_REFUSED',
      url: 'http://login.example.com/authorize',
    });
    expect(hop.requests).toHaveLength(1);
    expect(as.tokenRequests).toHaveLength(0);
  });

  it('--non-interactive gives up on an endless redirect loop', async () => {
    const loop = await startHttpServer((req, res) => {
      res.writeHead(302, { location: `/authorize?n=${(req.url ?? '').length}` }).end();
    });
    servers.push(loop);
    const as = await fakeAs({
      metadata: (issuer) => ({
        issuer,
        authorization_endpoint: `${loop.url}/authorize`,
        token_endpoint: `${issuer}/token`,
        registration_endpoint: `${issuer}/register`,
        code_challenge_methods_supported: ['S256'],
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
      code: 'ERR_AUTHORIZATION_ERROR',
      message: 'More than 20 redirects without reaching the redirect URI',
    });
    expect(loop.requests).toHaveLength(20);
  });

  it('terminal escape sequences from a server never reach the terminal', async () => {
    const as = await fakeAs({
      behaviour: (p, iss) => ({
        error: 'access_denied',
        error_description: '\u001b[2J\u001b]0;pwned\u0007 cleared your screen',
        state: p.get('state')!,
        iss,
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const out: string[] = [];
    const code = await runCli([rs.serverUrl, '--non-interactive'], {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => out.push(s) },
    });
    expect(code).toBe(1);
    const text = out.join('');
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\u0007');
    expect(text).toContain('\\x1b[2J\\x1b]0;pwned\\x07 cleared your screen');
  });

  it('a hostile client_secret in DCR output never appears in the report', async () => {
    const secret = 'dcr-secret-value-that-must-not-leak';
    const as = await startFakeAs();
    servers.push(as);
    // Re-register with a secret: a fake whose /register returns client_secret.
    const withSecret = await startHttpServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/register') {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            client_id: 'conf',
            client_secret: secret,
            client_secret_expires_at: 0,
            token_endpoint_auth_method: 'client_secret_post',
            redirect_uris: [],
          }),
        );
        return;
      }
      res.writeHead(404).end();
    });
    servers.push(withSecret);
    const meta = await fakeAs({
      metadata: (issuer) => ({
        issuer,
        authorization_endpoint: `${as.issuer}/authorize`,
        token_endpoint: `${as.issuer}/token`,
        registration_endpoint: `${withSecret.url}/register`,
        code_challenge_methods_supported: ['S256'],
      }),
      behaviour: undefined,
    });
    const rs = await fakeResource({ authorizationServer: () => meta.issuer });
    const result = await run(rs.serverUrl, { nonInteractive: true });
    // The fake /authorize belongs to another issuer, so the iss check fails: what matters here is
    // that the registration's secret was used for nothing visible.
    expect(JSON.stringify(result.report)).not.toContain(secret);
    expect(result.report.steps.find((s) => s.id === 'client')!.received.join(' ')).toContain(
      'client_id=conf, token_endpoint_auth_method=client_secret_post',
    );
  });
});

describe('oversized responses', () => {
  it('a token endpoint that answers with megabytes is cut off at 1 MiB', async () => {
    const huge = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"access_token":"');
      const chunk = 'a'.repeat(64 * 1024);
      for (let i = 0; i < 40; i++) res.write(chunk);
      res.end('","token_type":"Bearer"}');
    });
    servers.push(huge);
    const as = await fakeAs({
      metadata: (issuer) => ({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${huge.url}/token`,
        registration_endpoint: `${issuer}/register`,
        code_challenge_methods_supported: ['S256'],
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
      code: 'ERR_TOKEN_REQUEST_FAILED',
      message: expect.stringContaining('larger than 1048576 bytes'),
    });
  });
});

describe('waiting for a person', () => {
  it('prints the URL, then Ctrl-C (the signal) ends the wait with exit 130 and frees the port', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const controller = new AbortController();
    const out: string[] = [];
    let printed = '';
    const code = await runCli([rs.serverUrl], {
      stdout: {
        write: (s: string) => {
          out.push(s);
          const m = /^ {2}(http:\/\/\S+)$/m.exec(s);
          if (m) {
            printed = m[1]!;
            setTimeout(() => controller.abort(), 50);
          }
        },
      },
      stderr: { write: () => {} },
      signal: controller.signal,
    });
    expect(code).toBe(130);
    expect(out.join('')).toContain('Open this URL in a browser to authorize:');
    const redirectUri = new URL(printed).searchParams.get('redirect_uri')!;
    expect(out.join('')).toMatch(/✗ Authorization response .*ERR_INTERRUPTED/);
    // Nothing listens any more on the redirect URI.
    await expect(fetch(redirectUri)).rejects.toThrow();
    expect(as.tokenRequests).toHaveLength(0);
  });

  it('--open without a working browser: notes it and keeps waiting for the URL to be opened by hand', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    let url = '';
    const result = authorize(rs.serverUrl, {
      open: true,
      openBrowser: async (u) => {
        url = u;
        throw new Error('no display');
      },
      onWaitForBrowser: () => {
        // The person opens the printed URL in some other browser.
        setTimeout(() => {
          void fetch(url, { redirect: 'follow' }).then((r) => r.text());
        }, 20);
        return undefined;
      },
    });
    const done = await result;
    expect(done.tokens.accessToken).toBe('fake-access-token-0123456789');
    expect(done.report.steps.find((s) => s.id === 'authorization_request')!.notes).toContain(
      'could not open the browser (no display): open the URL yourself',
    );
    expect(as.tokenRequests).toHaveLength(1);
  });

  it('--browser-timeout: ERR_CALLBACK_TIMEOUT, exit 1', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const out: string[] = [];
    const code = await runCli([rs.serverUrl, '--browser-timeout', '0.2', '--port', '0'], {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: () => {} },
    });
    expect(code).toBe(1);
    expect(out.join('')).toMatch(
      /Failed: ERR_CALLBACK_TIMEOUT: No authorization response reached http:\/\/127\.0\.0\.1:\d+\/callback within 200 ms/,
    );
  });
});

describe('with the local authorization server', () => {
  async function resourceOn(
    das2: DevAuthServer,
    withToken: Parameters<typeof startFakeResource>[0]['withToken'],
    challenge?: (prm: string) => string,
  ) {
    return fakeResource({
      authorizationServer: () => das2.issuer,
      ...(withToken ? { withToken } : {}),
      ...(challenge ? { challenge } : {}),
    });
  }

  it('endless 403 insufficient_scope stops after 3 authorization attempts', async () => {
    // The server wants a scope it can never get: the authorization server grants only what the
    // resource allows, so every re-authorization ends in the same 403.
    const rs = await startFakeResource({
      authorizationServer: () => endless.issuer,
      withToken: (_token, _req, res, prm) => {
        res.writeHead(403, {
          'www-authenticate': `Bearer error="insufficient_scope", scope="mcp:read mcp:never", resource_metadata="${prm}"`,
        });
        res.end();
      },
    });
    servers.push(rs);
    const endless = await startAuthServer({
      resources: [{ uri: rs.serverUrl, scopes: ['mcp:read', 'mcp:never'] }],
    });
    try {
      const result = await run(rs.serverUrl, {
        nonInteractive: true,
        clientId: 'mcp-public',
        transport: 'streamable-http',
      });
      expect(result.ok).toBe(false);
      expect(result.error?.code).toBe('ERR_TOO_MANY_ATTEMPTS');
      expect(result.authorizationAttempts).toBe(3);
      expect(result.report.steps.filter((s) => s.id === 'token')).toHaveLength(3);
      expect(result.report.steps.filter((s) => s.id === 'authorization_request')).toHaveLength(3);
      const challenges = result.report.steps.filter((s) => s.id === 'challenge');
      expect(challenges.map((c) => c.status)).toEqual(['ok', 'ok', 'fail']);
      expect(challenges.at(-1)!.error?.message).toBe(
        'Still 403 insufficient_scope (scope="mcp:read mcp:never") after 3 authorization attempts: giving up',
      );
      const withToken = rs.requests.filter((r) => r.headers.authorization);
      expect(withToken).toHaveLength(3);
    } finally {
      await endless.stop();
    }
  });

  it('--check fails on a server that omits resource_metadata from its challenge', async () => {
    const as2 = await startAuthServer({ resources: [] });
    try {
      const rs = await resourceOn(as2, undefined, () => 'Bearer scope="mcp:read"');
      const result = await checkServer(rs.serverUrl, { unauthenticatedOnly: true });
      expect(result.ok).toBe(false);
      const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
      expect(byId.challenge_resource_metadata).toMatchObject({
        status: 'fail',
        detail: 'missing: WWW-Authenticate: Bearer scope="mcp:read"',
      });
      expect(byId.unauthenticated_401!.status).toBe('pass');
      expect(byId.metadata_path_suffixed!.status).toBe('pass');
      const out: string[] = [];
      const code = await runCli([rs.serverUrl, '--check', '--unauthenticated-only', '--json'], {
        stdout: { write: (s: string) => out.push(s) },
        stderr: { write: () => {} },
      });
      expect(code).toBe(1);
      expect(JSON.parse(out.join(''))).toMatchObject({ ok: false, exitCode: 1 });
    } finally {
      await as2.stop();
    }
  });

  it("--check fails on a server that accepts another resource's token", async () => {
    // A server that checks signature and issuer but not the audience: it accepts any JWT of the AS.
    let as2: DevAuthServer | undefined;
    const rs = await startFakeResource({
      authorizationServer: () => as2!.issuer,
      withToken: (token, _req, res, prm) => {
        let ok = false;
        try {
          ok = decodeJwtPayload(token).iss === as2!.issuer;
        } catch {
          ok = false;
        }
        if (ok) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{}');
        } else {
          res.writeHead(401, {
            'www-authenticate': `Bearer error="invalid_token", resource_metadata="${prm}"`,
          });
          res.end();
        }
      },
    });
    servers.push(rs);
    const resourceUri = rs.serverUrl;
    const otherUri = `${rs.url}/other`;
    as2 = await startAuthServer({
      resources: [
        { uri: resourceUri, scopes: ['mcp:read'] },
        { uri: otherUri, scopes: ['mcp:read'] },
      ],
    });
    try {
      const result = await checkServer(rs.serverUrl, {
        nonInteractive: true,
        clientId: 'mcp-public',
        otherResource: otherUri,
      });
      const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
      expect(byId.valid_token_accepted!.status).toBe('pass');
      expect(byId.other_resource_refused).toMatchObject({
        status: 'fail',
        detail: `token for ${otherUri} → 200, expected 401 (audience not checked)`,
      });
      expect(byId.garbage_token_invalid_token!.status).toBe('pass');
      expect(byId.query_token_refused!.status).toBe('pass');
      expect(result.ok).toBe(false);
      // The other resource's token really was for the other resource.
      const otherSteps = result.report.steps.filter((s) => s.id.startsWith('other_resource.'));
      expect(otherSteps.map((s) => s.id)).toContain('other_resource.token');
    } finally {
      await as2.stop();
    }
  });

  it('--check fails on a server that accepts a token in the query string, hides WWW-Authenticate from CORS, or sends error without a token', async () => {
    const as2 = await startAuthServer({ resources: [] });
    try {
      const leaky = await fakeResource({
        authorizationServer: () => as2.issuer,
        cors: false,
        acceptQueryToken: true,
        challenge: (prm) => `Bearer error="invalid_token", resource_metadata="${prm}"`,
      });
      const result = await checkServer(leaky.serverUrl, { unauthenticatedOnly: true });
      const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
      expect(byId).toMatchObject({
        unauthenticated_401: { status: 'pass' },
        challenge_resource_metadata: { status: 'pass' },
        challenge_scope: {
          status: 'warn',
          detail: 'no scope parameter (SHOULD be present, RFC 6750 §3)',
        },
        challenge_no_error: {
          status: 'fail',
          detail: 'error="invalid_token" although no token was sent (RFC 6750 §3.1)',
        },
        valid_token_accepted: { status: 'skip' },
        other_resource_refused: { status: 'skip' },
        query_token_refused: { status: 'fail' },
        cors_expose_www_authenticate: { status: 'fail' },
      });
      expect(byId.query_token_refused!.detail).toContain('the query string token was accepted');
      expect(result.ok).toBe(false);
    } finally {
      await as2.stop();
    }
  });

  it('--origin: the CORS check sends that Origin (a server that allows only its own web client)', async () => {
    const as2 = await startAuthServer({ resources: [] });
    try {
      const origins: string[] = [];
      const rs = await fakeResource({
        authorizationServer: () => as2.issuer,
        corsOrigins: ['https://app.example.com'],
        allowedOrigins: ['https://app.example.com'],
        origins,
        withToken: (_token, _req, res, prm) => {
          res.writeHead(401, {
            'www-authenticate': `Bearer error="invalid_token", resource_metadata="${prm}"`,
          });
          res.end();
        },
      });
      const cli = async (extra: string[]) => {
        const out: string[] = [];
        const code = await runCli(
          [rs.serverUrl, '--check', '--unauthenticated-only', '--json', ...extra],
          { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => {} } },
        );
        const report = JSON.parse(out.join('')) as {
          checks: { id: string; status: string; detail: string }[];
        };
        return {
          code,
          cors: report.checks.find((c) => c.id === 'cors_expose_www_authenticate')!,
          failed: report.checks.filter((c) => c.status === 'fail'),
        };
      };
      // The default Origin is not allowed: the check fails and names it.
      const byDefault = await cli([]);
      expect(byDefault.cors).toMatchObject({
        status: 'fail',
        detail: 'Origin: https://mcp-client.example → Access-Control-Expose-Headers: (none)',
      });
      expect(byDefault.code).toBe(1);
      // The CORS check's Origin, then the DNS-rebinding probe's foreign one.
      expect(origins).toEqual(['https://mcp-client.example', 'https://dns-rebinding.invalid']);
      // The server's own web client's origin (a trailing / is dropped): the check passes.
      origins.length = 0;
      const allowed = await cli(['--origin', 'https://app.example.com/']);
      expect(allowed.cors).toMatchObject({
        status: 'pass',
        detail: 'Access-Control-Expose-Headers: WWW-Authenticate',
      });
      expect(allowed.failed).toEqual([]);
      expect(allowed.code).toBe(0);
      expect(origins).toEqual(['https://app.example.com', 'https://dns-rebinding.invalid']);
      // Another origin: refused again, and the detail says which one was sent.
      origins.length = 0;
      const other = await cli(['--origin', 'http://localhost:5173']);
      expect(other.cors).toMatchObject({
        status: 'fail',
        detail: 'Origin: http://localhost:5173 → Access-Control-Expose-Headers: (none)',
      });
      expect(origins).toEqual(['http://localhost:5173', 'https://dns-rebinding.invalid']);
    } finally {
      await as2.stop();
    }
  });

  it.each([['app.example.com'], ['https://app.example.com/path'], [''], [42]])(
    'checkServer refuses origin %j with a TypeError naming it, before any request',
    async (origin) => {
      let requests = 0;
      await expect(
        checkServer('http://127.0.0.1:9/mcp', {
          origin: origin as string,
          fetch: async () => {
            requests++;
            return new Response(null, { status: 500 });
          },
        }),
      ).rejects.toThrow(
        new TypeError(
          '"origin" must be an origin such as https://app.example.com (scheme, host, optional port)',
        ),
      );
      expect(requests).toBe(0);
    },
  );
});
