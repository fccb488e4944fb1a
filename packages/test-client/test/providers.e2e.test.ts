/**
 * The flow against the local authorization server's provider emulations (SPEC-NOTES provider
 * table): which discovery URLs are tried in which order, Cognito's missing PKCE metadata, Auth0's
 * trailing-slash issuer and `audience` parameter, Okta's issuer path. The resource server is a fake
 * (these tests are about the client's side of discovery and the token request).
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import type { TestHttpServer } from '@mcp-auth/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { authorize } from '../src/index.js';
import { decodeJwtPayload, startFakeResource } from './helpers.js';

const cleanup: (TestHttpServer | DevAuthServer)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((s) => s.stop()));
});

async function setup(profile: 'cognito' | 'auth0' | 'okta') {
  let das: DevAuthServer | undefined;
  const rs = await startFakeResource({ authorizationServer: () => das!.issuer });
  cleanup.push(rs);
  das = await startAuthServer({
    profile,
    resources: [{ uri: rs.serverUrl, scopes: ['mcp:read'] }],
  });
  cleanup.push(das);
  return { das, rs };
}

describe('provider emulations', () => {
  it('cognito: OIDC only under the issuer path, no code_challenge_methods_supported, no registration', async () => {
    const { das, rs } = await setup('cognito');
    const issuerPath = new URL(das.issuer).pathname;
    // Refused without the explicit override, with the flag to pass in the message.
    await expect(
      authorize(rs.serverUrl, { nonInteractive: true, clientId: 'mcp-public' }),
    ).rejects.toMatchObject({
      code: 'ERR_PKCE_NOT_SUPPORTED',
      discoveryCode: 'ERR_PKCE_METADATA_MISSING',
      message: expect.stringContaining(`--allow-missing-pkce-metadata ${das.issuer}`),
    });
    // Without a client id: no registration endpoint, so a clear error.
    await expect(
      authorize(rs.serverUrl, { nonInteractive: true, allowMissingPkceMetadata: das.issuer }),
    ).rejects.toMatchObject({ code: 'ERR_NO_CLIENT_IDENTITY' });
    const result = await authorize(rs.serverUrl, {
      nonInteractive: true,
      clientId: 'mcp-public',
      allowMissingPkceMetadata: das.issuer,
    });
    const step = result.report.steps.find((s) => s.id === 'authorization_server')!;
    expect(step.sent).toEqual([
      `GET ${das.origin}/.well-known/oauth-authorization-server${issuerPath}`,
      `GET ${das.origin}/.well-known/openid-configuration${issuerPath}`,
      `GET ${das.issuer}/.well-known/openid-configuration`,
    ]);
    expect(step.received[0]).toContain('(oidc), code_challenge_methods_supported=null');
    const claims = decodeJwtPayload(result.tokens.accessToken);
    expect(claims).toMatchObject({ token_use: 'access', client_id: 'mcp-public' });
  });

  it('auth0: trailing-slash issuer, the audience parameter passed through', async () => {
    const { das, rs } = await setup('auth0');
    expect(das.issuer.endsWith('/')).toBe(true);
    const result = await authorize(rs.serverUrl, {
      nonInteractive: true,
      clientId: 'mcp-public',
      authorizationParams: { audience: rs.serverUrl },
    });
    const authUrl = new URL(
      result.report.steps.find((s) => s.id === 'authorization_request')!.sent[0]!.slice(4),
    );
    expect(authUrl.searchParams.get('audience')).toBe(rs.serverUrl);
    expect(authUrl.searchParams.get('resource')).toBe(rs.serverUrl);
    expect(result.metadata.authorizationServer.issuer).toBe(das.issuer);
    const aud = decodeJwtPayload(result.tokens.accessToken).aud;
    expect([aud].flat()).toContain(rs.serverUrl);
  });

  it('okta: issuer /oauth2/default, metadata found under the issuer path', async () => {
    const { das, rs } = await setup('okta');
    const result = await authorize(rs.serverUrl, { nonInteractive: true, clientId: 'mcp-public' });
    expect(new URL(das.issuer).pathname).toBe('/oauth2/default');
    expect(result.metadata.authorizationServerMetadataUrl).toBe(
      `${das.issuer}/.well-known/openid-configuration`,
    );
    const step = result.report.steps.find((s) => s.id === 'authorization_server')!;
    expect(step.sent[0]).toBe(
      `GET ${das.origin}/.well-known/oauth-authorization-server/oauth2/default`,
    );
    expect(decodeJwtPayload(result.tokens.accessToken)).toMatchObject({ cid: 'mcp-public' });
  });
});
