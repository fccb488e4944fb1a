import { createPkcePair } from '@mcp-auth/pkce';
import { launchChromium, startHttpServer, type TestHttpServer } from '@mcp-auth/test-utils';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevAuthServer, start } from './index.js';

const MCP = 'http://127.0.0.1:3000/mcp';

let browser: Awaited<ReturnType<typeof launchChromium>>;
let as: DevAuthServer;
let callback: TestHttpServer;

beforeAll(async () => {
  [browser, as, callback] = await Promise.all([
    launchChromium(),
    start({ interactive: true, resources: [{ uri: MCP, scopes: ['mcp:tools'] }] }),
    startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE html><title>done</title><p>You can close this window.</p>');
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([browser?.close(), as?.stop(), callback?.stop()]);
});

describe('interactive pages in headless Chromium', () => {
  it('a person signs in and approves; the client gets a code that exchanges for a token', async () => {
    const redirectUri = `${callback.url}/callback`;
    const { codeVerifier, codeChallenge } = await createPkcePair();
    const url = new URL(as.endpoints.authorization);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: 'mcp-public',
      redirect_uri: redirectUri,
      scope: 'mcp:tools',
      resource: MCP,
      state: 'browser-state',
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    })) {
      url.searchParams.set(k, v);
    }
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(url.href);
      await page.fill('input[name=login]', 'user1@example.com');
      await page.fill('input[name=password]', 'wrong');
      await page.click('button[type=submit]');
      expect(await page.textContent('#error')).toBe('Wrong username or password.');
      await page.fill('input[name=password]', 'password');
      await page.click('button[type=submit]');
      await page.waitForSelector('#consent-form');
      expect(await page.textContent('main')).toContain(MCP);
      await Promise.all([page.waitForURL(`${redirectUri}?*`), page.click('button[type=submit]')]);
      const landed = new URL(page.url());
      expect(landed.searchParams.get('state')).toBe('browser-state');
      expect(landed.searchParams.get('iss')).toBe(as.issuer);
      const code = landed.searchParams.get('code') as string;
      const tokens = await as.exchangeCode({ code, codeVerifier, redirectUri, resource: MCP });
      const { payload } = await jwtVerify(
        tokens.access_token,
        createRemoteJWKSet(new URL(as.jwksUri)),
        {
          issuer: as.issuer,
          audience: MCP,
        },
      );
      expect(payload).toMatchObject({ sub: 'user-1', scope: 'mcp:tools', client_id: 'mcp-public' });
    } finally {
      await context.close();
    }
  });
});
