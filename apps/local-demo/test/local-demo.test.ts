import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLOW_STEPS } from '@mcp-auth/app-demo-kit';
import { ensureBuilt, spawnApp } from '@mcp-auth/app-demo-kit/testing';
import { beforeAll, describe, expect, it } from 'vitest';

const appDir = join(import.meta.dirname, '..');

describe('local demo (the README main command)', () => {
  beforeAll(() => {
    // The demo runs the built packages, as scripts/demo.sh does after building them.
    ensureBuilt();
  }, 300_000);

  it('--once runs the whole flow, prints the eleven steps and the step-up, exits 0 within 60 s', async () => {
    const run = await spawnApp(appDir, ['--once'], { PORT: '0' }, { timeoutMs: 60_000 });
    expect(run.signal).toBeNull();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.durationMs).toBeLessThan(60_000);
    const out = run.stdout;
    FLOW_STEPS.forEach((title, i) => {
      expect(out).toMatch(new RegExp(`✓\\s+${i + 1}\\. ${escapeRegExp(title)}`));
    });
    // In order.
    const positions = FLOW_STEPS.map((title) => out.indexOf(title));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(out).toMatch(/Step-up: server_stats needs "mcp:admin"/);
    expect(out).toMatch(/403 on/);
    expect(out).toContain('✓ The whole flow succeeded');
    expect(out).toMatch(/run by @mcp-auth\/test-client against http:\/\/127\.0\.0\.1:\d+\/mcp:/);
    expect(out).toMatch(/Streamable HTTP, server local-demo/);
    // No secrets on screen: the test client redacts tokens to their first and last 4 characters.
    expect(out).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}\./);
    expect(out).not.toContain('Ready.');
  }, 70_000);

  it('--once --json prints nothing but the JSON report on stdout', async () => {
    const run = await spawnApp(appDir, ['--once', '--json'], { PORT: '0' }, { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { ok: boolean; steps: { id: string }[] };
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => s.id)).toEqual(
      expect.arrayContaining(['probe', 'token', 'connect', 'mcp_tools', 'challenge', 'step_up']),
    );
  }, 70_000);

  it('--check runs the conformance checks and exits 0', async () => {
    const run = await spawnApp(appDir, ['--check'], { PORT: '0' }, { timeoutMs: 60_000 });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/another resource's token refused with 401\s+PASS/);
    expect(run.stdout).toContain('All checks passed.');
  }, 70_000);

  it('keeps running with URLs and a ready Inspector command, and stops cleanly on SIGINT', async () => {
    let sent = false;
    const run = await spawnApp(
      appDir,
      [],
      { PORT: '0' },
      {
        timeoutMs: 60_000,
        onStdout: (stdout, kill) => {
          if (!sent && stdout.includes('Ready.')) {
            sent = true;
            kill('SIGINT');
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(run.code, run.stderr).toBe(0);
    // Streamable HTTP first: the transport current clients speak.
    expect(run.stdout).toMatch(
      /MCP server\s+http:\/\/127\.0\.0\.1:\d+\/mcp {2}\(Streamable HTTP\)/,
    );
    expect(run.stdout).toMatch(
      /legacy endpoint\s+http:\/\/127\.0\.0\.1:\d+\/mcp\/sse {2}\(HTTP\+SSE, deprecated, for old clients\)/,
    );
    expect(run.stdout).toMatch(
      /npx @modelcontextprotocol\/inspector --transport http --server-url http:\/\/127\.0\.0\.1:\d+\/mcp\n/,
    );
    expect(run.stdout).toMatch(
      /test client\s+node \S*packages\/test-client\/dist\/cli\.js http:\/\/127\.0\.0\.1:\d+\/mcp .*--transport streamable-http --call whoami/,
    );
    expect(run.stdout).toMatch(
      /conformance\s+node \S*packages\/test-client\/dist\/cli\.js http:\/\/127\.0\.0\.1:\d+\/mcp --check/,
    );
    expect(run.stdout).toMatch(
      /over SSE\s+node \S*packages\/test-client\/dist\/cli\.js http:\/\/127\.0\.0\.1:\d+\/mcp\/sse .*--transport sse --call whoami/,
    );
    expect(run.stdout).toMatch(/SIGINT, shutting down/);
    expect(run.stdout).toMatch(/local-demo: stopped\./);
  }, 70_000);

  it('SIGTERM stops it cleanly too', async () => {
    let sent = false;
    const run = await spawnApp(
      appDir,
      [],
      { PORT: '0' },
      {
        timeoutMs: 60_000,
        onStdout: (stdout, kill) => {
          if (!sent && stdout.includes('Ready.')) {
            sent = true;
            kill('SIGTERM');
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/local-demo: stopped\./);
  }, 70_000);

  it.each([
    [
      { PORT: '99999' },
      'local-demo: PORT must be a whole number from 0 to 65535 (0 picks a free port), e.g. PORT=3000 (got "99999")',
    ],
    [
      { OAUTH_REQUIRED_SCOPES: 'mcp:tools "x"' },
      'local-demo: OAUTH_REQUIRED_SCOPES must be scopes separated by spaces or commas (printable characters, no quotes or backslashes), e.g. OAUTH_REQUIRED_SCOPES="mcp:tools mcp:read" (got ""x"")',
    ],
  ])('bad configuration %j fails with one line and exit code 1', async (env, line) => {
    const run = await spawnApp(appDir, [], env, { timeoutMs: 30_000 });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`${line}\n`);
  });

  it('reads .env from the directory it runs in; the environment wins over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-demo-env-'));
    writeFileSync(
      join(dir, '.env'),
      '# demo settings\nPORT=notaport\nOAUTH_STEP_UP_SCOPE="two words"\n',
    );
    const fromFile = await spawnApp(appDir, [], {}, { cwd: dir, timeoutMs: 30_000 });
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toBe(
      'local-demo: PORT must be a whole number from 0 to 65535 (0 picks a free port), e.g. PORT=3000 (got "notaport")\n',
    );
    const overridden = await spawnApp(appDir, [], { PORT: '0' }, { cwd: dir, timeoutMs: 30_000 });
    expect(overridden.code).toBe(1);
    expect(overridden.stderr).toBe(
      'local-demo: OAUTH_STEP_UP_SCOPE must be one scope (printable characters, no spaces, quotes or backslashes), e.g. mcp:admin\n',
    );
  });

  it('a malformed .env fails with one line naming the file and line, never the value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-demo-env-'));
    writeFileSync(join(dir, '.env'), 'PORT=0\nOAUTH_CLIENT_SECRET="s3cret-value\n');
    const run = await spawnApp(appDir, [], {}, { cwd: dir, timeoutMs: 30_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'local-demo: .env line 2: the quoted value has no closing quote (values are single-line)\n',
    );
    expect(run.stderr).not.toContain('s3cret');
  });

  it('an unknown flag fails with one line and exit code 1', async () => {
    const run = await spawnApp(appDir, ['--onse'], {}, { timeoutMs: 30_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('local-demo: unknown argument "--onse" (see --help)\n');
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
