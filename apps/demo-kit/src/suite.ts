import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoApp, startDemoApp } from './app.js';
import { runCli } from './cli.js';
import { runCheck, runFlowReport } from './flow.js';
import type { ProviderDefinition } from './provider.js';
import { ensureBuilt, REPO_ROOT, spawnApp } from './spawn.js';
import type { WhoAmI } from './tools.js';

export interface ProviderSuiteOptions {
  /** The app directory (for spawning `src/main.ts`). */
  appDir: string;
  /** Provider-specific assertions on the discovery documents the emulation serves. */
  expectDiscovery(app: DemoApp): Promise<void>;
  /** Provider-specific assertions on `whoami` after the first authorization. */
  expectWhoami(who: WhoAmI, app: DemoApp): void;
  /** Bad configurations: environment → the exact one line on stderr. */
  badConfigs: [string, Record<string, string>, string][];
}

/**
 * The end-to-end suite every provider app runs against its emulation, with the test client in
 * non-interactive mode: 401 and its challenge, discovery, the whole flow, `tools/list`, `whoami`
 * with the provider-shaped claims, `server_stats` 403 then step-up, the `--check` report, a literal
 * 403 challenge, and bad configuration failing with its one line and exit code 1.
 */
export function providerAppSuite(def: ProviderDefinition, o: ProviderSuiteOptions): void {
  describe(`${def.appName} against its emulation`, () => {
    let app: DemoApp;

    beforeAll(async () => {
      ensureBuilt(); // for the spawned runs below
      app = await startDemoApp(def, { env: { PORT: '0' } });
    }, 300_000);
    afterAll(async () => {
      await app?.close();
    });

    it('is an emulation with the provider profile', () => {
      expect(app.mode).toBe('emulation');
      expect(app.emulation?.profile).toBe(def.profile);
      // One resource for both endpoints: a path prefix of /mcp and of /mcp/sse.
      expect(app.resourceUri).toBe(`${app.origin}/mcp`);
      expect(app.mcpUrl).toBe(`${app.origin}/mcp`);
      expect(app.sseUrl).toBe(`${app.origin}/mcp/sse`);
      expect(app.resourceMetadataUrl).toBe(
        `${app.origin}/.well-known/oauth-protected-resource/mcp`,
      );
    });

    it.each([
      ['Streamable HTTP POST /mcp', 'mcp', 'POST'],
      ['Streamable HTTP GET /mcp', 'mcp', 'GET'],
      ['SSE GET /mcp/sse (deprecated)', 'sse', 'GET'],
    ] as const)(
      'answers %s without a token with 401 and the challenge, without error',
      async (_name, which, method) => {
        const res = await fetch(which === 'mcp' ? app.mcpUrl : app.sseUrl, {
          method,
          headers: {
            accept: which === 'mcp' ? 'application/json, text/event-stream' : 'text/event-stream',
            ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
          },
          ...(method === 'POST'
            ? { body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) }
            : {}),
        });
        expect(res.status).toBe(401);
        await res.body?.cancel();
        expect(challengeParams(res.headers.get('www-authenticate'))).toEqual({
          scheme: 'Bearer',
          params: {
            resource_metadata: app.resourceMetadataUrl,
            scope: def.defaultRequiredScopes.join(' '),
          },
        });
      },
    );

    it('serves the protected resource metadata naming the emulated issuer', async () => {
      const res = await fetch(app.resourceMetadataUrl);
      expect(res.status).toBe(200);
      const prm = (await res.json()) as Record<string, unknown>;
      expect(prm['resource']).toBe(app.resourceUri);
      expect(prm['authorization_servers']).toEqual([app.issuer]);
      expect(prm['scopes_supported']).toEqual([
        ...def.defaultRequiredScopes,
        def.defaultStepUpScope,
      ]);
    });

    it('serves the provider-shaped discovery documents', async () => {
      await o.expectDiscovery(app);
    });

    it.each(['streamable-http', 'sse'] as const)(
      'runs the whole flow over %s: token, tools/list, whoami, then 403 and step-up for server_stats',
      async (transport) => {
        const result = await runFlowReport(app, { transport });
        expect(result.error).toBeUndefined();
        expect(result.ok).toBe(true);
        const ids = result.report.steps.map((s) => s.id);
        for (const id of [
          'probe',
          'resource_metadata',
          'authorization_server',
          'client',
          'scope',
          'authorization_request',
          'authorization_response',
          'token',
          'connect',
          'mcp_tools',
        ]) {
          expect(ids).toContain(id);
        }
        expect(result.report.steps.find((s) => s.id === 'probe')?.received.join(' ')).toMatch(
          /401/,
        );
        expect(result.report.steps.find((s) => s.id === 'connect')?.received.join(' ')).toContain(
          transport === 'sse' ? 'SSE' : 'Streamable HTTP',
        );
        expect(result.tools).toEqual(['whoami', 'echo', 'server_stats']);
        const who = result.whoami as unknown as WhoAmI;
        expect(who.issuer).toBe(app.issuer);
        expect(who.scopes).toEqual(expect.arrayContaining(def.defaultRequiredScopes));
        expect(who.scopes).not.toContain(def.defaultStepUpScope);
        o.expectWhoami(who, app);
        // The step-up: a 403 challenge naming every scope the call needs, then success.
        expect(result.steppedUp).toBe(true);
        const challenge = result.report.steps.find(
          (s) => s.id === 'challenge' && s.received.some((r) => r.startsWith('403')),
        );
        expect(challenge?.received.join(' ')).toContain('error="insufficient_scope"');
        expect(challenge?.received.join(' ')).toContain(
          `scope="${[...def.defaultRequiredScopes, def.defaultStepUpScope].join(' ')}"`,
        );
        expect(result.stats).toMatchObject({ node: process.version, sessions: expect.any(Number) });
      },
    );

    it('passes its --check report', async () => {
      const lines: string[] = [];
      const ok = await runCheck(app, { out: (l) => lines.push(l) });
      expect(lines.join('\n')).not.toMatch(/✗/);
      expect(ok).toBe(true);
    });

    it('prints ready-to-paste test client and --check commands that work', async () => {
      const out: string[] = [];
      let running: DemoApp | undefined;
      await runCli(def, {
        argv: [],
        env: { PORT: '0' },
        out: (l) => out.push(l),
        err: () => {},
        exit: () => {},
        handleSignals: false,
        onReady: (a) => {
          running = a;
        },
      });
      try {
        expect(running).toBeDefined();
        const text = out.join('\n');
        const command = (label: string) => {
          const line = text.split('\n').find((l) => l.trimStart().startsWith(label));
          expect(line, `${label} line`).toBeDefined();
          return line!.trimStart().slice(label.length).trim();
        };
        const cwd = process.env['INIT_CWD'] ?? REPO_ROOT; // the printed paths are relative to it
        expect(command('MCP Inspector')).toBe(
          `npx @modelcontextprotocol/inspector --transport http --server-url ${running!.publicMcpUrl}`,
        );
        for (const [label, path, transport] of [
          ['test client', '/mcp', 'Streamable HTTP'],
          ['conformance', '/mcp', undefined],
          ['over SSE', '/mcp/sse', 'SSE'],
        ] as const) {
          const cmd = command(label);
          expect(cmd).toMatch(/^node \S*packages\/test-client\/dist\/cli\.js /);
          expect(cmd.split(' ')[2]).toBe(`${running!.origin}${path}`);
          const result = await execAsync('sh', ['-c', cmd], { cwd, timeout: 30_000 });
          expect(result.code, `${label}: ${cmd}\n${result.stdout}\n${result.stderr}`).toBe(0);
          expect(result.stdout).toMatch(transport ? /Call whoami/ : /All checks passed/);
          if (transport) expect(result.stdout).toContain(`, ${transport})`);
        }
      } finally {
        await running?.close();
      }
    });

    it.each(o.badConfigs)(
      'bad configuration (%s) fails with one line and exit code 1',
      async (_name, env, line) => {
        const run = await spawnApp(o.appDir, [], env, { timeoutMs: 30_000 });
        expect(run.code).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr).toBe(`${line}\n`);
      },
    );
  });
}

/** `Bearer a="b", c="d"` → `{ scheme, params }` (quoted values only: what our servers send). */
export function challengeParams(header: string | null): {
  scheme: string;
  params: Record<string, string>;
} {
  const value = header ?? '';
  const space = value.indexOf(' ');
  const scheme = space < 0 ? value : value.slice(0, space);
  const params: Record<string, string> = {};
  for (const m of value.slice(space + 1).matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) {
    params[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  }
  return { scheme, params };
}

function execAsync(
  file: string,
  args: string[],
  o: { cwd: string; timeout: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { ...o, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const code = error ? (((error as { code?: unknown }).code as number | null) ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}
