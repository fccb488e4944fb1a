import { runCli } from '@mcp-auth/app-demo-kit';
import { okta } from './provider.js';

await runCli(okta);
