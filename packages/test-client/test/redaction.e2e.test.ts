/**
 * No secret the flow handles ever reaches the output: the whole flow runs against the SSE transport
 * and the local authorization server, a spy `fetch` collects the real secrets as they travel (the
 * authorization code from the redirect's Location, the code_verifier and refresh token from the
 * token requests, the tokens, client secret and registration access token from the responses), and
 * the test searches the CLI's text and --json output for each of them.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';
import { getFreePort, type SseMcpServer, startSseMcpServer } from './helpers.js';

let das: DevAuthServer;
let mcp: SseMcpServer;
let otherResource: string;

beforeAll(async () => {
  const port = await getFreePort();
  otherResource = `http://127.0.0.1:${port}/other-mcp`;
  das = await startAuthServer({
    resources: [
      { uri: `http://127.0.0.1:${port}/sse`, scopes: ['mcp:read', 'mcp:admin'] },
      { uri: otherResource, scopes: ['mcp:read'] },
    ],
  });
  mcp = await startSseMcpServer({ port, das, requiredScopes: ['mcp:read'] });
});

afterAll(async () => {
  await mcp?.stop();
  await das?.stop();
});

interface Collected {
  codes: Set<string>;
  verifiers: Set<string>;
  accessTokens: Set<string>;
  refreshTokens: Set<string>;
  registrationAccessTokens: Set<string>;
  /** ID tokens, client secrets. */
  others: Set<string>;
}

const urlOf = (input: string | URL | Request): URL =>
  new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);

/** A `fetch` that collects every secret it sees go by. */
function spyFetch(): { fetch: typeof fetch; seen: Collected } {
  const seen: Collected = {
    codes: new Set(),
    verifiers: new Set(),
    accessTokens: new Set(),
    refreshTokens: new Set(),
    registrationAccessTokens: new Set(),
    others: new Set(),
  };
  const add = (set: Set<string>, v: unknown): void => {
    if (typeof v === 'string' && v.length > 0) set.add(v);
  };
  const spy = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = urlOf(input);
    const body = init?.body;
    if (typeof body === 'string' || body instanceof URLSearchParams) {
      const text = String(body);
      if (text.startsWith('{')) {
        // JSON-RPC and registration bodies carry no secret of ours.
      } else {
        const form = new URLSearchParams(text);
        add(seen.codes, form.get('code'));
        add(seen.verifiers, form.get('code_verifier'));
        add(seen.refreshTokens, form.get('refresh_token'));
        add(seen.others, form.get('client_secret'));
      }
    }
    const auth = new Headers(init?.headers).get('authorization');
    if (auth?.startsWith('Bearer ')) add(seen.accessTokens, auth.slice(7));
    const res = await fetch(input, init);
    const location = res.headers.get('location');
    if (location) {
      const target = new URL(location, url);
      add(seen.codes, target.searchParams.get('code'));
      add(seen.codes, new URLSearchParams(target.hash.slice(1)).get('code'));
    }
    if (url.origin === das.origin && (res.headers.get('content-type') ?? '').includes('json')) {
      const json = (await res
        .clone()
        .json()
        .catch(() => undefined)) as Record<string, unknown> | undefined;
      if (json) {
        add(seen.accessTokens, json.access_token);
        add(seen.refreshTokens, json.refresh_token);
        add(seen.others, json.id_token);
        add(seen.others, json.client_secret);
        add(seen.registrationAccessTokens, json.registration_access_token);
      }
    }
    return res;
  };
  return { fetch: spy as typeof fetch, seen };
}

/** Every window of 12 characters inside the part a redaction hides (from index 4 to length - 4). */
function hiddenWindows(secret: string): string[] {
  const inner = secret.slice(4, -4);
  if (inner.length <= 12) return [secret];
  const out: string[] = [];
  for (let i = 0; i + 12 <= inner.length; i += 6) out.push(inner.slice(i, i + 12));
  return out;
}

function assertNoLeak(output: string, seen: Collected): void {
  const all = [
    ...seen.codes,
    ...seen.verifiers,
    ...seen.accessTokens,
    ...seen.refreshTokens,
    ...seen.registrationAccessTokens,
    ...seen.others,
  ];
  for (const secret of all) {
    expect(output, 'a full secret leaked').not.toContain(secret);
    expect(output, 'a URL-encoded secret leaked').not.toContain(encodeURIComponent(secret));
    for (const window of hiddenWindows(secret)) {
      expect(output, `part of a secret leaked: …${window}…`).not.toContain(window);
    }
  }
}

async function cli(args: string[], env: Record<string, string> = {}) {
  const { fetch: spy, seen } = spyFetch();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(args, {
    stdout: { write: (s: string) => stdout.push(s) },
    stderr: { write: (s: string) => stderr.push(s) },
    env,
    fetch: spy,
  });
  return { code, stdout: stdout.join(''), stderr: stderr.join(''), seen };
}

describe('no secret in the output of the whole flow', () => {
  it.each([
    ['dynamic registration, text', [], false],
    ['dynamic registration, --json', ['--json'], true],
  ])(
    '%s: the code, the verifier, the access and refresh tokens never show',
    async (_what, extra, json) => {
      const r = await cli([
        mcp.sseUrl,
        '--non-interactive',
        '--refresh',
        '--call',
        'whoami',
        ...extra,
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // The spy saw the real values (the test can fail): one code, one verifier, two access tokens
      // (the refresh replaced the first), the refresh token.
      expect(r.seen.codes.size).toBe(1);
      expect(r.seen.verifiers.size).toBe(1);
      expect(r.seen.accessTokens.size).toBeGreaterThanOrEqual(2);
      expect(r.seen.refreshTokens.size).toBeGreaterThanOrEqual(1);
      // oidc-provider answers a registration with a registration access token.
      expect(r.seen.registrationAccessTokens.size).toBe(1);
      const output = r.stdout + r.stderr;
      assertNoLeak(output, r.seen);
      // The authorization request step reports the redirect's Location with the code redacted.
      const [code] = [...r.seen.codes];
      const shown = `code=${code!.slice(0, 4)}…${code!.slice(-4)}`;
      if (json) {
        const report = JSON.parse(r.stdout) as {
          steps: { id: string; received: string[]; sent: string[] }[];
        };
        const request = report.steps.find((s) => s.id === 'authorization_request')!;
        expect(request.received.at(-1)).toMatch(
          /^30[237] Location: http:\/\/127\.0\.0\.1:\d+\/callback\?/,
        );
        expect(request.received.at(-1)).toContain(shown);
        const response = report.steps.find((s) => s.id === 'authorization_response')!;
        expect(response.received[0]).toContain(shown);
        const refresh = report.steps.find((s) => s.id === 'refresh')!;
        const [rt] = [...r.seen.refreshTokens];
        expect(refresh.sent[0]).toContain(`refresh_token=${rt!.slice(0, 4)}…${rt!.slice(-4)}`);
      } else {
        expect(output).toMatch(
          new RegExp(
            `^✓ Authorization request .*received: .*Location: http://127\\.0\\.0\\.1:\\d+/callback\\?.*${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
            'm',
          ),
        );
      }
    },
  );

  it('a confidential client: the client secret never shows either', async () => {
    const { clientId, clientSecret } = das.clients.confidential;
    const r = await cli(
      [mcp.sseUrl, '--non-interactive', '--client-id', clientId, '--refresh', '--json'],
      { MCP_AUTH_CLIENT_SECRET: clientSecret },
    );
    expect(r.code).toBe(0);
    r.seen.others.add(clientSecret);
    expect(r.seen.codes.size).toBe(1);
    expect(r.seen.accessTokens.size).toBeGreaterThanOrEqual(2);
    assertNoLeak(r.stdout + r.stderr, r.seen);
  });

  it.each([
    ['text', []],
    ['--json', ['--json']],
  ])('--check (%s), with another resource: no token of either flow shows', async (_what, extra) => {
    const r = await cli([
      mcp.sseUrl,
      '--check',
      '--non-interactive',
      '--client-id',
      'mcp-public',
      '--other-resource',
      otherResource,
      // A loopback web client: the server validates Origin (revision 2026-07-28).
      '--origin',
      'http://localhost:5173',
      ...extra,
    ]);
    expect(r.code).toBe(0);
    expect(r.seen.codes.size).toBe(2);
    expect(r.seen.verifiers.size).toBe(2);
    expect(r.seen.accessTokens.size).toBeGreaterThanOrEqual(2);
    assertNoLeak(r.stdout + r.stderr, r.seen);
  });
});
