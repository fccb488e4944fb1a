import { runCli } from '@mcp-auth/app-demo-kit';
import { cognito } from './provider.js';

await runCli(cognito);
