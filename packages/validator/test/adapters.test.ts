import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateRequest, withAuth } from '../src/fetch.js';
import type { TokenValidator } from '../src/index.js';
import { requireAuth } from '../src/node.js';
import {
  buildValidatorPackages,
  OTHER_RESOURCE,
  run,
  serviceToken,
  startAuthServer,
  validatorFor,
} from './helpers.js';

let as: DevAuthServer;
let validator: TokenValidator;
let good: string;
let readOnly: string;
let foreign: string;
const servers: Server[] = [];

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  as = await startAuthServer();
  validator = validatorFor(as, { requiredScopes: ['mcp:read'] });
  [good, readOnly, foreign] = await Promise.all([
    serviceToken(as, undefined, 'mcp:read mcp:write'),
    serviceToken(as, undefined, 'mcp:write'),
    serviceToken(as, OTHER_RESOURCE),
  ]);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await validator?.close();
  await as?.stop();
});

/** Tokens exist only after beforeAll: rows name them, tests resolve them. */
function resolve(authz: string): string {
  return authz === 'FOREIGN'
    ? `Bearer ${foreign}`
    : authz === 'READONLY'
      ? `Bearer ${readOnly}`
      : authz;
}

const PRM = 'http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp';

type Row = [
  name: string,
  auth: string | undefined,
  status: number,
  wwwAuthenticate: string | undefined,
  error: string,
];
const rows: Row[] = [
  [
    'no token',
    undefined,
    401,
    `Bearer scope="mcp:read", resource_metadata="${PRM}"`,
    'unauthorized',
  ],
  [
    'Basic credentials',
    'Basic dTpw',
    401,
    `Bearer scope="mcp:read", resource_metadata="${PRM}"`,
    'unauthorized',
  ],
  [
    'malformed header',
    'Bearer a b',
    400,
    `Bearer error="invalid_request", scope="mcp:read", resource_metadata="${PRM}", error_description="More than one token after Bearer"`,
    'invalid_request',
  ],
  [
    'foreign token',
    'FOREIGN',
    401,
    `Bearer error="invalid_token", scope="mcp:read", resource_metadata="${PRM}", error_description="The token was issued for another resource"`,
    'invalid_token',
  ],
  [
    'garbage token',
    'Bearer abc.def.ghi',
    401,
    `Bearer error="invalid_token", scope="mcp:read", resource_metadata="${PRM}", error_description="The token is not a well-formed JWT"`,
    'invalid_token',
  ],
  [
    'missing scope',
    'READONLY',
    403,
    `Bearer error="insufficient_scope", scope="mcp:read", resource_metadata="${PRM}", error_description="The token lacks a required scope"`,
    'insufficient_scope',
  ],
];

describe('@mcp-auth/validator/node on plain node:http', () => {
  let url: string;
  beforeAll(async () => {
    const auth = requireAuth(validator);
    url = await listen(async (req, res) => {
      const info = await auth(req, res);
      if (!info) return;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          sub: info.extra?.subject,
          auth: (req as { auth?: unknown }).auth === info,
        }),
      );
    });
  });

  it.each(rows.map(([name, authz, status, www, error]) => ({ name, authz, status, www, error })))(
    '$name → $status',
    async ({ authz, status, www, error }) => {
      const res = await fetch(`${url}/mcp`, {
        headers: authz ? { authorization: resolve(authz) } : {},
      });
      expect(res.status).toBe(status);
      expect(res.headers.get('www-authenticate')).toBe(www);
      expect(res.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as { error: string; error_description: string };
      expect(body.error).toBe(error);
      expect(typeof body.error_description).toBe('string');
    },
  );

  it('a good token reaches the handler with req.auth set', async () => {
    const res = await fetch(`${url}/mcp`, { headers: { authorization: `Bearer ${good}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'mcp-service', auth: true });
  });
});

describe('@mcp-auth/validator/node as Express middleware', () => {
  let url: string;
  beforeAll(async () => {
    const app = express();
    app.use('/mcp', requireAuth(validator, { requiredScopes: ['mcp:write'] }));
    app.get('/mcp', (req, res) => {
      res.json({ client: (req as unknown as { auth: { clientId: string } }).auth.clientId });
    });
    url = await listen(app);
  });

  it('passes with a good token and sets req.auth', async () => {
    const res = await fetch(`${url}/mcp`, { headers: { authorization: `Bearer ${good}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ client: 'mcp-service' });
  });

  it('403 lists the validator scopes and the route scopes', async () => {
    const readonlyToken = await serviceToken(as, undefined, 'mcp:read');
    const res = await fetch(`${url}/mcp`, {
      headers: { authorization: `Bearer ${readonlyToken}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('scope="mcp:read mcp:write"');
  });

  it('401 without a token, without an error code', async () => {
    const res = await fetch(`${url}/mcp`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).not.toContain('error=');
  });
});

describe('@mcp-auth/validator/fetch', () => {
  it.each(rows.map(([name, authz, status, www, error]) => ({ name, authz, status, www, error })))(
    'authenticateRequest: $name → $status',
    async ({ authz, status, www, error }) => {
      const result = await authenticateRequest(
        validator,
        new Request('http://127.0.0.1:3000/mcp', {
          headers: authz ? { authorization: resolve(authz) } : {},
        }),
      );
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.response.status).toBe(status);
      expect(result.response.headers.get('www-authenticate')).toBe(www);
      expect(((await result.response.json()) as { error: string }).error).toBe(error);
    },
  );

  it('withAuth runs the handler with the AuthInfo', async () => {
    const handler = withAuth(validator, (_req, auth) => Response.json({ scopes: auth.scopes }));
    const res = await handler(
      new Request('http://127.0.0.1:3000/mcp', { headers: { authorization: `Bearer ${good}` } }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ scopes: ['mcp:read', 'mcp:write'] });
    const denied = await handler(new Request('http://127.0.0.1:3000/mcp'));
    expect(denied.status).toBe(401);
  });

  it('503 with Retry-After when the authorization server is down', async () => {
    const down = validatorFor(as, {
      issuer: 'http://127.0.0.1:9/',
      jwt: { jwksUri: 'http://127.0.0.1:9/jwks' },
    });
    const result = await authenticateRequest(
      down,
      new Request('http://127.0.0.1:3000/mcp', { headers: { authorization: `Bearer ${good}` } }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(503);
    expect(result.response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await result.response.json()) as { error: string }).error).toBe(
      'temporarily_unavailable',
    );
    await down.close();
  });
});

describe('the official MCP SDK: requireBearerAuth({ verifier: validator })', () => {
  let url: string;
  beforeAll(async () => {
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
    url = await listen(app);
  });

  it.each([
    ['no token', undefined, 401],
    ['garbage token', 'Bearer abc.def.ghi', 401],
    ['token for another resource', 'FOREIGN', 401],
    ['token without the required scope', 'READONLY', 403],
    ['good token', 'GOOD', 200],
  ] as const)('%s → %i', async (_n, authz, status) => {
    const header =
      authz === 'FOREIGN'
        ? `Bearer ${foreign}`
        : authz === 'READONLY'
          ? `Bearer ${readOnly}`
          : authz === 'GOOD'
            ? `Bearer ${good}`
            : authz;
    const res = await fetch(`${url}/mcp`, { headers: header ? { authorization: header } : {} });
    expect(res.status).toBe(status);
    if (status === 200) expect(await res.json()).toEqual({ client: 'mcp-service' });
    else
      expect(res.headers.get('www-authenticate')).toContain(
        `resource_metadata="${validator.resourceMetadataUrl}"`,
      );
  });
});

describe('the MCP SDK from CommonJS (built dist/index.cjs)', () => {
  it('requireBearerAuth maps 401 and 403 with the SDK’s CommonJS error classes', async () => {
    await buildValidatorPackages();
    const { stdout } = await run(
      process.execPath,
      [new URL('./fixtures/sdk-cjs.cjs', import.meta.url).pathname],
      {
        env: { ...process.env, ISSUER: as.issuer, TOKEN: readOnly },
        timeout: 30_000,
      },
    );
    // no token → 401; bad signature → 401 (InvalidTokenError); valid token without mcp:admin → 403
    expect(JSON.parse(stdout.trim())).toEqual([401, 401, 403]);
  }, 200_000);
});
