import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCli } from './cli.js';

const exec = promisify(execFile);
const tsx = join(
  createRequire(import.meta.url).resolve('tsx/package.json'),
  '..',
  'dist',
  'cli.mjs',
);
const cli = join(import.meta.dirname, 'cli.ts');

describe('parseCli', () => {
  it('defaults to one resource with MCP scopes, generic profile, non-interactive', () => {
    expect(parseCli([])).toEqual({
      json: false,
      options: {
        profile: 'generic',
        interactive: false,
        resources: [
          {
            uri: 'http://127.0.0.1:3000/mcp',
            scopes: ['mcp:tools', 'mcp:read'],
            format: 'jwt',
            alg: 'RS256',
          },
        ],
      },
    });
  });

  it('reads every flag', () => {
    const c = parseCli([
      '--port',
      '8123',
      '--host',
      '127.0.0.2',
      '--resource',
      'http://a/mcp',
      '--resource',
      'http://b/mcp',
      '--scope',
      'x,y',
      '--scope',
      'z',
      '--format',
      'opaque',
      '--alg',
      'ES256',
      '--profile',
      'okta',
      '--issuer-path',
      '/t',
      '--separate-endpoints',
      '--interactive',
      '--ttl',
      '60',
      '--json',
    ]);
    expect(c).toEqual({
      json: true,
      options: {
        port: 8123,
        host: '127.0.0.2',
        profile: 'okta',
        interactive: true,
        issuerPath: '/t',
        endpointsOnSeparateOrigin: true,
        accessTokenTtlSeconds: 60,
        resources: [
          { uri: 'http://a/mcp', scopes: ['x', 'y', 'z'], format: 'opaque', alg: 'ES256' },
          { uri: 'http://b/mcp', scopes: ['x', 'y', 'z'], format: 'opaque', alg: 'ES256' },
        ],
      },
    });
  });

  it.each([
    [['--port', 'abc'], /--port/],
    [['--format', 'paseto'], /--format/],
    [['--alg', 'none'], /--alg/],
    [['--profile', 'ping'], /--profile/],
    [['--unknown'], /Unknown option/],
  ])('%j is refused', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(message);
  });

  it('--help', () => {
    expect(parseCli(['--help'])).toBe('help');
  });
});

describe('the CLI program', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints the issuer, clients, resources and a curl that works; exits 0 on SIGTERM', async () => {
    child = spawn(
      process.execPath,
      [tsx, cli, '--json', '--resource', 'http://127.0.0.1:3999/mcp'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(out.slice(0, nl));
      });
      child?.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const info = JSON.parse(line) as {
      issuer: string;
      clients: { service: { clientId: string; clientSecret: string } };
      resources: { uri: string }[];
      endpoints: { token: string; jwks: string };
      curl: string[];
    };
    expect(info.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.clients.service.clientSecret).toMatch(/^[\w-]{43}$/);
    expect(info.resources.map((r) => r.uri)).toEqual(['http://127.0.0.1:3999/mcp']);
    expect(info.curl[0]).toContain(info.endpoints.token);

    // run the printed command when curl is installed; otherwise the same request with fetch
    let body: { access_token: string };
    const hasCurl = await exec('curl', ['--version']).then(
      () => true,
      () => false,
    );
    if (hasCurl) {
      const { stdout } = await exec('sh', ['-c', info.curl[0] as string]);
      body = JSON.parse(stdout);
    } else {
      const res = await fetch(info.endpoints.token, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${info.clients.service.clientId}:${info.clients.service.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          resource: 'http://127.0.0.1:3999/mcp',
        }),
      });
      body = (await res.json()) as { access_token: string };
    }
    const { payload } = await jwtVerify(
      body.access_token,
      createRemoteJWKSet(new URL(info.endpoints.jwks)),
      {
        issuer: info.issuer,
        audience: 'http://127.0.0.1:3999/mcp',
      },
    );
    expect(payload.scope).toBe('mcp:tools mcp:read');

    const exited = new Promise<number | null>((resolve) => child?.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('exits 2 with the usage on a bad flag', async () => {
    const err = await exec(process.execPath, [tsx, cli, '--profile', 'nope']).catch(
      (e: unknown) => e,
    );
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toContain('--profile must be one of');
    expect((err as { stderr: string }).stderr).toContain('Usage:');
  });
});

describe('curlCommand for the entra profile', () => {
  it('asks for <Application ID URI>/.default without resource, and the command gets a token', async () => {
    const { start } = await import('./server.js');
    const { curlCommand } = await import('./cli.js');
    const as = await start({
      profile: 'entra',
      resources: [{ uri: 'http://127.0.0.1:3999/mcp', scopes: ['mcp.read'] }],
    });
    try {
      const cmd = curlCommand(as, as.resources[0] as (typeof as.resources)[0]);
      expect(cmd).toContain('scope=api://6e74172b-be56-4843-9ff4-e66a39bb12e3/.default');
      expect(cmd).not.toContain('resource=');
      // curl is installed on this machine and in CI (the test above runs it too)
      const { stdout } = await exec('sh', ['-c', cmd]);
      const body = JSON.parse(stdout) as { access_token: string; scope: string };
      expect(body.scope).toBe('api://6e74172b-be56-4843-9ff4-e66a39bb12e3/.default');
    } finally {
      await as.stop();
    }
  });
});
