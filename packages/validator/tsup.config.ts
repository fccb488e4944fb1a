import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts', 'src/fetch.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: false,
  // Lets the SDK bridge (src/internal/sdk.ts) load the SDK's classes in the caller's module system.
  esbuildOptions(options, context) {
    options.define = {
      ...options.define,
      __MCP_AUTH_CJS__: context.format === 'cjs' ? 'true' : 'false',
    };
  },
});
