import { defineConfig } from 'tsup';
import { publishedPackage } from '../../tsup.shared.ts';

export default defineConfig([
  { ...publishedPackage, entry: ['src/index.ts'] },
  // The bin: ESM only; tsup keeps the shebang and makes the file executable.
  { ...publishedPackage, entry: ['src/cli.ts'], format: ['esm'], dts: false, clean: false },
]);
