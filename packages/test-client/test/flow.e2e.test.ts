/**
 * The whole flow end to end against the real thing: the MCP server on @mcp-auth/sse-transport,
 * protected by the local authorization server (oidc-provider, non-interactive), driven by the test
 * client through the official SDK client.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorize,
  checkServer,
  connect,
  getConnectionReport,
  Report,
  run,
  runCli,
} from '../src/index.js';
import { decodeJwtPayload, getFreePort, type SseMcpServer, startSseMcpServer } from './helpers.js';

let das: DevAuthServer;
let mcp: SseMcpServer;
let otherResource: string;
let tmp: string;

const JWT = /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/;

beforeAll(async () => {
  const port = await getFreePort();
  otherResource = `http://127.0.0.1:${port}/other-mcp`;
  das = await startAuthServer({
    resources: [
      { uri: `http://127.0.0.1:${port}/sse`, scopes: ['mcp:read', 'mcp:write', 'mcp:admin'] },
      { uri: otherResource, scopes: ['mcp:read'] },
    ],
  });
  mcp = await startSseMcpServer({ port, das, requiredScopes: ['mcp:read'] });
  tmp = await mkdtemp(join(tmpdir(), 'mcp-auth-test-client-'));
});

afterAll(async () => {
  await mcp?.stop();
  await das?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function whoami(result: unknown): { subject: string; clientId: string; scopes: string[] } {
  const content = (result as { content: { text: string }[] }).content;
  return JSON.parse(content[0]!.text);
}

describe('machine to machine against the SSE transport (no browser)', () => {
  it('client credentials: admin_stats as the service after one step-up with the same grant', async () => {
    const result = await run(mcp.sseUrl, {
      grant: 'client_credentials',
      clientId: 'mcp-service',
      clientSecret: das.clients.service.clientSecret,
      call: { name: 'admin_stats' },
    });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    // The challenge asked for mcp:read; admin_stats needs mcp:admin: one step-up, no browser.
    expect(result.authorizationAttempts).toBe(2);
    const scopes = result.report.steps.filter((s) => s.id === 'scope').map((s) => s.notes[0]);
    expect(scopes).toEqual([
      "mcp:read (from the challenge's scope)",
      'mcp:read mcp:admin (from the union of the scopes asked before and the scopes the 403 requires)',
    ]);
    const ids = result.report.steps.map((s) => s.id);
    expect(ids).not.toContain('authorization_request');
    expect(ids).not.toContain('authorization_response');
  });
});

describe('non-interactive flow against the SSE transport', () => {
  it('with dynamic client registration: every step, SSE after the Streamable HTTP attempt, whoami', async () => {
    const result = await run(mcp.sseUrl, { nonInteractive: true, call: { name: 'whoami' } });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.transport).toBe('sse');
    expect(result.authorizationAttempts).toBe(1);
    expect(result.tools).toEqual(['whoami', 'echo', 'admin_stats']);
    const ids = result.report.steps.map((s) => s.id);
    expect(ids).toEqual([
      'probe',
      'resource_metadata',
      'authorization_server',
      'client',
      'scope',
      'authorization_request',
      'authorization_response',
      'token',
      'connect',
      'list_tools',
      'call_tool',
    ]);
    const step = (id: string) => result.report.steps.find((s) => s.id === id)!;
    // The SSE transport answers the Streamable HTTP POST with 405; the probe then opens the stream.
    expect(step('probe').sent).toEqual([
      `POST ${mcp.sseUrl} (initialize)`,
      `GET ${mcp.sseUrl} (Accept: text/event-stream)`,
    ]);
    expect(step('probe').received).toEqual([
      '405',
      `401 WWW-Authenticate: Bearer scope="mcp:read", resource_metadata="${mcp.prmUrl}"`,
    ]);
    expect(step('resource_metadata').sent).toEqual([`GET ${mcp.prmUrl}`]);
    expect(step('client').notes).toEqual([]);
    expect(step('client').sent[0]).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/.*register/);
    expect(step('scope').notes).toEqual(["mcp:read (from the challenge's scope)"]);
    const authUrl = new URL(step('authorization_request').sent[0]!.slice(4));
    expect(Object.fromEntries(authUrl.searchParams)).toMatchObject({
      response_type: 'code',
      code_challenge_method: 'S256',
      resource: mcp.resource,
      scope: 'mcp:read',
    });
    expect(authUrl.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authUrl.searchParams.get('state')).toMatch(/^[\w-]{43,}$/);
    expect(step('authorization_response').received[0]).toContain(`iss=${das.issuer} matches`);
    expect(step('token').sent[0]).toContain(`resource=${mcp.resource}`);
    expect(step('connect').notes[0]).toMatch(/^Streamable HTTP failed .*falling back to SSE$/);
    const me = whoami(result.callResult);
    expect(me.subject).toBe('user-1');
    expect(me.clientId).not.toBe('mcp-public');
    expect(me.scopes).toEqual(['mcp:read']);
    // No token anywhere in the report: only the first and last 4 characters.
    const json = JSON.stringify(result.report);
    expect(json).not.toMatch(JWT);
    expect(step('token').received.join(' ')).toMatch(/access_token=eyJ\w…[\w-]{4}/);
  });

  it('with the pre-registered public client mcp-public, and --refresh', async () => {
    const result = await run(mcp.sseUrl, {
      nonInteractive: true,
      clientId: das.clients.public.clientId,
      refresh: true,
      transport: 'sse',
      call: { name: 'whoami' },
    });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    const ids = result.report.steps.map((s) => s.id);
    expect(ids).toContain('refresh');
    expect(ids.indexOf('refresh')).toBeLessThan(ids.indexOf('connect'));
    expect(result.report.steps.find((s) => s.id === 'client')!.notes).toEqual([
      'pre-registered client mcp-public, token endpoint auth none',
    ]);
    expect(whoami(result.callResult)).toMatchObject({ subject: 'user-1', clientId: 'mcp-public' });
    expect(JSON.stringify(result.report)).not.toMatch(JWT);
  });

  it('with the confidential client (client_secret_basic from the metadata); the secret never shows', async () => {
    const { clientId, clientSecret } = das.clients.confidential;
    const report = new Report();
    const result = await authorize(mcp.sseUrl, {
      nonInteractive: true,
      clientId,
      clientSecret,
      report,
    });
    expect(result.client).toEqual({
      clientId,
      clientSecret,
      tokenEndpointAuthMethod: 'client_secret_basic',
      source: 'pre-registered',
    });
    const payload = decodeJwtPayload(result.tokens.accessToken);
    expect(payload).toMatchObject({ aud: mcp.resource, client_id: clientId, iss: das.issuer });
    expect(result.metadata.resource).toBe(mcp.resource);
    expect(result.metadata.authorizationServer.issuer).toBe(das.issuer);
    expect(JSON.stringify(report)).not.toContain(clientSecret);
  });

  it('steps up on 403 insufficient_scope: re-authorizes with the union of scopes and retries', async () => {
    const result = await run(mcp.sseUrl, {
      nonInteractive: true,
      clientId: 'mcp-public',
      call: { name: 'admin_stats' },
    });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.authorizationAttempts).toBe(2);
    const challenge = result.report.steps.find((s) => s.id === 'challenge')!;
    expect(challenge.title).toBe('403 on POST /messages');
    expect(challenge.received[0]).toContain('error="insufficient_scope"');
    const scopes = result.report.steps.filter((s) => s.id === 'scope').map((s) => s.notes[0]);
    expect(scopes).toEqual([
      "mcp:read (from the challenge's scope)",
      'mcp:read mcp:admin (from the union of the scopes asked before and the scopes the 403 requires)',
    ]);
    expect(result.report.steps.find((s) => s.title === 'Token request (attempt 2)')?.status).toBe(
      'ok',
    );
    expect((result.callResult as { content: { text: string }[] }).content[0]!.text).toBe(
      'admin ok: mcp:read mcp:admin',
    );
  });

  it('connect() returns an SDK client that keeps authorizing (step-up on a later call)', async () => {
    const client = await connect(mcp.sseUrl, { nonInteractive: true, clientId: 'mcp-public' });
    try {
      const echo = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
      expect(echo.content).toEqual([{ type: 'text', text: 'hello' }]);
      const admin = await client.callTool({ name: 'admin_stats', arguments: {} });
      expect((admin.content as { text: string }[])[0]!.text).toBe('admin ok: mcp:read mcp:admin');
      const report = getConnectionReport(client)!;
      expect(report.steps.filter((s) => s.id === 'token')).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it('every HTTP request goes through the injected fetch', async () => {
    const calls: string[] = [];
    const recording = (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(
        typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      );
      calls.push(
        `${init?.method ?? 'GET'} ${url.origin === das.origin ? 'AS' : 'MCP'} ${url.pathname}`,
      );
      return fetch(input, init);
    };
    const result = await run(mcp.sseUrl, {
      nonInteractive: true,
      fetch: recording,
      refresh: true,
      call: { name: 'echo', arguments: { text: 'x' } },
    });
    expect(result.error).toBeUndefined();
    expect(calls).toContain('GET AS /.well-known/oauth-authorization-server');
    expect(calls.filter((c) => c.startsWith('POST AS ')).length).toBeGreaterThanOrEqual(3); // register, token, refresh
    expect(calls).toContain('POST MCP /sse');
    expect(calls).toContain('GET MCP /.well-known/oauth-protected-resource/sse');
    expect(calls).toContain('POST MCP /messages');
    expect(calls.some((c) => c.startsWith('GET AS ') && c.includes('auth'))).toBe(true);
    // The redirect back to the listener, too.
    expect(calls.some((c) => c.endsWith('/callback'))).toBe(true);
  });

  it('connect() with tokens from authorize(): no new authorization', async () => {
    const { tokens } = await authorize(mcp.sseUrl, {
      nonInteractive: true,
      clientId: 'mcp-public',
    });
    const report = new Report();
    const client = await connect(mcp.sseUrl, { tokens, transport: 'sse', report });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('whoami');
      expect(report.steps.map((s) => s.id)).toEqual(['connect']);
    } finally {
      await client.close();
    }
  });

  it('concurrent 403s share one re-authorization', async () => {
    const client = await connect(mcp.sseUrl, { nonInteractive: true, clientId: 'mcp-public' });
    try {
      const results = await Promise.all([
        client.callTool({ name: 'admin_stats', arguments: {} }),
        client.callTool({ name: 'admin_stats', arguments: {} }),
        client.callTool({ name: 'admin_stats', arguments: {} }),
      ]);
      for (const r of results) {
        expect((r.content as { text: string }[])[0]!.text).toBe('admin ok: mcp:read mcp:admin');
      }
      const report = getConnectionReport(client)!;
      expect(report.steps.filter((s) => s.id === 'token')).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it('--transport streamable-http against an SSE-only server stops at the first request, with a hint', async () => {
    const result = await run(mcp.sseUrl, {
      nonInteractive: true,
      clientId: 'mcp-public',
      transport: 'streamable-http',
    });
    expect(result.ok).toBe(false);
    expect(result.error).toEqual({
      code: 'ERR_UNEXPECTED_STATUS',
      message:
        'Expected 401 to a request without a token, got 405 (this endpoint may not speak this transport: try --transport auto)',
    });
    expect(result.report.steps.map((s) => [s.id, s.status])).toEqual([['probe', 'fail']]);
  });

  it('--token-store: written with mode 0600, then reused without a new authorization', async () => {
    const file = join(tmp, 'tokens.json');
    const first = await run(mcp.sseUrl, {
      nonInteractive: true,
      clientId: 'mcp-public',
      tokenStore: file,
    });
    expect(first.ok).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const second = await run(mcp.sseUrl, {
      nonInteractive: true,
      clientId: 'mcp-public',
      tokenStore: file,
    });
    expect(second.error).toBeUndefined();
    expect(second.ok).toBe(true);
    expect(second.authorizationAttempts).toBe(0);
    const stored = second.report.steps.find((s) => s.id === 'token_store')!;
    expect(stored.status).toBe('ok');
    expect(second.report.steps.some((s) => s.id === 'authorization_request')).toBe(false);
  });
});

describe('--token-store with an expired access token', () => {
  it('refreshes it instead of authorizing again, and stores the new one', async () => {
    const file = join(tmp, 'expired.json');
    const first = await run(mcp.sseUrl, {
      nonInteractive: true,
      clientId: 'mcp-public',
      tokenStore: file,
    });
    expect(first.ok).toBe(true);
    const stored = JSON.parse(await readFile(file, 'utf8'));
    const entry = stored.entries[mcp.resource];
    expect(entry).toMatchObject({
      clientId: 'mcp-public',
      clientSource: 'pre-registered',
      issuer: das.issuer,
    });
    const oldToken = entry.tokens.accessToken as string;
    entry.tokens.expiresAt = Math.floor(Date.now() / 1000) - 10;
    await writeFile(file, JSON.stringify(stored), { mode: 0o600 });
    const second = await run(mcp.sseUrl, {
      nonInteractive: true,
      tokenStore: file,
      call: { name: 'whoami' },
    });
    expect(second.error).toBeUndefined();
    expect(second.ok).toBe(true);
    expect(second.authorizationAttempts).toBe(0);
    expect(second.report.steps.map((s) => s.id).slice(0, 5)).toEqual([
      'probe',
      'resource_metadata',
      'authorization_server',
      'token_store',
      'refresh',
    ]);
    const after = JSON.parse(await readFile(file, 'utf8')).entries[mcp.resource];
    expect(after.tokens.accessToken).not.toBe(oldToken);
    expect(after.tokens.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});

describe('the CLI end to end', () => {
  it('--non-interactive --json --call echo: exit 0 and a machine-readable report', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      [
        mcp.sseUrl,
        '--non-interactive',
        '--json',
        '--call',
        'echo',
        '--args',
        '{"text":"from the CLI"}',
      ],
      {
        stdout: { write: (s: string) => out.push(s) },
        stderr: { write: (s: string) => err.push(s) },
      },
    );
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(out.join(''));
    expect(report).toMatchObject({
      ok: true,
      exitCode: 0,
      transport: 'sse',
      call: { name: 'echo', result: { content: [{ type: 'text', text: 'from the CLI' }] } },
      authorizationAttempts: 1,
    });
    expect(out.join('')).not.toMatch(JWT);
  });

  it('prints one line per step with ✓ and a duration, and exit 1 on a failing tool', async () => {
    const out: string[] = [];
    const code = await runCli(
      [
        mcp.sseUrl,
        '--non-interactive',
        '--client-id',
        'mcp-public',
        '--call',
        'echo',
        '--args',
        '{"text":5}',
      ],
      { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => {} } },
    );
    expect(code).toBe(1);
    const lines = out.join('').trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^✓ Request without a token \(\d+(\.\d)? m?s\) · sent: POST .*; GET .* · received: 405; 401 WWW-Authenticate: Bearer /,
    );
    expect(lines.filter((l) => l.startsWith('✓ '))).toHaveLength(10);
    expect(lines.find((l) => l.startsWith('✗ '))).toMatch(/^✗ Call echo .*ERR_TOOL_FAILED/);
    expect(lines.at(-1)).toMatch(/^Failed: ERR_TOOL_FAILED: /);
  });
});

describe('--redirect-host', () => {
  it.each([
    ['localhost', [], 'dynamic registration'],
    ['[::1]', [], 'dynamic registration'],
    ['127.0.0.1', [], 'dynamic registration'],
    ['localhost', ['--client-id', 'mcp-public'], 'the pre-registered client'],
  ])(
    '%s with %s: the redirect URI names that host, and the flow succeeds',
    async (host, extra, _client) => {
      const registered: unknown[] = [];
      const authorizeUrls: URL[] = [];
      const delivered: URL[] = [];
      const recording = async (input: string | URL | Request, init?: RequestInit) => {
        const url = new URL(
          typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
        );
        if (url.origin === das.origin && url.pathname.endsWith('/register')) {
          registered.push(JSON.parse(String(init?.body)));
        }
        if (url.origin === das.origin && url.searchParams.has('redirect_uri'))
          authorizeUrls.push(url);
        if (url.pathname === '/callback') delivered.push(url);
        return fetch(input, init);
      };
      const out: string[] = [];
      const code = await runCli(
        [
          mcp.sseUrl,
          '--non-interactive',
          '--redirect-host',
          host,
          '--json',
          '--call',
          'whoami',
          ...extra,
        ],
        {
          stdout: { write: (s: string) => out.push(s) },
          stderr: { write: () => {} },
          fetch: recording,
        },
      );
      const report = JSON.parse(out.join(''));
      expect(report.error).toBeUndefined();
      expect(code).toBe(0);
      const redirectUri = authorizeUrls[0]!.searchParams.get('redirect_uri')!;
      expect(redirectUri).toMatch(
        new RegExp(`^http://${host.replace(/[.[\]]/g, '\\$&')}:\\d+/callback$`),
      );
      if (extra.length === 0) {
        expect(registered).toEqual([expect.objectContaining({ redirect_uris: [redirectUri] })]);
      } else {
        expect(registered).toEqual([]);
      }
      // The authorization server sent the browser (here: the client itself) back to that host.
      expect(delivered.map((u) => `${u.origin}${u.pathname}`)).toEqual([redirectUri]);
      const token = report.steps.find((s: { id: string }) => s.id === 'token');
      expect(token.sent[0]).toContain(`redirect_uri=${redirectUri}`);
      expect(whoami(report.call.result).subject).toBe('user-1');
    },
  );
});

describe('--check against the SSE transport', () => {
  it('passes every check, including the other resource refused', async () => {
    const result = await checkServer(mcp.sseUrl, {
      nonInteractive: true,
      clientId: 'mcp-public',
      otherResource,
      // A loopback web client: the server validates Origin (revision 2026-07-28).
      origin: 'http://localhost:5173',
    });
    const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
    // The server needs one scope: there is no scope challenge to complete.
    expect(result.checks.filter((c) => c.status !== 'pass').map((c) => [c.id, c.status])).toEqual([
      ['scope_challenge_complete', 'skip'],
    ]);
    expect(byId.origin_validation!.detail).toBe(
      'Origin: https://dns-rebinding.invalid with a valid token → 403',
    );
    expect(result.ok).toBe(true);
    expect(byId.other_resource_refused!.detail).toBe(
      `token for ${otherResource} → 401 error="invalid_token"`,
    );
    expect(byId.garbage_token_invalid_token!.detail).toBe('401 error="invalid_token"');
    // One unauthenticated request for the checks and the flow; the other resource's flow has its own.
    expect(result.report.steps.filter((s) => s.id === 'probe')).toHaveLength(1);
    expect(result.report.steps.filter((s) => s.id === 'other_resource.probe')).toHaveLength(1);
    expect(JSON.stringify(result)).not.toMatch(JWT);
  });

  it('the CLI prints the table and exits 0', async () => {
    const out: string[] = [];
    const code = await runCli(
      [
        mcp.sseUrl,
        '--check',
        '--non-interactive',
        '--client-id',
        'mcp-public',
        '--other-resource',
        otherResource,
        '--origin',
        'http://localhost:5173',
      ],
      { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => {} } },
    );
    const text = out.join('');
    expect(text).toMatch(
      /^another resource's token refused with 401 +PASS +token for .* → 401 error="invalid_token"$/m,
    );
    expect(text).toContain('All checks passed.');
    expect(code).toBe(0);
  });
});
