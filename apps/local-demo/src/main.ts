import { runCli } from '@mcp-auth/app-demo-kit';
import { local } from './provider.js';

await runCli(local, { flowOnStart: true });
