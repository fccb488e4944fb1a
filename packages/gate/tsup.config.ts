import { defineConfig } from 'tsup';
import { publishedPackage } from '../../tsup.shared.ts';

export default defineConfig({
  ...publishedPackage,
  entry: ['src/index.ts', 'src/node.ts', 'src/fetch.ts'],
});
