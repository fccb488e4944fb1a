import { runCli } from '@mcp-auth/app-demo-kit';
import { auth0 } from './provider.js';

await runCli(auth0);
