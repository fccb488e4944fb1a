import { join } from 'node:path';
import { startDemoApp } from '@mcp-auth/app-demo-kit';
import { providerAppSuite } from '@mcp-auth/app-demo-kit/testing';
import { describe, expect, it } from 'vitest';
import { cognito } from '../src/provider.js';

providerAppSuite(cognito, {
  appDir: join(import.meta.dirname, '..'),
  async expectDiscovery(app) {
    expect(app.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/us-east-1_Example$/);
    const oidc = await fetch(`${app.issuer}/.well-known/openid-configuration`);
    expect(oidc.status).toBe(200);
    const doc = (await oidc.json()) as Record<string, unknown>;
    expect(doc['issuer']).toBe(app.issuer);
    // Cognito's quirk: S256 works, but the metadata does not say so.
    expect(doc).not.toHaveProperty('code_challenge_methods_supported');
    expect(doc).not.toHaveProperty('registration_endpoint');
    // Only OpenID discovery: no RFC 8414 document.
    const origin = new URL(app.issuer).origin;
    const rfc8414 = await fetch(
      `${origin}/.well-known/oauth-authorization-server/us-east-1_Example`,
    );
    expect(rfc8414.status).toBe(404);
    await rfc8414.body?.cancel();
  },
  expectWhoami(who) {
    expect(who.subject).toBe('user-1');
    expect(who.clientId).toBe('mcp-public');
    expect(who.providerClaims['token_use']).toBe('access');
    expect(who.providerClaims['client_id']).toBe('mcp-public');
    expect(who.providerClaims['scope']).toBe('mcp/tools');
    // No audience in Cognito access tokens: the client id allowlist binds them instead.
    expect(who.claims).not.toHaveProperty('aud');
  },
  badConfigs: [
    [
      'PORT',
      { PORT: 'eighty' },
      'cognito-demo: PORT must be a whole number from 0 to 65535 (0 picks a free port), e.g. PORT=3001 (got "eighty")',
    ],
    [
      'hosted UI domain as issuer',
      {
        OAUTH_AUTHORIZATION_SERVER: 'https://mcp-demo.auth.us-east-1.amazoncognito.com',
        OAUTH_CLIENT_ID: 'abc',
        OAUTH_RESOURCE_URI: 'https://mcp.example.com/mcp',
      },
      'cognito-demo: OAUTH_AUTHORIZATION_SERVER is the Cognito domain (…amazoncognito.com), not the issuer: use https://cognito-idp.<region>.amazonaws.com/<user pool id>, e.g. https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123',
    ],
    [
      'no client binding',
      {
        OAUTH_AUTHORIZATION_SERVER:
          'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123',
        OAUTH_RESOURCE_URI: 'https://mcp.example.com/mcp',
      },
      'cognito-demo: OAUTH_ALLOWED_CLIENT_IDS is missing: Amazon Cognito access tokens carry no audience, so list the app client ids whose tokens this server accepts, e.g. OAUTH_ALLOWED_CLIENT_IDS=1example23456789abcdefghij (or set OAUTH_CLIENT_ID)',
    ],
    [
      'client id without issuer',
      { OAUTH_CLIENT_ID: 'abc' },
      'cognito-demo: OAUTH_AUTHORIZATION_SERVER is missing (OAUTH_CLIENT_ID is set): set it to your Amazon Cognito issuer, e.g. https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123, or unset the OAUTH_* variables to run against the local emulation',
    ],
  ],
});

describe('cognito-demo: issuer shape and client binding', () => {
  it.each([
    [
      'https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC',
      'must end with the user pool id of region us-east-1',
    ],
    [
      'https://cognito-idp.us-east-1.amazonaws.com/',
      'must end with the user pool id of region us-east-1',
    ],
    [
      'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC/',
      'must end with the user pool id of region us-east-1',
    ],
  ])('refuses %s', (issuer, message) => {
    expect(cognito.checkIssuer?.(new URL(issuer))).toContain(message);
  });

  it('accepts a real pool issuer', () => {
    expect(
      cognito.checkIssuer?.(
        new URL('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123'),
      ),
    ).toBeUndefined();
  });

  it('refuses a token issued to a client outside the allowlist (no audience to tell them apart)', async () => {
    const app = await startDemoApp(cognito, { env: { PORT: '0' } });
    try {
      // mcp-service: a real client of the same pool, but not one this server trusts.
      const token = await app.emulation!.getToken({
        resource: app.resourceUri,
        scope: 'mcp/tools',
      });
      const res = await fetch(app.sseUrl, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      await res.body?.cancel();
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer error="invalid_token"/);
      expect(challenge).toContain(`resource_metadata="${app.resourceMetadataUrl}"`);
    } finally {
      await app.close();
    }
  });
});
