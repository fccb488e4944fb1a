import { join } from 'node:path';
import { startDemoApp } from '@mcp-auth/app-demo-kit';
import { providerAppSuite } from '@mcp-auth/app-demo-kit/testing';
import { start } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { describe, expect, it } from 'vitest';
import { okta } from '../src/provider.js';

providerAppSuite(okta, {
  appDir: join(import.meta.dirname, '..'),
  async expectDiscovery(app) {
    expect(app.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2\/default$/);
    // Both documents under the issuer path, as an Okta custom authorization server serves them.
    for (const doc of ['oauth-authorization-server', 'openid-configuration']) {
      const res = await fetch(`${app.issuer}/.well-known/${doc}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body['issuer']).toBe(app.issuer);
      expect(body['code_challenge_methods_supported']).toEqual(['S256']);
      expect(typeof body['introspection_endpoint']).toBe('string');
    }
  },
  expectWhoami(who, app) {
    // Okta: sub is the login, uid the user id, cid the client, scp an array.
    expect(who.subject).toBe('user1@example.com');
    expect(who.clientId).toBe('mcp-public');
    expect(who.providerClaims['uid']).toBe('user-1');
    expect(who.providerClaims['cid']).toBe('mcp-public');
    expect(who.providerClaims['scp']).toEqual(['mcp.tools']);
    expect(who.providerClaims['ver']).toBe(1);
    // Okta's default Audience, whatever resource was asked for; accepted explicitly.
    expect(who.providerClaims['aud']).toBe('api://default');
    expect(app.acceptedAudiences).toEqual(['api://default']);
    expect(who.claims).not.toHaveProperty('scope');
  },
  badConfigs: [
    [
      'org authorization server',
      {
        OAUTH_AUTHORIZATION_SERVER: 'https://dev-123456.okta.com',
        OAUTH_RESOURCE_URI: 'https://mcp.example.com/mcp',
      },
      'okta-demo: OAUTH_AUTHORIZATION_SERVER must be an Okta custom authorization server issuer, e.g. https://dev-123456.okta.com/oauth2/default (the org authorization server does not issue tokens for your APIs)',
    ],
    [
      'ALLOWED_ORIGIN with a path',
      { ALLOWED_ORIGIN: 'https://app.example.com/ui' },
      'okta-demo: ALLOWED_ORIGIN must be * or origins separated by commas (scheme://host[:port], no path), e.g. ALLOWED_ORIGIN=http://localhost:6274 (got "https://app.example.com/ui")',
    ],
  ],
});

describe('okta-demo: issuer shape', () => {
  it.each([
    ['https://dev-123456.okta.com/oauth2/default', undefined],
    ['https://id.example.com/oauth2/aus1abcd', undefined],
    ['https://dev-123456.okta.com/oauth2/default/', 'custom authorization server'],
    ['https://dev-123456.okta.com/oauth2', 'custom authorization server'],
  ])('%s', (issuer, problem) => {
    const result = okta.checkIssuer?.(new URL(issuer));
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(problem);
  });
});

describe('okta-demo against an Okta-shaped authorization server left at api://default', () => {
  it('refuses its tokens unless OAUTH_AUDIENCE names api://default explicitly', async () => {
    const port = await getFreePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    const as = await start({
      profile: 'okta',
      resources: [{ uri: resource, scopes: ['mcp.tools'] }],
    });
    const env = {
      OAUTH_AUTHORIZATION_SERVER: as.issuer,
      OAUTH_RESOURCE_URI: resource,
      PORT: String(port),
    };
    try {
      const token = (await as.authorizationCodeFlow({ resource, scope: 'mcp.tools' })).access_token;
      const strict = await startDemoApp(okta, { env });
      try {
        const res = await fetch(strict.sseUrl, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(401);
        await res.body?.cancel();
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      } finally {
        await strict.close();
      }
      // Another port: a fresh server never meets a pooled socket of the closed one.
      const lenient = await startDemoApp(okta, {
        env: { ...env, PORT: String(await getFreePort()), OAUTH_AUDIENCE: 'api://default' },
      });
      try {
        const res = await fetch(lenient.sseUrl, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
        await res.body?.cancel();
      } finally {
        await lenient.close();
      }
    } finally {
      await as.stop();
    }
  });
});
