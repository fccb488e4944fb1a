import { join, resolve } from 'node:path';
import { type BuildResult, build } from 'esbuild';

export const PACKAGE_DIR = resolve(import.meta.dirname, '..');
export const FIXTURES_DIR = join(PACKAGE_DIR, 'fixtures');

/**
 * `@mcp-auth/cache` loads node-redis with `import('redis')` inside `redisStore({ url })`. That call
 * never runs on the Fetch path, but a literal specifier makes a bundler follow it into node-redis,
 * which is all `node:` modules. It stays external here; see the README (Findings).
 */
export const KNOWN_EXTERNAL = 'redis';

/**
 * Bundles `entry` (default: the Fetch app) and everything it imports into one ES module, as a
 * Workers or Deno user's bundler would, for no platform in particular: esbuild's `neutral` platform
 * knows no Node built-ins, so any `node:` (or bare `crypto`, `http`, …) import on the path fails the
 * build. Packages resolve through their `exports` to the BUILT files (`dist`), never to `src`.
 */
export async function bundleApp(
  outfile: string,
  entry = join(FIXTURES_DIR, 'app.js'),
): Promise<BuildResult<{ metafile: true }>> {
  return build({
    entryPoints: [entry],
    absWorkingDir: PACKAGE_DIR,
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    external: [KNOWN_EXTERNAL],
    metafile: true,
    logLevel: 'silent',
  });
}
