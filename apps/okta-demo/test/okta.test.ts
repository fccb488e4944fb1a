import { join } from 'node:path';
import { providerAppSuite } from '@mcp-auth/app-demo-kit/testing';
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
    // The authorization server's audience, set to this server as the README says.
    expect(who.providerClaims['aud']).toBe(app.resourceUri);
    expect(who.claims).not.toHaveProperty('scope');
  },
  badConfigs: [
    [
      'org authorization server',
      {
        OAUTH_AUTHORIZATION_SERVER: 'https://dev-123456.okta.com',
        OAUTH_RESOURCE_URI: 'https://mcp.example.com/sse',
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
