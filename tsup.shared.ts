import type { Options } from 'tsup';

/** What every published package builds: ESM + CJS + type declarations for Node.js 20+. */
export const publishedPackage = {
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: false,
} satisfies Options;
