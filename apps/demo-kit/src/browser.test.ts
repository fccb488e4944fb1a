import { launchChromium } from '@mcp-auth/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER, startDemoApp } from './app.js';
import type { ProviderDefinition } from './provider.js';

const generic: ProviderDefinition = {
  profile: 'generic',
  appName: 'browser-demo',
  displayName: 'Test IdP',
  defaultRequiredScopes: ['mcp:tools'],
  defaultStepUpScope: 'mcp:admin',
  defaultPort: 0,
  issuerExample: 'https://idp.example.com',
  resourceExample: 'https://mcp.example.com/mcp',
  emulation: { notes: [] },
  highlightClaims: [],
};

describe('--interactive in a real browser (headless Chromium)', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('signs in on the login and consent pages and lands on the "signed in" page, without a token', async () => {
    const app = await startDemoApp(generic, { env: { PORT: '0' }, interactive: true });
    const page = await browser.newPage();
    try {
      await page.goto(app.authorizeUrl!);
      await page.fill('input[name=login]', DEMO_USER.email);
      await page.fill('input[name=password]', DEMO_USER.password);
      await Promise.all([
        page.waitForLoadState('domcontentloaded'),
        page.click('button[type=submit]'),
      ]);
      await page.waitForSelector('button[type=submit]'); // the consent page
      const landed = page.waitForURL(new RegExp(`^${app.origin}/oauth/callback\\?`));
      await page.click('button[type=submit]');
      await landed;
      expect(await page.textContent('h1')).toBe('Signed in');
      const body = (await page.textContent('body')) ?? '';
      expect(body).toContain('user-1');
      expect(body).toContain('mcp:tools');
      expect(await page.content()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    } finally {
      await page.close();
      await app.close();
    }
  });

  it('a wrong password stays on the login page and issues nothing', async () => {
    const app = await startDemoApp(generic, { env: { PORT: '0' }, interactive: true });
    const page = await browser.newPage();
    try {
      await page.goto(app.authorizeUrl!);
      await page.fill('input[name=login]', DEMO_USER.email);
      await page.fill('input[name=password]', 'wrong-password');
      await Promise.all([
        page.waitForLoadState('domcontentloaded'),
        page.click('button[type=submit]'),
      ]);
      expect(page.url().startsWith(app.origin)).toBe(false);
      expect(await page.locator('input[name=password]').count()).toBe(1);
    } finally {
      await page.close();
      await app.close();
    }
  });
});
