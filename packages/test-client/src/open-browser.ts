import { spawn } from 'node:child_process';
import { TestClientError } from './errors.js';

/** Opens a URL for the user. The library's `openBrowser` option replaces it (tests use a headless browser). */
export type OpenBrowser = (url: string) => Promise<void> | void;

/**
 * Opens `url` in the system browser: `open` on macOS, `xdg-open` elsewhere on Unix, `explorer` on
 * Windows. The URL is passed as one argument, never through a shell.
 *
 * @example
 * ```ts
 * await openSystemBrowser('https://as.example.com/authorize?…');
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-4.1 (native apps use the system browser)
 */
export async function openSystemBrowser(url: string): Promise<void> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError('openSystemBrowser only opens http(s) URLs');
  }
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [parsed.href]]
      : process.platform === 'win32'
        ? ['explorer.exe', [parsed.href]]
        : ['xdg-open', [parsed.href]];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
    child.once('error', (err) => {
      reject(
        new TestClientError(
          'ERR_BROWSER_OPEN_FAILED',
          `Could not start ${command} to open the browser (${(err as NodeJS.ErrnoException).code ?? err.message}); open the printed URL yourself`,
          { cause: err },
        ),
      );
    });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
