/**
 * The official MCP Inspector (`@modelcontextprotocol/inspector`, its one-shot CLI, on Node 22 as
 * its `engines` ask) against the full server of `@mcp-auth/sse-transport` (the built `dist`) over
 * Streamable HTTP, with real tokens from the local authorization server: a client nobody here
 * wrote, reading our challenges and our answers.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { createServer, OAuthProvider, type SseServer } from '@mcp-auth/sse-transport';
import { getFreePort } from '@mcp-auth/test-utils';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBinary } from './runtimes.js';

const require = createRequire(import.meta.url);
const INSPECTOR = join(
  dirname(require.resolve('@modelcontextprotocol/inspector/package.json')),
  'clients/launcher/build/index.js',
);

let das: DevAuthServer;
let provider: OAuthProvider;
let server: SseServer;
let mcpUrl: string;
let reader: string;
let admin: string;
let home: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `inspector --cli <url> --transport http …` on Node 22, its catalog and OAuth store in a temp home. */
function inspector(args: string[], token?: string): Promise<Run> {
  const header = token === undefined ? [] : ['--header', `Authorization: Bearer ${token}`];
  return new Promise((resolve) => {
    execFile(
      nodeBinary('node22'),
      [INSPECTOR, '--cli', mcpUrl, '--transport', 'http', ...args, ...header],
      {
        env: { PATH: process.env.PATH, HOME: home, MCP_CATALOG_PATH: join(home, 'mcp.json') },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        resolve({
          code: err === null ? 0 : ((err as { code?: number }).code ?? null),
          stdout,
          stderr,
        }),
    );
  });
}

/** The `{ error: { code, message } }` the CLI prints when a call fails (on stderr). */
function failure(run: Run): { code: string; message: string } {
  expect(run.code).not.toBe(0);
  return (JSON.parse(run.stderr || run.stdout) as { error: { code: string; message: string } })
    .error;
}

function whoami(): McpServer {
  const mcp = new McpServer({ name: 'inspected', version: '1.0.0' });
  mcp.registerTool('whoami', { description: 'Who is calling' }, async (extra) => ({
    content: [
      {
        type: 'text',
        text: JSON.stringify({
          subject: extra.authInfo?.extra?.subject,
          scopes: extra.authInfo?.scopes,
        }),
      },
    ],
  }));
  mcp.registerTool('server_stats', { description: 'Admin only' }, async () => ({
    content: [{ type: 'text', text: 'stats' }],
  }));
  return mcp;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'mcp-inspector-'));
  const port = await getFreePort();
  mcpUrl = `http://127.0.0.1:${port}/mcp`;
  das = await startAuthServer({
    resources: [{ uri: mcpUrl, scopes: ['mcp:read', 'mcp:admin'] }],
    users: [{ sub: 'alice', password: 'p' }],
  });
  provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: mcpUrl,
    requiredScopes: ['mcp:read'],
    allowInsecureHttpForLoopback: true,
  });
  server = createServer({
    port,
    auth: { provider, toolScopes: { server_stats: ['mcp:admin'] } },
    createMcpServer: whoami,
  });
  await server.listen();
  const flow = (scope: string) =>
    das
      .authorizationCodeFlow({ resource: mcpUrl, user: 'alice', scope })
      .then((t) => t.access_token);
  [reader, admin] = await Promise.all([flow('mcp:read'), flow('mcp:read mcp:admin')]);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await das?.stop();
  if (home !== undefined) rmSync(home, { recursive: true, force: true });
});

describe('the official MCP Inspector CLI against the full server', () => {
  it('lists the tools and calls one with a user token: the tool sees the verified principal', async () => {
    const list = await inspector(['--method', 'tools/list'], reader);
    expect(list.code, list.stderr).toBe(0);
    const names = (JSON.parse(list.stdout) as { tools: { name: string }[] }).tools.map(
      (t) => t.name,
    );
    expect(names.sort()).toEqual(['server_stats', 'whoami']);
    const call = await inspector(['--method', 'tools/call', '--tool-name', 'whoami'], reader);
    expect(call.code, call.stderr).toBe(0);
    const text = (JSON.parse(call.stdout) as { content: [{ text: string }] }).content[0].text;
    expect(JSON.parse(text)).toEqual({ subject: 'alice', scopes: ['mcp:read'] });
  }, 90_000);

  it('without a token the Inspector reports that the server requires authorization', async () => {
    const error = failure(await inspector(['--method', 'tools/list', '--stored-auth-only']));
    expect(error.code).toBe('auth_required');
    expect(error.message).toContain('The request carries no access token');
  }, 90_000);

  it('a tampered token is refused; a tool above the token scope is refused, and allowed with it', async () => {
    const [head, payload, signature] = reader.split('.') as [string, string, string];
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    // --stored-auth-only: the Inspector would otherwise start its own interactive sign-in.
    const forged = failure(
      await inspector(
        ['--method', 'tools/list', '--stored-auth-only'],
        `${head}.${payload}.${flipped}`,
      ),
    );
    expect(forged).toEqual({
      code: 'auth_required',
      message:
        'Error POSTing to endpoint: {"error":"invalid_token","error_description":"The token signature is invalid"}',
    });
    const denied = failure(
      await inspector(
        ['--method', 'tools/call', '--tool-name', 'server_stats', '--stored-auth-only'],
        reader,
      ),
    );
    // The Inspector read our 403 challenge: every scope the call needs, not only the missing one.
    expect(denied).toEqual({
      code: 'error',
      message: 'Insufficient scope: required "mcp:read mcp:admin"',
    });
    const allowed = await inspector(
      ['--method', 'tools/call', '--tool-name', 'server_stats'],
      admin,
    );
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout)).toEqual({ content: [{ type: 'text', text: 'stats' }] });
  }, 120_000);
});
