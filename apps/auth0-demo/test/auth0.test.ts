import { join } from 'node:path';
import { startDemoApp } from '@mcp-auth/app-demo-kit';
import { providerAppSuite } from '@mcp-auth/app-demo-kit/testing';
import { describe, expect, it } from 'vitest';
import { auth0 } from '../src/provider.js';

providerAppSuite(auth0, {
  appDir: join(import.meta.dirname, '..'),
  async expectDiscovery(app) {
    // Auth0 issuers end with a slash, and the comparison is exact.
    expect(app.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const oidc = await fetch(`${app.issuer}.well-known/openid-configuration`);
    expect(oidc.status).toBe(200);
    const doc = (await oidc.json()) as Record<string, unknown>;
    expect(doc['issuer']).toBe(app.issuer);
    expect(doc['code_challenge_methods_supported']).toEqual(['S256']);
    expect(typeof doc['registration_endpoint']).toBe('string');
  },
  expectWhoami(who, app) {
    expect(who.subject).toBe('user-1');
    expect(who.clientId).toBe('mcp-public');
    // `openid` was asked: aud is [API, <issuer>userinfo], as Auth0 sends it.
    expect(who.providerClaims['aud']).toEqual([app.resourceUri, `${app.issuer}userinfo`]);
    expect(who.providerClaims['azp']).toBe('mcp-public');
    expect(who.providerClaims['permissions']).toEqual(['read:tools']);
    expect(who.providerClaims['scope']).toBe('openid read:tools');
    expect(who.claims).not.toHaveProperty('client_id');
  },
  badConfigs: [
    [
      'issuer with a path',
      {
        OAUTH_AUTHORIZATION_SERVER: 'https://tenant.us.auth0.com/api/v2',
        OAUTH_RESOURCE_URI: 'https://mcp.example.com/mcp',
      },
      'auth0-demo: OAUTH_AUTHORIZATION_SERVER must be your Auth0 tenant (or custom domain) root with its trailing slash, e.g. https://your-tenant.us.auth0.com/',
    ],
    [
      'missing resource URI',
      { OAUTH_AUTHORIZATION_SERVER: 'https://tenant.us.auth0.com' },
      "auth0-demo: OAUTH_RESOURCE_URI is missing: set it to this server's public URL, the audience its tokens must carry, e.g. https://mcp.example.com/mcp",
    ],
    [
      'http resource off loopback',
      {
        OAUTH_AUTHORIZATION_SERVER: 'https://tenant.us.auth0.com/',
        OAUTH_RESOURCE_URI: 'http://mcp.example.com/mcp',
      },
      'auth0-demo: OAUTH_RESOURCE_URI must use https (http is accepted only for localhost and 127.0.0.1), e.g. https://mcp.example.com/mcp',
    ],
  ],
});

describe('auth0-demo: issuer normalisation', () => {
  it.each([
    ['https://tenant.us.auth0.com', 'https://tenant.us.auth0.com/'],
    ['https://tenant.us.auth0.com/', 'https://tenant.us.auth0.com/'],
  ])('%s → %s', (typed, expected) => {
    expect(auth0.normalizeIssuer?.(typed)).toBe(expected);
    expect(auth0.checkIssuer?.(new URL(expected))).toBeUndefined();
  });
});

describe('auth0-demo: the audience parameter', () => {
  it('a token asked for with audience only (no resource) is for this API and accepted', async () => {
    const app = await startDemoApp(auth0, { env: { PORT: '0' } });
    try {
      const tokens = await app.emulation!.authorizationCodeFlow({
        resource: null,
        scope: 'read:tools',
        extraParams: { audience: app.resourceUri },
      });
      const res = await fetch(app.sseUrl, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(res.status).toBe(200);
      await res.body?.cancel();
    } finally {
      await app.close();
    }
  });

  it('a token asked for with neither audience nor resource is refused with 401 invalid_token', async () => {
    const app = await startDemoApp(auth0, { env: { PORT: '0' } });
    try {
      const tokens = await app.emulation!.authorizationCodeFlow({
        resource: null,
        scope: 'openid',
      });
      const res = await fetch(app.sseUrl, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(res.status).toBe(401);
      await res.body?.cancel();
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    } finally {
      await app.close();
    }
  });
});
