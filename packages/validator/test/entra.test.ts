import { type DevAuthServer, start } from '@mcp-auth/dev-auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenValidator, type TokenValidator } from '../src/index.js';
import { decodeJwt, rejectsWith } from './helpers.js';

/**
 * Issue 14 item 3: the validator's Entra profile against the local authorization server's Entra v2
 * emulation (issuer .../<tenant>/v2.0, aud = the API's application id GUID or api:// URI, `scp`
 * string of short names for delegated tokens, `roles` array for app-only tokens, `azp`, typ JWT,
 * the `resource` parameter refused).
 */

const MCP = 'http://127.0.0.1:3000/mcp';
const APP = '6e74172b-be56-4843-9ff4-e66a39bb12e3';

let as: DevAuthServer;
let uriAs: DevAuthServer; // aud is the Application ID URI
const open: TokenValidator[] = [];

beforeAll(async () => {
  [as, uriAs] = await Promise.all([
    start({ profile: 'entra', resources: [{ uri: MCP, scopes: ['mcp.read', 'Tools.Run'] }] }),
    start({
      profile: 'entra',
      entraAudience: 'api://contoso-mcp',
      resources: [{ uri: MCP, scopes: ['mcp.read'] }],
    }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all(open.map((v) => v.close()));
  await Promise.all([as?.stop(), uriAs?.stop()]);
});

function entra(server: DevAuthServer, o: Record<string, unknown> = {}): TokenValidator {
  const v = createTokenValidator({
    issuer: server.issuer,
    resource: MCP,
    profile: 'entra',
    acceptedAudiences: [APP],
    allowInsecureHttpForLoopback: true,
    ...o,
  });
  open.push(v);
  return v;
}

describe('Entra v2 tokens from the local emulation', () => {
  it('the issuer is .../<tenant>/v2.0 and tokens carry aud = the API GUID, typ JWT', async () => {
    expect(as.issuer).toMatch(/\/00000000-0000-4000-8000-000000000000\/v2\.0$/);
    const { access_token } = await as.clientCredentials({ resource: MCP });
    expect(decodeJwt(access_token).header.typ).toBe('JWT');
    expect(decodeJwt(access_token).payload.aud).toBe(APP);
  });

  it('delegated token: scp string of short names becomes the scopes; azp is the client', async () => {
    const t = await as.authorizationCodeFlow({
      resource: MCP,
      scope: `openid api://${APP}/mcp.read`,
    });
    const auth = await entra(as, { requiredScopes: ['mcp.read'] }).validate(t.access_token);
    expect(auth).toMatchObject({ clientId: 'mcp-public', scopes: ['mcp.read'] });
    expect(auth.extra).toMatchObject({ subject: 'user-1', issuer: as.issuer, tokenType: 'jwt' });
  });

  it('app-only token (client credentials, .default): roles array counted as scopes; scp absent', async () => {
    const { access_token } = await as.clientCredentials({ resource: MCP });
    expect(decodeJwt(access_token).payload).not.toHaveProperty('scp');
    const auth = await entra(as, { requiredScopes: ['Tools.Run'] }).validate(access_token);
    expect(auth).toMatchObject({ clientId: 'mcp-service', scopes: ['mcp.read', 'Tools.Run'] });
  });

  it('a scope the token lacks → 403 insufficient_scope', async () => {
    const t = await as.authorizationCodeFlow({
      resource: MCP,
      scope: `openid api://${APP}/mcp.read`,
    });
    const err = await rejectsWith(
      entra(as, { requiredScopes: ['Tools.Run'] }).validate(t.access_token),
      'ERR_INSUFFICIENT_SCOPE',
    );
    expect(err.status).toBe(403);
  });

  it('aud as the Application ID URI (api://…) is accepted when listed', async () => {
    const { access_token } = await uriAs.clientCredentials({ resource: MCP });
    expect(decodeJwt(access_token).payload.aud).toBe('api://contoso-mcp');
    await rejectsWith(entra(uriAs).validate(access_token), 'ERR_AUDIENCE_MISMATCH');
    await expect(
      entra(uriAs, { acceptedAudiences: ['api://contoso-mcp'] }).validate(access_token),
    ).resolves.toMatchObject({ clientId: 'mcp-service' });
  });

  it("another API's token (another application id in aud) is refused", async () => {
    const { access_token } = await uriAs.clientCredentials({ resource: MCP });
    const v = entra(as, { acceptedAudiences: ['00000000-0000-4000-8000-0000000000aa'] });
    // Another server entirely: its keys are not this issuer's.
    await rejectsWith(v.validate(access_token), 'ERR_KEY_NOT_FOUND');
    const own = (await as.clientCredentials({ resource: MCP })).access_token;
    await rejectsWith(v.validate(own), 'ERR_AUDIENCE_MISMATCH');
  });

  it('an Entra ID token is not an access token', async () => {
    const t = await as.authorizationCodeFlow({
      resource: MCP,
      scope: `openid api://${APP}/mcp.read`,
    });
    expect(t.id_token).toBeTruthy();
    await rejectsWith(entra(as).validate(t.id_token!), 'ERR_AUDIENCE_MISMATCH');
  });
});

describe('Entra configuration rules (construction time)', () => {
  const make = (o: Record<string, unknown>) => () =>
    createTokenValidator({
      resource: 'https://mcp.example.com/mcp',
      profile: 'entra',
      ...o,
    } as never);

  it.each([
    [
      'no acceptedAudiences',
      { issuer: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0' },
      '"acceptedAudiences" is required',
    ],
    [
      'an audience that is neither a GUID nor a URI',
      { issuer: 'https://login.microsoftonline.com/t/v2.0', acceptedAudiences: ['my-api'] },
      'must be an application id (GUID) or an Application ID URI',
    ],
    [
      'the v1 issuer',
      { issuer: 'https://sts.windows.net/t/', acceptedAudiences: [APP] },
      'must be https://login.microsoftonline.com/<tenant id>/v2.0',
    ],
    [
      'a v1-shaped login.microsoftonline.com issuer',
      { issuer: 'https://login.microsoftonline.com/t/', acceptedAudiences: [APP] },
      'must be https://login.microsoftonline.com/<tenant id>/v2.0',
    ],
    [
      'the common endpoint (not an issuer)',
      { issuer: 'https://login.microsoftonline.com/common/v2.0', acceptedAudiences: [APP] },
      'must be https://login.microsoftonline.com/<tenant id>/v2.0',
    ],
  ])('%s is a TypeError', (_name, o, message) => {
    expect(make(o)).toThrow(TypeError);
    expect(make(o)).toThrow(message);
  });

  it('a real tenant issuer with a GUID and an api:// audience is fine', () => {
    const v = make({
      issuer: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0',
      acceptedAudiences: [APP, `api://${APP}`],
    })();
    open.push(v);
    expect(v.issuer).toBe(
      'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0',
    );
  });
});
