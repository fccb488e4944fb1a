import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, startAuthServer, userToken } from './helpers.js';

/**
 * "Install the gate": pack it and its workspace dependencies, install the tarballs with npm into
 * a fresh project outside the workspace, use it from ESM and CommonJS, and type-check an Express
 * consumer under --strict with both module resolutions (node16 and classic node10).
 */
const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
const PACKAGES = ['gate', 'validator', 'discovery', 'cache'];
const RESOURCE = 'http://127.0.0.1:3000/mcp';

/** pnpm sets NODE_PATH to the workspace store when it runs scripts: a fresh project has none. */
function freshEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NODE_PATH: _ignored, ...env } = process.env;
  return { ...env, npm_config_update_notifier: 'false', ...extra };
}

let dir: string;
let app: string;
let as: DevAuthServer;
let token: string;

beforeAll(async () => {
  await exec(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@mcp-auth/gate...', '--output-logs=errors-only'],
    {
      cwd: ROOT,
      timeout: 180_000,
    },
  );
  dir = await mkdtemp(join(tmpdir(), 'mcp-auth-gate-install-'));
  const packs = join(dir, 'packs');
  for (const p of PACKAGES) {
    await exec('pnpm', ['pack', '--pack-destination', packs], {
      cwd: join(ROOT, 'packages', p),
      timeout: 60_000,
    });
  }
  const tarballs = (await readdir(packs)).map((f) => join(packs, f));
  app = join(dir, 'app');
  await exec('mkdir', ['-p', app]);
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }),
  );
  await exec('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], {
    cwd: app,
    timeout: 240_000,
    env: freshEnv(),
  });
  as = await startAuthServer();
  as.addResource({ uri: RESOURCE, scopes: SCOPES });
  token = await userToken(as, RESOURCE, 'user-1', 'mcp:read');
}, 480_000);

afterAll(async () => {
  await as?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const script = (kind: 'esm' | 'cjs') => {
  const load =
    kind === 'esm'
      ? `const g = await import('@mcp-auth/gate'); const n = await import('@mcp-auth/gate/node'); const f = await import('@mcp-auth/gate/fetch'); const v = await import('@mcp-auth/validator');`
      : `const g = require('@mcp-auth/gate'); const n = require('@mcp-auth/gate/node'); const f = require('@mcp-auth/gate/fetch'); const v = require('@mcp-auth/validator');`;
  const body = `
    const gate = g.createGate({
      validator: v.createTokenValidator({ issuer: process.env.ISSUER, resource: '${RESOURCE}', allowInsecureHttpForLoopback: true }),
      toolScopes: { admin: ['mcp:admin'] },
      allowInsecureHttpForLoopback: true,
    });
    const call = (name, auth) => gate.check({
      method: 'POST', url: '/mcp',
      headers: { host: '127.0.0.1:3000', 'content-type': 'application/json', ...(auth ? { authorization: 'Bearer ' + auth } : {}) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name } }),
    });
    const none = await call('whoami');
    const ok = await call('whoami', process.env.TOKEN);
    const admin = await call('admin', process.env.TOKEN);
    const wrapped = f.withMcpAuth(gate, () => new Response('inner'));
    const prm = await wrapped(new Request('http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp'));
    console.log(JSON.stringify({
      none: [none.status, none.headers['www-authenticate']],
      ok: [ok.kind, ok.auth && ok.auth.extra.subject],
      admin: [admin.status, admin.reason],
      prm: [prm.status, (await prm.json()).resource],
      node: [typeof n.mcpAuth, typeof n.withMcpAuth],
    }));`;
  return kind === 'esm'
    ? `${load}\n${body}`
    : `(async () => { ${load}\n${body} })().catch((e) => { console.error(e); process.exit(1); });`;
};

const CONSUMER = `
import express from 'express';
import { createGate, type GateDecision } from '@mcp-auth/gate';
import { mcpAuth } from '@mcp-auth/gate/node';
import { withMcpAuth } from '@mcp-auth/gate/fetch';
import { createTokenValidator } from '@mcp-auth/validator';

const gate = createGate({ validator: createTokenValidator({ issuer: 'https://as.example.com', resource: 'https://mcp.example.com/mcp' }) });
const app = express();
app.use(mcpAuth(gate));
app.post('/mcp', (req, res) => {
  const clientId: string | undefined = req.auth?.clientId;
  const scopes: string[] | undefined = req.auth?.scopes;
  res.json({ clientId, scopes });
});
export const handler: (r: Request) => Promise<Response> = withMcpAuth(gate, async (_r, { auth }) => new Response(auth.clientId));
export const kind = (d: GateDecision): string => d.kind;
`;

describe('install the gate (npm, fresh project)', () => {
  it.each(['esm', 'cjs'] as const)(
    '%s: loads and decides with a token from the local AS',
    async (kind) => {
      const file = join(app, kind === 'esm' ? 'check.mjs' : 'check.cjs');
      await writeFile(file, script(kind));
      const { stdout } = await exec(process.execPath, [file], {
        cwd: app,
        env: freshEnv({ ISSUER: as.issuer, TOKEN: token }),
        timeout: 30_000,
      });
      expect(JSON.parse(stdout.trim())).toEqual({
        none: [
          401,
          'Bearer resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp"',
        ],
        ok: ['proceed', 'user-1'],
        admin: [403, 'insufficient_scope'],
        prm: [200, RESOURCE],
        node: ['function', 'function'],
      });
    },
  );

  it('pulls in no framework, MCP SDK, transport or test client; real version ranges', async () => {
    const modules = join(app, 'node_modules');
    expect((await readdir(join(modules, '@mcp-auth'))).sort()).toEqual([
      'cache',
      'discovery',
      'gate',
      'validator',
    ]);
    const top = await readdir(modules);
    for (const forbidden of ['express', 'hono', '@modelcontextprotocol', 'oidc-provider', 'zod']) {
      expect(top).not.toContain(forbidden);
    }
    const pkg = JSON.parse(
      await readFile(join(modules, '@mcp-auth', 'gate', 'package.json'), 'utf8'),
    ) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies).sort()).toEqual([
      '@mcp-auth/discovery',
      '@mcp-auth/validator',
    ]);
    for (const range of Object.values(pkg.dependencies))
      expect(range.startsWith('workspace:')).toBe(false);
  });

  it('an Express consumer type-checks under --strict, typed req.auth (node16 and classic node10 resolution)', async () => {
    await exec(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        'express@^5',
        '@types/express@^5',
        '@types/node@^20',
      ],
      {
        cwd: app,
        timeout: 240_000,
        env: freshEnv(),
      },
    );
    await writeFile(join(app, 'consumer.ts'), CONSUMER);
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    const common = [
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--target',
      'es2022',
      '--types',
      'node',
      '--lib',
      'es2022,dom',
      '--esModuleInterop',
      'consumer.ts',
    ];
    for (const resolution of [
      ['--module', 'node16', '--moduleResolution', 'node16'],
      ['--module', 'commonjs', '--moduleResolution', 'node10'],
    ]) {
      const result = await exec(tsc, [...common, ...resolution], {
        cwd: app,
        timeout: 120_000,
      }).catch((e: { stdout: string }) => ({ stdout: e.stdout, failed: true }));
      expect(result.stdout).toBe('');
    }
    // The check can fail: an untyped property is an error.
    await writeFile(
      join(app, 'broken.ts'),
      `${CONSUMER}\nexport const x = (r: import('express').Request) => r.auth?.nope;\n`,
    );
    const broken = await exec(
      tsc,
      [...common.slice(0, -1), 'broken.ts', '--module', 'node16', '--moduleResolution', 'node16'],
      {
        cwd: app,
      },
    ).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    expect(broken.stdout).toContain("Property 'nope' does not exist");
  });
});
