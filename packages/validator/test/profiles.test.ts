import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenValidator, type TokenValidator, type ValidatorProfile } from '../src/index.js';
import {
  decodeJwt,
  OTHER_RESOURCE,
  RESOURCE,
  rejectsWith,
  serviceToken,
  startAuthServer,
  validatorFor,
} from './helpers.js';
import { type ControlledIssuer, startControlledIssuer } from './issuer.js';

const open: TokenValidator[] = [];
const servers: DevAuthServer[] = [];
afterAll(async () => {
  await Promise.all(open.map((v) => v.close()));
  await Promise.all(servers.map((s) => s.stop()));
});
function v(as: DevAuthServer, o: Parameters<typeof validatorFor>[1]): TokenValidator {
  const validator = validatorFor(as, o);
  open.push(validator);
  return validator;
}
async function userFlow(as: DevAuthServer, resource: string, scope: string) {
  return as.authorizationCodeFlow({
    resource,
    scope,
    clientId: as.clients.confidential.clientId,
    clientSecret: as.clients.confidential.clientSecret,
  });
}

describe('cognito (local AS, cognito emulation)', () => {
  let as: DevAuthServer;
  beforeAll(async () => {
    as = await startAuthServer({ profile: 'cognito' });
    servers.push(as);
  });

  it('tokens have no aud: the profile demands allowedClientIds (TypeError otherwise)', () => {
    expect(() => validatorFor(as, { profile: 'cognito' })).toThrow(/allowedClientIds/);
  });

  it('accepts an access token bound to an allowed client', async () => {
    const token = await serviceToken(as);
    const { header, payload } = decodeJwt(token);
    expect(payload.aud).toBeUndefined();
    expect(payload.token_use).toBe('access');
    expect(header.typ).toBeUndefined();
    const auth = await v(as, { profile: 'cognito', allowedClientIds: ['mcp-service'] }).validate(
      token,
    );
    expect(auth).toMatchObject({ clientId: 'mcp-service', scopes: ['mcp:read', 'mcp:write'] });
  });

  it('refuses a client that is not allowed', async () => {
    const token = await serviceToken(as);
    await rejectsWith(
      v(as, { profile: 'cognito', allowedClientIds: ['someone-else'] }).validate(token),
      'ERR_CLIENT_NOT_ALLOWED',
    );
  });

  it('refuses the ID token (token_use id / no access token)', async () => {
    const { id_token: idToken } = await userFlow(as, RESOURCE, 'openid mcp:read');
    const err = await rejectsWith(
      v(as, { profile: 'cognito', allowedClientIds: ['mcp-confidential'] }).validate(idToken!),
      'ERR_NOT_ACCESS_TOKEN',
    );
    expect(['token_use', 'nonce', 'at_hash']).toContain(err.claim);
  });

  it('with strictAudienceValidation: true (resource indicators on) a token without aud fails', async () => {
    await rejectsWith(
      v(as, { profile: 'cognito', strictAudienceValidation: true }).validate(
        await serviceToken(as),
      ),
      'ERR_AUDIENCE_MISMATCH',
    );
  });

  it('a user token validates with its scopes (OpenID scopes included, as Cognito lists them)', async () => {
    const { access_token } = await userFlow(as, RESOURCE, 'openid mcp:read');
    const auth = await v(as, {
      profile: 'cognito',
      allowedClientIds: ['mcp-confidential'],
    }).validate(access_token);
    expect(auth.scopes).toEqual(expect.arrayContaining(['openid', 'mcp:read']));
  });
});

describe('auth0 (local AS, auth0 emulation)', () => {
  let as: DevAuthServer;
  beforeAll(async () => {
    as = await startAuthServer({ profile: 'auth0' });
    servers.push(as);
  });

  it('the issuer has a trailing slash and validates exactly so', async () => {
    expect(as.issuer.endsWith('/')).toBe(true);
    const token = await serviceToken(as);
    const auth = await v(as, { profile: 'auth0' }).validate(token);
    expect(auth.clientId).toBe('mcp-service');
    expect(auth.scopes).toEqual(expect.arrayContaining(['mcp:read', 'mcp:write']));
    expect(auth.extra?.issuer).toBe(as.issuer);
  });

  it('accepts aud as an array [api, <issuer>userinfo] when openid was asked; permissions count as scopes', async () => {
    const { access_token } = await userFlow(as, RESOURCE, 'openid mcp:read');
    const { payload } = decodeJwt(access_token);
    expect(Array.isArray(payload.aud)).toBe(true);
    const auth = await v(as, { profile: 'auth0', requiredScopes: ['mcp:read'] }).validate(
      access_token,
    );
    expect(auth.clientId).toBe('mcp-confidential');
  });

  it('the generic profile refuses Auth0 tokens (no typ at+jwt)', async () => {
    await rejectsWith(v(as, {}).validate(await serviceToken(as)), 'ERR_TYP_INVALID');
  });

  it('refuses a token for another API on the same tenant', async () => {
    await rejectsWith(
      v(as, { profile: 'auth0' }).validate(await serviceToken(as, OTHER_RESOURCE)),
      'ERR_AUDIENCE_MISMATCH',
    );
  });

  it('refuses the ID token presented as an access token', async () => {
    const { id_token: idToken } = await userFlow(as, RESOURCE, 'openid mcp:read');
    await rejectsWith(v(as, { profile: 'auth0' }).validate(idToken!), 'ERR_AUDIENCE_MISMATCH');
  });
});

describe('auth0 RFC 9068 profile', () => {
  it('tokens carry typ at+jwt and client_id; jwt.requireTyp: true works', async () => {
    const as = await startAuthServer({ profile: 'auth0', auth0Rfc9068Profile: true });
    servers.push(as);
    const token = await serviceToken(as);
    expect(decodeJwt(token).header.typ).toBe('at+jwt');
    const auth = await v(as, { profile: 'auth0', jwt: { requireTyp: true } }).validate(token);
    expect(auth.clientId).toBe('mcp-service');
  });
});

describe('okta (local AS, okta emulation)', () => {
  let as: DevAuthServer;
  beforeAll(async () => {
    as = await startAuthServer({ profile: 'okta' });
    servers.push(as);
  });

  it('aud api://default is refused unless acceptedAudiences lists it', async () => {
    const token = await serviceToken(as);
    const { payload } = decodeJwt(token);
    expect(payload.aud).toBe('api://default');
    expect(Array.isArray(payload.scp)).toBe(true);
    await rejectsWith(v(as, { profile: 'okta' }).validate(token), 'ERR_AUDIENCE_MISMATCH');
    const auth = await v(as, { profile: 'okta', acceptedAudiences: ['api://default'] }).validate(
      token,
    );
    expect(auth).toMatchObject({ clientId: 'mcp-service' });
    expect(auth.scopes).toEqual(expect.arrayContaining(['mcp:read', 'mcp:write']));
    expect(as.issuer.endsWith('/oauth2/default')).toBe(true);
  });

  it('an authorization server whose audience is the resource needs no acceptedAudiences', async () => {
    const as2 = await startAuthServer({ profile: 'okta', oktaAudience: RESOURCE });
    servers.push(as2);
    const auth = await v(as2, { profile: 'okta' }).validate(await serviceToken(as2));
    expect(auth.clientId).toBe('mcp-service');
  });

  it('allowedClientIds checks cid', async () => {
    const token = await serviceToken(as);
    await rejectsWith(
      v(as, {
        profile: 'okta',
        acceptedAudiences: ['api://default'],
        allowedClientIds: ['other'],
      }).validate(token),
      'ERR_CLIENT_NOT_ALLOWED',
    );
  });
});

describe('entra and keycloak (tokens shaped like theirs, from an issuer the test controls)', () => {
  // Tokens carrying exactly the claims those providers send (incl. v1 `appid` shapes the local
  // Entra emulation does not issue), signed by a key published in a JWKS on 127.0.0.1. The real
  // local Entra emulation is used in test/entra.test.ts.
  let ctl: ControlledIssuer;
  const now = () => Math.floor(Date.now() / 1000);
  beforeAll(async () => {
    ctl = await startControlledIssuer();
  });
  afterAll(async () => {
    await ctl?.stop();
  });
  function validator(
    profile: 'entra' | 'keycloak' | ValidatorProfile,
    o: Record<string, unknown> = {},
  ) {
    const x = createTokenValidator({
      issuer: ctl.url,
      resource: RESOURCE,
      profile,
      allowInsecureHttpForLoopback: true,
      jwt: { jwksUri: ctl.jwksUri },
      ...o,
    });
    open.push(x);
    return x;
  }
  const header = () => ({ alg: 'RS256', typ: 'JWT', kid: ctl.kid });
  const API_GUID = '6e74172b-be56-4843-9ff4-e66a39bb12e3';

  it('entra: aud is the API GUID (acceptedAudiences), scp string, roles array, azp', async () => {
    const token = ctl.sign(
      {
        iss: ctl.url,
        aud: API_GUID,
        azp: 'client-guid',
        scp: 'mcp.read mcp.write',
        roles: ['Tools.Run'],
        sub: 'u',
        oid: 'o',
        tid: 't',
        ver: '2.0',
        iat: now(),
        nbf: now(),
        exp: now() + 3600,
      },
      header(),
    );
    // Entra never puts the resource URL in aud: the profile demands acceptedAudiences up front.
    expect(() => validator('entra')).toThrow('"acceptedAudiences" is required');
    await rejectsWith(
      validator('entra', { acceptedAudiences: ['00000000-0000-4000-8000-000000000001'] }).validate(
        token,
      ),
      'ERR_AUDIENCE_MISMATCH',
    );
    const auth = await validator('entra', { acceptedAudiences: [API_GUID] }).validate(token);
    expect(auth).toMatchObject({
      clientId: 'client-guid',
      scopes: ['mcp.read', 'mcp.write', 'Tools.Run'],
    });
  });

  it('entra: an app-only token (roles, no scp) and v1 appid', async () => {
    const token = ctl.sign(
      {
        iss: ctl.url,
        aud: `api://${API_GUID}`,
        appid: 'legacy-app',
        roles: ['Tools.Run'],
        sub: 'app',
        iat: now(),
        exp: now() + 3600,
      },
      header(),
    );
    const auth = await validator('entra', {
      acceptedAudiences: [`api://${API_GUID}`],
      requiredScopes: ['Tools.Run'],
    }).validate(token);
    expect(auth.clientId).toBe('legacy-app');
  });

  it('keycloak: access token (typ Bearer claim) accepted; ID and refresh tokens refused', async () => {
    const base = {
      iss: ctl.url,
      aud: [RESOURCE, 'account'],
      azp: 'mcp-client',
      scope: 'openid mcp:read',
      sub: 'u',
      iat: now(),
      exp: now() + 300,
    };
    const auth = await validator('keycloak').validate(
      ctl.sign({ ...base, typ: 'Bearer' }, header()),
    );
    expect(auth).toMatchObject({ clientId: 'mcp-client', scopes: ['openid', 'mcp:read'] });
    const id = await rejectsWith(
      validator('keycloak').validate(ctl.sign({ ...base, typ: 'ID' }, header())),
      'ERR_NOT_ACCESS_TOKEN',
    );
    expect(id.reason).toBe('id_token');
    await rejectsWith(
      validator('keycloak').validate(ctl.sign({ ...base, typ: 'Refresh' }, header())),
      'ERR_NOT_ACCESS_TOKEN',
    );
  });

  it('a custom profile object: its client id claim and extra scope claims are used', async () => {
    const profile: ValidatorProfile = {
      name: 'acme',
      clientIdClaims: ['app'],
      extraScopeClaims: ['grants'],
      requireTyp: false,
      strictAudienceValidation: true,
      checkClaims(claims) {
        if (claims.env !== 'prod') throw new TypeError('not prod');
      },
    };
    const token = ctl.sign(
      {
        iss: ctl.url,
        aud: RESOURCE,
        app: 'acme-app',
        grants: ['mcp:read'],
        env: 'prod',
        iat: now(),
        exp: now() + 60,
      },
      header(),
    );
    const auth = await validator(profile).validate(token);
    expect(auth).toMatchObject({ clientId: 'acme-app', scopes: ['mcp:read'] });
    const dev = ctl.sign(
      { iss: ctl.url, aud: RESOURCE, app: 'acme-app', env: 'dev', iat: now(), exp: now() + 60 },
      header(),
    );
    const err = await rejectsWith(validator(profile).validate(dev), 'ERR_CLAIM_INVALID');
    expect(err.reason).toBe('profile');
  });

  it('a custom profile cannot turn off the audience silently (strictAudienceValidation false needs allowedClientIds)', () => {
    const profile: ValidatorProfile = {
      name: 'loose',
      clientIdClaims: ['client_id'],
      extraScopeClaims: [],
      requireTyp: false,
      strictAudienceValidation: false,
    };
    expect(() => validator(profile)).toThrow(/allowedClientIds/);
  });
});
