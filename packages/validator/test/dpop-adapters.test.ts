import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAuth } from '../src/fetch.js';
import type { TokenValidator } from '../src/index.js';
import { requireAuth } from '../src/node.js';
import { boundToken, type KeyPair, newKeyPair, proofFor } from './dpop-helpers.js';
import { RESOURCE, startAuthServer, validatorFor } from './helpers.js';

/** DPoP on the wire: node:http, Express (mounted) and Fetch adapters, real HTTP on loopback. */
let as: DevAuthServer;
let keyPair: KeyPair;
let token: string;
let validator: TokenValidator;
const servers: http.Server[] = [];
const secret = 'the nonce secret of every instance of this server';

beforeAll(async () => {
  as = await startAuthServer();
  keyPair = await newKeyPair();
  token = await boundToken(as, keyPair);
  validator = validatorFor(as, { dpop: { mode: 'allowed', nonce: { secret } } });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await validator?.close();
  await as?.stop();
});

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The two-step dance of RFC 9449 §9: a 401 use_dpop_nonce, then the proof with the nonce. */
async function dance(base: string, path = '/mcp'): Promise<Response> {
  const first = await fetch(base + path, {
    method: 'POST',
    headers: { authorization: `DPoP ${token}`, dpop: await proofFor(keyPair, token) },
  });
  expect(first.status).toBe(401);
  expect(first.headers.get('access-control-expose-headers')).toBe(
    'WWW-Authenticate, Retry-After, DPoP-Nonce',
  );
  expect(first.headers.get('www-authenticate')).toMatch(
    /^Bearer resource_metadata="[^"]+", DPoP algs="[^"]+", error="use_dpop_nonce", resource_metadata=/,
  );
  const nonce = first.headers.get('dpop-nonce');
  expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(await first.json()).toMatchObject({ error: 'use_dpop_nonce' });
  return fetch(base + path, {
    method: 'POST',
    headers: {
      authorization: `DPoP ${token}`,
      dpop: await proofFor(keyPair, token, { nonce: nonce! }),
    },
  });
}

describe('DPoP through the adapters', () => {
  it('node:http requireAuth', async () => {
    const auth = requireAuth(validator);
    const base = await listen(async (req, res) => {
      const info = await auth(req, res);
      if (info) res.end(JSON.stringify(info.extra?.dpop));
    });
    const ok = await dance(base);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveProperty('jkt');
  });

  it('Express, mounted at /mcp (req.url is stripped: originalUrl is the path)', async () => {
    const app = express();
    app.use('/mcp', requireAuth(validator));
    app.post('/mcp', (req, res) => {
      res.json((req as unknown as { auth: { extra: unknown } }).auth.extra);
    });
    const base = await listen(app as unknown as http.RequestListener);
    const ok = await dance(base);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ senderConstrained: 'dpop' });
  });

  it('Fetch withAuth (the request URL host is not used, only its path)', async () => {
    const handler = withAuth(validator, (_req, auth) => Response.json(auth.extra?.dpop));
    const base = await listen(async (req, res) => {
      const headers = new Headers();
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
      }
      const response = await handler(
        new Request(`http://internal.invalid${req.url}`, { method: req.method, headers }),
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(await response.text());
    });
    const ok = await dance(base);
    expect(ok.status).toBe(200);
    expect(new URL(RESOURCE).pathname).toBe('/mcp');
  });
});
