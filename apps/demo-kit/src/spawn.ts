import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (apps/demo-kit/src → ../../..). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Published packages the apps load from `dist` at run time. */
const BUILT = ['pkce', 'cache', 'discovery', 'validator', 'sse-transport', 'test-client'];

/**
 * The apps run the built packages (`dist`) through tsx, so a test that spawns an app needs them
 * built and current. Builds with turbo when a `dist` is missing or older than its sources (in CI,
 * `turbo run test` has just built them, so nothing runs here).
 */
export function ensureBuilt(): void {
  const stale = BUILT.filter((p) => {
    const dist = join(REPO_ROOT, 'packages', p, 'dist', 'index.js');
    if (!existsSync(dist)) return true;
    return newestMtime(join(REPO_ROOT, 'packages', p, 'src')) > statSync(dist).mtimeMs;
  });
  if (stale.length === 0) return;
  execFileSync(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=@mcp-auth/app-local-demo^...',
      '--output-logs=errors-only',
    ],
    { cwd: REPO_ROOT, stdio: 'pipe', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } },
  );
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
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
  const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  const cwd = o.cwd ?? mkdtempSync(join(tmpdir(), 'demo-app-'));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [join(appDir, 'src', 'main.ts'), ...args], {
      cwd,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        NO_COLOR: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
