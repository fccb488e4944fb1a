import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ViteUserConfig } from 'vitest/config';

const packagesDir = resolve(import.meta.dirname, 'packages');

/**
 * Tests import sibling workspace packages from their TypeScript sources, not from `dist`, so a
 * package's tests never depend on a stale build of another. Every `exports` entry
 * `./dist/<name>.js` of `@mcp-auth/<pkg>` maps to `packages/<pkg>/src/<name>.ts`.
 * (The "install only the validator" test and the apps use the built packages.)
 */
function workspaceAliases(): { find: string | RegExp; replacement: string }[] {
  const aliases: { find: RegExp; replacement: string }[] = [];
  for (const dir of readdirSync(packagesDir)) {
    let pkg: { name: string; exports?: Record<string, unknown> };
    try {
      pkg = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      if (subpath === './package.json') continue;
      const file =
        typeof target === 'string'
          ? target
          : ((target as { import?: { default?: string } }).import?.default ?? '');
      const src = file.replace(/^\.\/dist\/(.*)\.js$/, './src/$1.ts');
      const spec = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
      const escaped = spec.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      aliases.push({ find: new RegExp(`^${escaped}$`), replacement: join(packagesDir, dir, src) });
    }
  }
  return aliases;
}

export function sharedTestConfig(packageDir: string): ViteUserConfig {
  return {
    resolve: { alias: workspaceAliases() },
    test: {
      root: packageDir,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
      restoreMocks: true,
    },
  };
}
