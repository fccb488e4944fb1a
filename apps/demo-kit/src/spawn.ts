import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuilt as ensurePackagesBuilt } from '@mcp-auth/test-utils';

/** The repository root (apps/demo-kit/src → ../../..). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Published packages the apps load from `dist` at run time. */
const BUILT = ['pkce', 'cache', 'discovery', 'validator', 'sse-transport', 'test-client'];

/**
 * The apps run the built packages (`dist`) through tsx, so a test that spawns an app needs them
 * built: builds them with turbo when a `dist` is missing (`turbo run test` builds them first).
 */
export function ensureBuilt(): void {
  ensurePackagesBuilt(BUILT, '@mcp-auth/app-local-demo^...');
}

export interface AppRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/**
 * Spawns `tsx src/main.ts` of an app with exactly `env` (plus PATH and HOME, nothing inherited
 * from the test's environment, so a developer's OAUTH_* variables cannot leak in) from an empty
 * temporary directory (so no `.env` is picked up), and waits for it to exit.
 */
export function spawnApp(
  appDir: string,
  args: string[],
  env: Record<string, string>,
  o: {
    timeoutMs?: number;
    cwd?: string;
    onStdout?: (chunk: string, kill: (s?: NodeJS.Signals) => void) => void;
  } = {},
): Promise<AppRun> {
  // `node --import <tsx loader>` rather than the tsx CLI: the CLI is a second process that relays
  // signals with 30 ms windows and SIGKILLs the app when it misses one (under load, a SIGTERM
  // then looks like exit code 143). Here the signal reaches the app itself, as with Ctrl-C.
  const tsxLoader = pathToFileURL(
    join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs'),
  ).href;
  const cwd = o.cwd ?? mkdtempSync(join(tmpdir(), 'demo-app-'));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, join(appDir, 'src', 'main.ts'), ...args],
      {
        cwd,
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: process.env['HOME'] ?? '',
          NO_COLOR: '1',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    const kill = (signal: NodeJS.Signals = 'SIGTERM') => child.kill(signal);
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      o.onStdout?.(stdout, kill);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}
