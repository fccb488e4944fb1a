import { join, resolve } from 'node:path';
import { type BuildResult, build } from 'esbuild';

export const PACKAGE_DIR = resolve(import.meta.dirname, '..');
export const FIXTURES_DIR = join(PACKAGE_DIR, 'fixtures');

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
    metafile: true,
    logLevel: 'silent',
  });
}
