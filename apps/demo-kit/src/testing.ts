// Test helpers of the demo apps (imported by their tests as '@mcp-auth/app-demo-kit/testing').
export { type AppRun, ensureBuilt, REPO_ROOT, spawnApp } from './spawn.js';
export { type ProviderSuiteOptions, providerAppSuite } from './suite.js';
