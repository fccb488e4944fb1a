#!/usr/bin/env node
import { runCli } from './cli-run.js';
import { redact } from './redact.js';
import { sanitizeForTerminal } from './report.js';

const controller = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort();
});

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `mcp-auth-test-client: ${sanitizeForTerminal(redact((err as Error)?.message ?? String(err)))}\n`,
    );
    process.exitCode = 1;
  },
);
