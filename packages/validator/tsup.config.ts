import { defineConfig } from 'tsup';
import { publishedPackage } from '../../tsup.shared.ts';

export default defineConfig({
  ...publishedPackage,
  entry: ['src/index.ts', 'src/node.ts', 'src/fetch.ts'],
  // Lets the SDK bridge (src/internal/sdk.ts) load the SDK's classes in the caller's module system.
  esbuildOptions(options, context) {
    options.define = {
      ...options.define,
      __MCP_AUTH_CJS__: context.format === 'cjs' ? 'true' : 'false',
    };
  },
});
