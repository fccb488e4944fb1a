import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildValidatorPackages,
  run,
  serviceToken,
  startAuthServer,
  WORKSPACE_ROOT,
} from './helpers.js';

/**
 * "Install only the validator": pack the validator and its workspace dependencies, install the
 * tarballs with npm into a fresh project outside the workspace, and use it from ESM and CommonJS.
 */
const root = WORKSPACE_ROOT;
const packages = ['validator', 'cache', 'discovery'];
/**
 * The environment of a fresh project: pnpm sets NODE_PATH to the workspace's store when it runs
 * scripts, and CommonJS resolution would find workspace packages through it.
 */
function freshEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NODE_PATH: _ignored, ...env } = process.env;
  return { ...env, ...extra };
}

let dir: string;
let as: DevAuthServer;
let token: string;

beforeAll(async () => {
  await buildValidatorPackages();
  for (const p of packages)
    expect(existsSync(join(root, 'packages', p, 'dist', 'index.js'))).toBe(true);
  dir = await mkdtemp(join(tmpdir(), 'mcp-auth-validator-install-'));
  const packs = join(dir, 'packs');
  for (const p of packages) {
    await run('pnpm', ['pack', '--pack-destination', packs], {
      cwd: join(root, 'packages', p),
      timeout: 60_000,
    });
  }
  const tarballs = (await readdir(packs)).map((f) => join(packs, f));
  const app = join(dir, 'app');
  await run('mkdir', ['-p', app]);
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }),
  );
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], {
    cwd: app,
    timeout: 240_000,
    env: freshEnv({ npm_config_update_notifier: 'false' }),
  });
  as = await startAuthServer();
  token = await serviceToken(as);
}, 420_000);

afterAll(async () => {
  await as?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const script = (kind: 'esm' | 'cjs') => {
  const load =
    kind === 'esm'
      ? `const v = await import('@mcp-auth/validator'); const n = await import('@mcp-auth/validator/node'); const f = await import('@mcp-auth/validator/fetch');`
      : `const v = require('@mcp-auth/validator'); const n = require('@mcp-auth/validator/node'); const f = require('@mcp-auth/validator/fetch');`;
  const body = `
    const validator = v.createTokenValidator({
      issuer: process.env.ISSUER,
      resource: 'http://127.0.0.1:3000/mcp',
      allowInsecureHttpForLoopback: true,
      requiredScopes: ['mcp:read'],
    });
    const auth = await validator.validate(process.env.TOKEN);
    let code;
    try { await validator.validate(process.env.TAMPERED); } catch (e) { code = e.code; }
    // The MCP SDK must not be resolvable from the installed validator (not pulled in, not leaked).
    const req = (await import('node:module')).createRequire(process.cwd() + '/node_modules/@mcp-auth/validator/package.json');
    let where; try { where = req.resolve('@modelcontextprotocol/sdk/server/auth/errors.js'); } catch (e) { where = String(e.code); }
    let sdkless;
    try { await validator.verifyAccessToken(process.env.TAMPERED); } catch (e) { sdkless = e.name + ':' + e.code; }
    const res = await f.authenticateRequest(validator, new Request('http://127.0.0.1:3000/mcp'));
    console.log(JSON.stringify({
      clientId: auth.clientId, scopes: auth.scopes, resource: auth.resource.href, code, sdkless, sdk: where,
      fetchStatus: res.ok ? 200 : res.response.status,
      requireAuth: typeof n.requireAuth, extract: typeof v.extractBearerToken,
    }));
    await validator.close();`;
  return kind === 'esm'
    ? `${load}\n${body}`
    : `(async () => { ${load}\n${body} })().catch((e) => { console.error(e); process.exit(1); });`;
};

/** The token with its signature's first character changed: still canonical base64url, a bad signature. */
function tampered(t: string): string {
  const dot = t.lastIndexOf('.') + 1;
  return t.slice(0, dot) + (t[dot] === 'A' ? 'B' : 'A') + t.slice(dot + 1);
}

describe('install only the validator (npm, fresh project)', () => {
  it.each(['esm', 'cjs'] as const)(
    '%s: loads and validates a token from the local AS',
    async (kind) => {
      const file = join(dir, 'app', kind === 'esm' ? 'check.mjs' : 'check.cjs');
      await writeFile(file, script(kind));
      const { stdout } = await run(process.execPath, [file], {
        cwd: join(dir, 'app'),
        env: freshEnv({ ISSUER: as.issuer, TOKEN: token, TAMPERED: tampered(token) }),
        timeout: 30_000,
      });
      expect(JSON.parse(stdout.trim())).toEqual({
        clientId: 'mcp-service',
        scopes: ['mcp:read', 'mcp:write'],
        resource: 'http://127.0.0.1:3000/mcp',
        code: 'ERR_SIGNATURE_INVALID',
        // Without the MCP SDK installed, verifyAccessToken rejects with the validator's own error.
        sdkless: 'TokenValidationError:ERR_SIGNATURE_INVALID',
        sdk: 'MODULE_NOT_FOUND',
        fetchStatus: 401,
        requireAuth: 'function',
        extract: 'function',
      });
    },
  );

  it('pulls in no transport, test client, MCP SDK or framework', async () => {
    const modules = join(dir, 'app', 'node_modules');
    const scoped = await readdir(join(modules, '@mcp-auth'));
    expect(scoped.sort()).toEqual(['cache', 'discovery', 'validator']);
    const top = await readdir(modules);
    for (const forbidden of ['express', 'hono', '@modelcontextprotocol', 'oidc-provider', 'zod']) {
      expect(top).not.toContain(forbidden);
    }
    const lock = JSON.parse(await readFile(join(dir, 'app', 'package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    const names = Object.keys(lock.packages).filter(Boolean);
    expect(names.some((n) => n.includes('sse-transport') || n.includes('test-client'))).toBe(false);
    expect(top).toContain('jose');
  });

  it('the installed package.json has real version ranges (no workspace: protocol)', async () => {
    const pkg = JSON.parse(
      await readFile(
        join(dir, 'app', 'node_modules', '@mcp-auth', 'validator', 'package.json'),
        'utf8',
      ),
    ) as {
      dependencies: Record<string, string>;
    };
    for (const range of Object.values(pkg.dependencies))
      expect(range.startsWith('workspace:')).toBe(false);
  });
});
