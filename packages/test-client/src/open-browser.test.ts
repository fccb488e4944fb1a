import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSystemBrowser } from './open-browser.js';

// xdg-open is the Linux launcher; macOS and Windows use other commands this test does not fake.
describe.skipIf(process.platform !== 'linux')(
  'openSystemBrowser (reason: fakes xdg-open, Linux only)',
  () => {
    let dir: string;
    let savedPath: string | undefined;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'mcp-auth-open-'));
      savedPath = process.env.PATH;
    });
    afterEach(async () => {
      process.env.PATH = savedPath;
      await rm(dir, { recursive: true, force: true });
    });

    it('runs xdg-open with the URL as one argument, no shell', async () => {
      const log = join(dir, 'args.txt');
      const script = join(dir, 'xdg-open');
      await writeFile(script, `#!/bin/sh\nprintf '%s\\n' "$#" "$1" > '${log}'\n`);
      await chmod(script, 0o755);
      process.env.PATH = dir;
      const url = 'http://127.0.0.1:4000/authorize?a=1&b=$(touch /tmp/pwned);x y';
      await openSystemBrowser(url);
      let text = '';
      for (let i = 0; i < 50 && !text; i++) {
        await new Promise((r) => setTimeout(r, 20));
        text = await readFile(log, 'utf8').catch(() => '');
      }
      expect(text).toBe(`1\n${new URL(url).href}\n`);
    });

    it('fails with ERR_BROWSER_OPEN_FAILED when there is no launcher', async () => {
      process.env.PATH = dir;
      await expect(openSystemBrowser('https://as.example.com/authorize')).rejects.toMatchObject({
        code: 'ERR_BROWSER_OPEN_FAILED',
        message: expect.stringContaining('open the printed URL yourself'),
      });
    });

    it('refuses other schemes', async () => {
      await expect(openSystemBrowser('file:///etc/passwd')).rejects.toThrow(TypeError);
    });
  },
);
