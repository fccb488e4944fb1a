import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args.js';
import { EXIT_CODES, runCli } from './cli-run.js';

const URL_ = 'http://127.0.0.1:3000/mcp';
const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
let dir: string;
let keyFile: string;
let tokenFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tc-cli-ext-'));
  keyFile = join(dir, 'key.pem');
  tokenFile = join(dir, 'token.jwt');
  await writeFile(keyFile, PEM, { mode: 0o600 });
  await writeFile(tokenFile, 'eyJ.workload.token\n', { mode: 0o600 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = (argv: string[], env: Record<string, string> = {}) => {
  const parsed = parseCliArgs([URL_, ...argv], env);
  if (parsed.kind !== 'run') throw new Error('expected a run');
  return parsed.options;
};

describe('the extension flags', () => {
  it('--grant client_credentials with --private-key <file>, --private-key-id, --dpop', () => {
    expect(
      options([
        '--grant',
        'client_credentials',
        '--client-id',
        'svc',
        '--private-key',
        keyFile,
        '--private-key-id',
        'k1',
        '--private-key-alg',
        'ES256',
        '--dpop',
      ]),
    ).toEqual({
      grant: 'client_credentials',
      clientId: 'svc',
      privateKey: PEM.trim(),
      privateKeyId: 'k1',
      privateKeyAlg: 'ES256',
      dpop: true,
    });
  });

  it('secrets from the environment: MCP_AUTH_PRIVATE_KEY, MCP_AUTH_WORKLOAD_TOKEN, MCP_AUTH_ID_TOKEN, MCP_AUTH_IDP_CLIENT_SECRET', () => {
    expect(
      options(['--grant', 'jwt_bearer', '--client-id', 'w'], {
        MCP_AUTH_WORKLOAD_TOKEN: 'wl.token',
        MCP_AUTH_PRIVATE_KEY: PEM,
      }),
    ).toEqual({ grant: 'jwt_bearer', clientId: 'w', assertion: 'wl.token', privateKey: PEM });
    expect(
      options(
        [
          '--grant',
          'enterprise',
          '--client-id',
          'c',
          '--idp-token-endpoint',
          'https://idp.example.com/token',
          '--idp-client-id',
          'c-at-idp',
        ],
        { MCP_AUTH_ID_TOKEN: 'id.token', MCP_AUTH_IDP_CLIENT_SECRET: 'idp-secret' },
      ),
    ).toEqual({
      grant: 'enterprise',
      clientId: 'c',
      idToken: 'id.token',
      idpTokenEndpoint: 'https://idp.example.com/token',
      idpClientId: 'c-at-idp',
      idpClientSecret: 'idp-secret',
    });
  });

  it('--assertion-file is read and trimmed; the workload env is ignored for other grants', () => {
    expect(
      options(['--grant', 'jwt_bearer', '--client-id', 'w', '--assertion-file', tokenFile]),
    ).toMatchObject({
      assertion: 'eyJ.workload.token',
    });
    expect(options([], { MCP_AUTH_WORKLOAD_TOKEN: 'wl.token' })).toEqual({});
  });

  it.each([
    [
      ['--grant', 'password'],
      '"grant" must be one of authorization_code, client_credentials, jwt_bearer, enterprise',
    ],
    [
      ['--grant', 'client_credentials'],
      '"grant" client_credentials needs "clientId" (a pre-registered client)',
    ],
    [
      ['--grant', 'client_credentials', '--client-id', 'c'],
      '"grant" client_credentials needs "clientSecret" or "privateKey"',
    ],
    [
      ['--grant', 'jwt_bearer', '--client-id', 'c'],
      '"grant" jwt_bearer needs "assertion" (the workload token)',
    ],
    [
      ['--grant', 'enterprise', '--client-id', 'c', '--id-token-file', '/nonexistent/t'],
      '--id-token-file "/nonexistent/t" cannot be read (ENOENT)',
    ],
    [
      ['--client-id', 'c', '--private-key', '/nonexistent/key.pem'],
      '--private-key "/nonexistent/key.pem" cannot be read (ENOENT)',
    ],
    [['--client-id', 'c', '--private-key-alg', 'HS256'], '"privateKeyAlg" must be ES256 or RS256'],
  ])('%j → usage error %s', (argv, message) => {
    expect(() => parseCliArgs([URL_, ...argv])).toThrow(message);
  });

  it('a bad key file is exit 2 and its content is never printed', async () => {
    const bad = join(dir, 'bad.pem');
    await writeFile(bad, 'SECRET-MATERIAL-0123456789abcdef', { mode: 0o600 });
    const err: string[] = [];
    const code = await runCli([URL_, '--client-id', 'c', '--private-key', bad], {
      stdout: { write: () => {} },
      stderr: { write: (s: string) => err.push(s) },
    });
    expect(code).toBe(EXIT_CODES.usage);
    expect(err.join('')).toBe(
      'mcp-auth-test-client: "privateKey" must be a PEM private key (PKCS#8, SEC1 or PKCS#1)\nRun with --help for the options.\n',
    );
  });

  it('--help lists the extension flags', async () => {
    const out: string[] = [];
    await runCli(['--help'], {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: () => {} },
    });
    for (const flag of [
      '--grant',
      '--private-key',
      '--assertion-file',
      '--id-token-file',
      '--idp-token-endpoint',
      '--dpop',
    ]) {
      expect(out.join('')).toContain(flag);
    }
  });
});
