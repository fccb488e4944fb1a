/**
 * A real (headless, offline) Chromium runs the browser flow: the state cookie's attributes, the
 * round trip through the authorization server, and an XSS attempt that must render as text.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort, launchChromium } from '@mcp-auth/test-utils';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';

type Browser = Awaited<ReturnType<typeof launchChromium>>;

let das: DevAuthServer;
let provider: OAuthProvider;
let server: SseServer;
let browser: Browser;
let base: string;

beforeAll(async () => {
  const port = await getFreePort();
  base = `http://127.0.0.1:${port}`;
  das = await startAuthServer({ resources: [{ uri: `${base}/sse`, scopes: ['mcp:read'] }] });
  provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: `${base}/sse`,
    requiredScopes: ['mcp:read'],
    clientId: das.clients.confidential.clientId,
    clientSecret: das.clients.confidential.clientSecret,
    allowInsecureHttpForLoopback: true,
  });
  server = createServer({
    port,
    auth: { provider },
    createMcpServer: () => new McpServer({ name: 'b', version: '1' }),
  });
  await server.listen();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await provider?.close();
  await das?.stop();
});

describe('in a real browser', () => {
  it('runs the whole flow; the state cookie is HttpOnly, SameSite=Lax, path-scoped and cleared', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The first hop through the context's request API (it shares the browser's cookie jar), to see
    // the cookie before the flow clears it; the browser then follows the redirect itself.
    const start = await context.request.get(`${base}/oauth/authorize`, { maxRedirects: 0 });
    expect(start.status()).toBe(302);
    const cookie = (await context.cookies()).find((c) => c.name === 'mcp_oauth_state');
    expect(cookie).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
      path: '/oauth/callback',
      secure: false,
    });
    // The cookie is the state itself: the pending sign-in, authenticated by the server.
    expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{50}$/);
    expect(new URL(start.headers()['location']!).searchParams.get('state')).toBe(cookie!.value);
    const response = await page.goto(start.headers()['location']!);
    expect(response?.status()).toBe(200);
    expect(page.url()).toMatch(new RegExp(`^${base}/oauth/callback\\?code=`));
    expect(await page.textContent('h1')).toBe('Authorization complete');
    expect(await page.content()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    expect((await context.cookies()).map((c) => c.name)).not.toContain('mcp_oauth_state');
    // Back button / reload: the state was used once.
    const again = await page.reload();
    expect(again?.status()).toBe(400);
    expect(await page.textContent('p')).toBe(
      'This authorization was not started from this browser',
    );
    // The cookie put back (as one copied before the flow ended): the used state is refused.
    await context.addCookies([cookie!]);
    const replay = await page.reload();
    expect(replay?.status()).toBe(400);
    expect(await page.textContent('p')).toBe('Unknown, expired or already used state');
    await context.close();
  });

  it('renders an XSS attempt in error_description as inert text', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    let dialogs = 0;
    page.on('dialog', async (d) => {
      dialogs++;
      await d.dismiss();
    });
    // Only the first hop: this browser gets its state cookie; the authorization server is not visited.
    const start = await context.request.get(`${base}/oauth/authorize`, { maxRedirects: 0 });
    const state = new URL(start.headers()['location']!).searchParams.get('state')!;
    const payload = `<script>alert(1)</script><img src=x onerror="window.__xss=1;alert(2)"><svg onload=alert(3)>`;
    const url = new URL('/oauth/callback', base);
    url.searchParams.set('state', state);
    url.searchParams.set('iss', das.issuer);
    url.searchParams.set('error', 'access_denied');
    url.searchParams.set('error_description', payload);
    const response = await page.goto(url.href);
    expect(response?.status()).toBe(400);
    expect(await page.locator('script, img, svg, iframe').count()).toBe(0);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.textContent('p')).toContain(payload);
    expect(dialogs).toBe(0);
    await context.close();
  });
});
