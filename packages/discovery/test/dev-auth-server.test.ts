/**
 * Discovery against the real local authorization server (oidc-provider via
 * @mcp-auth/dev-auth-server), in each provider emulation, and the whole client path of an MCP
 * server's 401: challenge -> protected resource metadata -> authorization server metadata -> JWKS.
 */
import { type DevAuthServer, type ProfileName, start } from '@mcp-auth/dev-auth-server';
import { startHttpServer, type TestHttpServer } from '@mcp-auth/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildWwwAuthenticate,
  createMetadataHandler,
  createProtectedResourceMetadata,
  discoverAuthorizationServer,
  fetchProtectedResourceMetadata,
  fetchWithLimits,
  parseBearerChallenge,
  protectedResourceMetadataUrl,
} from '../src/index.js';

const running: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
});

async function authServer(profile: ProfileName, issuerPath?: string): Promise<DevAuthServer> {
  const server = await start({
    profile,
    ...(issuerPath === undefined ? {} : { issuerPath }),
    resources: [{ uri: 'http://127.0.0.1:1/mcp', scopes: ['mcp:tools'] }],
  });
  running.push(server);
  return server;
}

/** A fetch that records every URL it is asked for, in order. */
function recordingFetch() {
  const urls: string[] = [];
  const fetchImpl = (input: string, init: RequestInit) => {
    urls.push(input);
    return fetch(input, init);
  };
  return { urls, fetch: fetchImpl };
}

const base = { allowInsecureHttpForLoopback: true, cache: false as const };

describe('discoverAuthorizationServer against the local authorization server', () => {
  it('generic, issuer without a path: RFC 8414 at the root, first try', async () => {
    const as = await authServer('generic');
    const rec = recordingFetch();
    const result = await discoverAuthorizationServer(as.issuer, { ...base, fetch: rec.fetch });
    expect(result.flavour).toBe('oauth2');
    expect(result.metadata.issuer).toBe(as.issuer);
    expect(result.metadata.code_challenge_methods_supported).toContain('S256');
    expect(result.metadata.jwks_uri).toBe(as.jwksUri);
    expect(rec.urls).toEqual([`${as.origin}/.well-known/oauth-authorization-server`]);
  });

  it('generic, issuer with a path: RFC 8414 with the path inserted', async () => {
    const as = await authServer('generic', '/tenant1');
    const rec = recordingFetch();
    const result = await discoverAuthorizationServer(as.issuer, { ...base, fetch: rec.fetch });
    expect(as.issuer).toBe(`${as.origin}/tenant1`);
    expect(result).toMatchObject({
      flavour: 'oauth2',
      url: `${as.origin}/.well-known/oauth-authorization-server/tenant1`,
    });
    expect(rec.urls).toEqual([`${as.origin}/.well-known/oauth-authorization-server/tenant1`]);
  });

  it('okta: both documents under the issuer path; the appended OIDC one answers, after two misses', async () => {
    const as = await authServer('okta');
    const rec = recordingFetch();
    const result = await discoverAuthorizationServer(as.issuer, { ...base, fetch: rec.fetch });
    expect(as.issuer).toBe(`${as.origin}/oauth2/default`);
    expect(result.flavour).toBe('oidc');
    expect(rec.urls).toEqual([
      `${as.origin}/.well-known/oauth-authorization-server/oauth2/default`,
      `${as.origin}/.well-known/openid-configuration/oauth2/default`,
      `${as.origin}/oauth2/default/.well-known/openid-configuration`,
    ]);
    expect(rec.urls).not.toContain(`${as.origin}/.well-known/openid-configuration`);
  });

  it('cognito: OIDC only without code_challenge_methods_supported: refused, unless overridden for this issuer', async () => {
    const as = await authServer('cognito');
    const rec = recordingFetch();
    await expect(
      discoverAuthorizationServer(as.issuer, { ...base, fetch: rec.fetch }),
    ).rejects.toMatchObject({ code: 'ERR_PKCE_METADATA_MISSING' });
    const path = new URL(as.issuer).pathname;
    expect(rec.urls).toEqual([
      `${as.origin}/.well-known/oauth-authorization-server${path}`,
      `${as.origin}/.well-known/openid-configuration${path}`,
      `${as.origin}${path}/.well-known/openid-configuration`,
    ]);
    const result = await discoverAuthorizationServer(as.issuer, {
      ...base,
      allowMissingPkceMetadata: true,
    });
    expect(result.flavour).toBe('oidc');
    expect(result.metadata.code_challenge_methods_supported).toBeUndefined();
    // The resource server side (the validator) needs no override.
    await expect(
      discoverAuthorizationServer(as.issuer, { ...base, requirePkceS256: false }),
    ).resolves.toMatchObject({ flavour: 'oidc' });
  });

  it('auth0: issuer with a trailing slash, OIDC at the root after the RFC 8414 miss', async () => {
    const as = await authServer('auth0');
    const rec = recordingFetch();
    expect(as.issuer.endsWith('/')).toBe(true);
    const result = await discoverAuthorizationServer(as.issuer, { ...base, fetch: rec.fetch });
    expect(result.metadata.issuer).toBe(as.issuer);
    expect(rec.urls).toEqual([
      `${as.origin}/.well-known/oauth-authorization-server`,
      `${as.origin}/.well-known/openid-configuration`,
    ]);
    // The same server named without the slash is another issuer.
    await expect(discoverAuthorizationServer(as.origin, base)).rejects.toMatchObject({
      code: 'ERR_METADATA_ISSUER_MISMATCH',
    });
  });
});

describe('the client path of a 401, end to end', () => {
  it('challenge -> protected resource metadata -> authorization server metadata -> JWKS', async () => {
    const as = await authServer('generic');
    let mcp: TestHttpServer | undefined;
    let serveMetadata: ReturnType<typeof createMetadataHandler> | undefined;
    mcp = await startHttpServer((req, res) => {
      if (serveMetadata?.(req, res)) return;
      res.writeHead(401, {
        'www-authenticate': buildWwwAuthenticate({
          resourceMetadata: protectedResourceMetadataUrl(`${mcp!.url}/mcp`),
          scope: ['mcp:tools'],
        }),
        'content-type': 'application/json',
      });
      res.end('{"error":"unauthorized"}');
    });
    running.push(mcp);
    serveMetadata = createMetadataHandler(
      createProtectedResourceMetadata({
        resource: `${mcp.url}/mcp`,
        authorizationServers: [as.issuer],
        scopesSupported: ['mcp:tools'],
        allowInsecureHttpForLoopback: true,
      }),
    );

    // 1. The request without a token.
    const res = await fetch(`${mcp.url}/mcp`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const challenge = parseBearerChallenge(res.headers.get('www-authenticate'));
    expect(challenge).toMatchObject({
      resourceMetadata: `${mcp.url}/.well-known/oauth-protected-resource/mcp`,
      scope: ['mcp:tools'],
    });
    expect(challenge!.error).toBeUndefined();

    // 2. Protected resource metadata from the challenge URL.
    const prm = await fetchProtectedResourceMetadata(`${mcp.url}/mcp`, {
      resourceMetadataUrl: challenge!.resourceMetadata,
      allowInsecureHttpForLoopback: true,
    });
    expect(prm.metadata.authorization_servers).toEqual([as.issuer]);

    // 3. Authorization server metadata.
    const discovery = await discoverAuthorizationServer(
      prm.metadata.authorization_servers[0]!,
      base,
    );
    expect(discovery.metadata.token_endpoint).toBe(as.metadata.token_endpoint);

    // 4. The keys, through the same limits the validator uses.
    const jwks = await fetchWithLimits(discovery.metadata.jwks_uri!, {
      timeoutMs: 5000,
      maxBytes: 64 * 1024,
      accept: ['application/json', 'application/jwk-set+json'],
      allowInsecureHttpForLoopback: true,
    });
    expect(jwks.status).toBe(200);
    expect(JSON.parse(jwks.body).keys.length).toBeGreaterThan(0);

    expect(mcp.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /mcp',
      'GET /.well-known/oauth-protected-resource/mcp',
    ]);
  });
});
