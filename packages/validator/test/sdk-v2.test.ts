/**
 * The validator as the `OAuthTokenVerifier` of the v2 SDK line: `requireBearerAuth` of
 * `@modelcontextprotocol/express` maps an `OAuthError` by its OAuth code (v1 maps by class; both are
 * installed here, so one error must satisfy both). Real tokens from the local authorization server.
 */
import type { AddressInfo } from 'node:net';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { requireBearerAuth } from '@modelcontextprotocol/express';
import { OAuthError } from '@modelcontextprotocol/server';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenValidator } from '../src/index.js';
import { OTHER_RESOURCE, serviceToken, startAuthServer, validatorFor } from './helpers.js';

let as: DevAuthServer;
let validator: TokenValidator;
let url: string;
let close: () => Promise<void>;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  as = await startAuthServer();
  validator = validatorFor(as, { requiredScopes: ['mcp:read'] });
  [tokens['GOOD'], tokens['READONLY'], tokens['FOREIGN']] = await Promise.all([
    serviceToken(as, undefined, 'mcp:read mcp:write'),
    serviceToken(as, undefined, 'mcp:write'),
    serviceToken(as, OTHER_RESOURCE),
  ]);
  const app = express();
  app.get(
    '/mcp',
    requireBearerAuth({
      verifier: validator,
      requiredScopes: ['mcp:read'],
      resourceMetadataUrl: validator.resourceMetadataUrl,
    }),
    (req, res) => {
      res.json({ client: (req as unknown as { auth: { clientId: string } }).auth.clientId });
    },
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r()));
});

afterAll(async () => {
  await close?.();
  await validator?.close();
  await as?.stop();
});

describe('SDK v2: requireBearerAuth({ verifier: validator }) from @modelcontextprotocol/express', () => {
  it.each([
    ['no token', undefined, 401],
    ['a garbage token', 'Bearer abc.def.ghi', 401],
    ['a token for another resource', 'FOREIGN', 401],
    ['a token without the required scope', 'READONLY', 403],
    ['a good token', 'GOOD', 200],
  ] as const)('%s → %i', async (_name, authz, status) => {
    const header =
      authz === undefined
        ? undefined
        : authz.startsWith('Bearer ')
          ? authz
          : `Bearer ${tokens[authz]}`;
    const res = await fetch(`${url}/mcp`, { headers: header ? { authorization: header } : {} });
    expect(res.status).toBe(status);
    if (status === 200) expect(await res.json()).toEqual({ client: 'mcp-service' });
    else {
      expect(res.headers.get('www-authenticate')).toContain(
        `resource_metadata="${validator.resourceMetadataUrl}"`,
      );
      expect(((await res.json()) as { error: string }).error).toBe(
        status === 403 ? 'insufficient_scope' : 'invalid_token',
      );
    }
  });

  it('the error verifyAccessToken rejects with is a v2 OAuthError and keeps the validator code', async () => {
    const err = await validator.verifyAccessToken('abc.def.ghi').then(
      () => undefined,
      (e: unknown) => e as { code: string; validationCode: string; status: number },
    );
    expect(err instanceof OAuthError).toBe(true);
    expect(err).toMatchObject({
      code: 'invalid_token',
      validationCode: 'ERR_TOKEN_MALFORMED',
      status: 401,
    });
  });
});
