/**
 * A person's flow: headless Chromium goes through the local authorization server's real login and
 * consent pages, with `--open`'s browser replaced by the test's browser.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { launchChromium } from '@mcp-auth/test-utils';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, runCli } from '../src/index.js';
import { getFreePort, type SseMcpServer, startSseMcpServer } from './helpers.js';

let das: DevAuthServer;
let mcp: SseMcpServer;
let browser: Browser;

beforeAll(async () => {
  const port = await getFreePort();
  das = await startAuthServer({
    interactive: true,
    resources: [{ uri: `http://127.0.0.1:${port}/sse`, scopes: ['mcp:read', 'mcp:write'] }],
    users: [{ sub: 'alice', email: 'alice@example.com', password: 'alice-pw' }],
  });
  mcp = await startSseMcpServer({ port, das });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await mcp?.stop();
  await das?.stop();
});

/** Signs in and approves, as a person would; resolves with the text of the final page. */
async function signInAndConsent(page: Page, url: string, password = 'alice-pw'): Promise<string> {
  await page.goto(url);
  await page.fill('input[name=login]', 'alice@example.com');
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('button[type=submit]')]);
  await page.waitForSelector('button[type=submit]');
  const done = page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
  await page.click('button[type=submit]');
  await done;
  return (await page.textContent('body')) ?? '';
}

describe('--open with a real browser', () => {
  it('logs in and consents through the real pages, then calls whoami as that user', async () => {
    const page = await browser.newPage();
    let opened: string | undefined;
    let driving: Promise<string> | undefined;
    try {
      const result = await run(mcp.sseUrl, {
        open: true,
        clientId: 'mcp-public',
        // The system browser replaced by the test's: opening returns at once, as xdg-open does.
        openBrowser: (url) => {
          opened = url;
          driving = signInAndConsent(page, url);
        },
        call: { name: 'whoami' },
      });
      expect(result.error).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(new URL(opened!).origin).toBe(das.origin);
      expect(await driving).toContain('Authorization complete');
      const text = (result.callResult as { content: { text: string }[] }).content[0]!.text;
      expect(JSON.parse(text)).toMatchObject({
        subject: 'alice',
        clientId: 'mcp-public',
        scopes: ['mcp:read'],
      });
      expect(result.report.steps.find((s) => s.id === 'authorization_request')!.notes).toContain(
        'opened in the browser',
      );
      // The page the browser was left on shows no code and no token.
      const html = await page.content();
      expect(html).not.toMatch(/code=|eyJ/);
    } finally {
      await page.close();
    }
  });

  it('the CLI prints the URL, shows progress on a TTY, and exits 0 after the browser flow', async () => {
    const page = await browser.newPage();
    const out: string[] = [];
    const err: string[] = [];
    let driving: Promise<string> | undefined;
    try {
      const code = await runCli([mcp.sseUrl, '--open', '--client-id', 'mcp-public'], {
        stdout: { write: (s: string) => out.push(s) },
        stderr: { write: (s: string) => err.push(s), isTTY: true },
        openBrowser: (url) => {
          // Let the spinner draw at least once before the browser comes back.
          driving = new Promise((r) => setTimeout(r, 250)).then(() => signInAndConsent(page, url));
        },
      });
      await driving;
      expect(code).toBe(0);
      const text = out.join('');
      expect(text).toMatch(
        new RegExp(`^Opening ${das.origin.replace(/[.]/g, '\\.')}/.*authorize\\?`, 'm'),
      );
      expect(text).toContain('All steps passed (1 authorization, SSE).');
      const progress = err.join('');
      expect(progress).toMatch(/\r[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for the browser… \d+s \(Ctrl-C to abort\)/);
      expect(progress.endsWith('\r\u001b[2K')).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('a person who denies consent gets access_denied reported, exit 1', async () => {
    const page = await browser.newPage();
    const out: string[] = [];
    const err: string[] = [];
    try {
      const code = await runCli([mcp.sseUrl, '--open', '--client-id', 'mcp-public'], {
        stdout: { write: (s: string) => out.push(s) },
        stderr: { write: (s: string) => err.push(s) },
        openBrowser: async (url) => {
          await page.goto(url);
          await page.fill('input[name=login]', 'alice@example.com');
          await page.fill('input[name=password]', 'alice-pw');
          await Promise.all([
            page.waitForLoadState('domcontentloaded'),
            page.click('button[type=submit]'),
          ]);
          await page.waitForSelector('#deny');
          void page.click('#deny');
        },
      });
      expect(code).toBe(1);
      expect(out.join('')).toMatch(
        /^✗ Authorization response .*ERR_AUTHORIZATION_ERROR: The authorization server answered error=access_denied/m,
      );
      // Without a TTY, one plain progress line instead of a spinner.
      expect(err.join('')).toBe('Waiting for the authorization response…\n');
    } finally {
      await page.close();
    }
  });
});
