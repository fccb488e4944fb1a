import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (packages/test-utils/src → ../../..). */
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const withoutDist = (packages: readonly string[]): string[] =>
  packages.filter((p) => !existsSync(join(REPO_ROOT, 'packages', p, 'dist', 'index.js')));

/**
 * For tests that spawn programs importing the built packages (`dist`), as users do: when one of
 * `packages` (folder names under packages/) has no `dist`, builds with `turbo run build
 * --filter=<filter>`. Only a missing `dist` triggers a build: rebuilding whenever sources look
 * newer would clean `dist` under the feet of other processes using it. A failed build that still
 * left every `dist` (a type-declaration error) is a warning; one that did not, an error.
 *
 * @example
 * ensureBuilt(['sse-transport', 'validator'], '@mcp-auth/sse-transport...');
 */
export function ensureBuilt(packages: readonly string[], filter: string): void {
  const stale = withoutDist(packages);
  if (stale.length === 0) return;
  try {
    execFileSync(
      'pnpm',
      ['exec', 'turbo', 'run', 'build', `--filter=${filter}`, '--output-logs=errors-only'],
      { cwd: REPO_ROOT, stdio: 'pipe', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } },
    );
  } catch (err) {
    const missing = withoutDist(packages);
    const output = String((err as { stdout?: Buffer }).stdout ?? '')
      .split('\n')
      .slice(-15)
      .join('\n');
    if (missing.length > 0) {
      throw new Error(
        `building the packages failed and ${missing.join(', ')} have no dist:\n${output}`,
      );
    }
    console.warn(
      `ensureBuilt: the build failed, running the existing dist of ${stale.join(', ')}\n${output}`,
    );
  }
}
