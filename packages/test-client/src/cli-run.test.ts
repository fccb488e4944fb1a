import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args.js';
import { EXIT_CODES, runCli } from './cli-run.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
    },
  };
}

const URL_ = 'http://127.0.0.1:3000/mcp';

describe('parseCliArgs', () => {
  it('maps every flag to an option', () => {
    const parsed = parseCliArgs([
      URL_,
      '--client-id',
      'mcp-confidential',
      '--client-secret',
      's3cret',
      '--token-endpoint-auth',
      'client_secret_post',
      '--scope',
      'mcp:read mcp:write',
      '--port',
      '8765',
      '--callback-path',
      '/oauth/callback',
      '--non-interactive',
      '--auth-param',
      'audience=https://api',
      '--auth-param',
      'prompt=consent',
      '--refresh',
      '--token-store',
      '/tmp/t.json',
      '--allow-missing-pkce-metadata',
      'http://127.0.0.1:4000/us-east-1_X',
      '--allow-http',
      '--transport',
      'sse',
      '--call',
      'echo',
      '--args',
      '{"text":"hi"}',
      '--json',
      '--timeout',
      '2.5',
      '--browser-timeout',
      '60',
    ]);
    expect(parsed).toMatchObject({
      kind: 'run',
      serverUrl: URL_,
      json: true,
      check: false,
      options: {
        clientId: 'mcp-confidential',
        clientSecret: 's3cret',
        tokenEndpointAuth: 'client_secret_post',
        scope: 'mcp:read mcp:write',
        port: 8765,
        callbackPath: '/oauth/callback',
        nonInteractive: true,
        authorizationParams: { audience: 'https://api', prompt: 'consent' },
        refresh: true,
        tokenStore: '/tmp/t.json',
        allowMissingPkceMetadata: ['http://127.0.0.1:4000/us-east-1_X'],
        allowHttp: true,
        transport: 'sse',
        call: { name: 'echo', arguments: { text: 'hi' } },
        timeoutMs: 2500,
        callbackTimeoutMs: 60_000,
      },
    });
  });

  it('reads the client secret from MCP_AUTH_CLIENT_SECRET', () => {
    const parsed = parseCliArgs([URL_, '--client-id', 'c'], { MCP_AUTH_CLIENT_SECRET: 'from-env' });
    expect(parsed).toMatchObject({ options: { clientSecret: 'from-env' } });
  });

  it('parses the --check flags', () => {
    expect(
      parseCliArgs([
        URL_,
        '--check',
        '--other-resource',
        'http://127.0.0.1:3001/mcp',
        '--unauthenticated-only',
      ]),
    ).toMatchObject({
      check: true,
      otherResource: 'http://127.0.0.1:3001/mcp',
      unauthenticatedOnly: true,
    });
  });

  it.each([
    ['localhost', 'localhost'],
    ['LOCALHOST', 'localhost'],
    ['127.0.0.1', '127.0.0.1'],
    ['[::1]', '[::1]'],
    ['::1', '[::1]'],
  ])('--redirect-host %s → redirectHost %s', (value, redirectHost) => {
    expect(parseCliArgs([URL_, '--redirect-host', value])).toMatchObject({
      options: { redirectHost },
    });
  });

  it('leaves redirectHost unset by default (the library defaults to 127.0.0.1)', () => {
    const parsed = parseCliArgs([URL_]);
    expect(parsed.kind === 'run' && 'redirectHost' in parsed.options).toBe(false);
  });

  it.each([
    ['https://app.example.com', 'https://app.example.com'],
    ['https://app.example.com/', 'https://app.example.com'],
    ['http://localhost:5173', 'http://localhost:5173'],
    ['https://app.example.com:443', 'https://app.example.com'],
    ['HTTPS://App.Example.COM:8443', 'https://app.example.com:8443'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
  ])('--check --origin %s → origin %s', (value, origin) => {
    expect(parseCliArgs([URL_, '--check', '--origin', value])).toMatchObject({
      check: true,
      origin,
    });
  });

  it.each([
    [[], 'Missing <server-url>'],
    [[URL_, URL_], 'Expected one <server-url>, got 2'],
    [['not a url'], '<server-url> must be an absolute URL'],
    [[URL_, '--bogus'], "Unknown option '--bogus'"],
    [[URL_, '--port', 'abc'], '--port must be an integer'],
    [[URL_, '--port', '70000'], '--port must be an integer'],
    [[URL_, '--transport', 'ws'], '--transport must be auto, sse or streamable-http'],
    [[URL_, '--token-endpoint-auth', 'client_secret_jwt'], '--token-endpoint-auth must be'],
    [
      [URL_, '--token-endpoint-auth', 'private_key_jwt'],
      '"tokenEndpointAuth" private_key_jwt needs "privateKey"',
    ],
    [[URL_, '--client-secret', 'x'], '--client-secret needs --client-id'],
    [
      [URL_, '--client-id', 'c', '--token-endpoint-auth', 'client_secret_basic'],
      'needs --client-secret',
    ],
    [[URL_, '--client-metadata-url', 'http://example.com/client.json'], 'https URL with a path'],
    [[URL_, '--client-metadata-url', 'https://example.com'], 'https URL with a path'],
    [[URL_, '--args', '{}'], '--args needs --call'],
    [[URL_, '--call', 't', '--args', '{bad'], '--args must be valid JSON'],
    [[URL_, '--call', 't', '--args', '[1]'], '--args must be a JSON object'],
    [[URL_, '--open', '--non-interactive'], 'exclude each other'],
    [[URL_, '--other-resource', 'http://x'], '--other-resource needs --check'],
    [[URL_, '--check', '--call', 't'], '--call cannot be combined with --check'],
    [[URL_, '--timeout', '0'], '--timeout must be a positive number'],
    [[URL_, '--auth-param', 'novalue'], '--auth-param must be key=value'],
    [[URL_, '--auth-param', 'resource=http://evil'], '--auth-param cannot set resource'],
    [[URL_, '--auth-param', 'state=x'], '--auth-param cannot set state'],
    [[URL_, '--callback-path', 'cb'], '--callback-path must start with /'],
    [[URL_, '--origin', 'https://app.example.com'], '--origin needs --check'],
    [[URL_, '--check', '--origin', 'app.example.com'], '--origin must be an origin'],
    [[URL_, '--check', '--origin', 'https://app.example.com/path'], '--origin must be an origin'],
    [[URL_, '--check', '--origin', 'https://app.example.com?x=1'], '--origin must be an origin'],
    [[URL_, '--check', '--origin', 'https://app.example.com/#'], '--origin must be an origin'],
    [[URL_, '--check', '--origin', 'https://u:p@app.example.com'], '--origin must be an origin'],
    [[URL_, '--check', '--origin', 'ftp://app.example.com'], '--origin must be an origin'],
    [[URL_, '--check', '--origin', 'null'], '--origin must be an origin'],
    [[URL_, '--check', '--origin', ''], '--origin must be an origin'],
    [[URL_, '--redirect-host', '0.0.0.0'], '--redirect-host must be localhost, 127.0.0.1 or [::1]'],
    [[URL_, '--redirect-host', 'example.com'], '--redirect-host must be localhost'],
    [[URL_, '--redirect-host', '127.0.0.2'], '--redirect-host must be localhost'],
    [[URL_, '--redirect-host', '192.168.1.10'], '--redirect-host must be localhost'],
    [[URL_, '--redirect-host', '::'], '--redirect-host must be localhost'],
    [[URL_, '--redirect-host', '[::]'], '--redirect-host must be localhost'],
    [[URL_, '--redirect-host', 'localhost.example.com'], '--redirect-host must be localhost'],
    [[URL_, '--redirect-host', 'http://localhost'], '--redirect-host must be localhost'],
    [[URL_, '--redirect-host', 'localhost:8080'], '--redirect-host must be localhost'],
    [[URL_, '--redirect-host', ''], '--redirect-host must be localhost'],
  ])('%j → usage error %s', async (argv, message) => {
    expect(() => parseCliArgs(argv as string[])).toThrow(message);
    const t = io();
    expect(await runCli(argv as string[], t.io)).toBe(EXIT_CODES.usage);
    expect(t.err.join('')).toContain(message);
    expect(t.out.join('')).toBe('');
  });
});

describe('runCli', () => {
  it.each([
    [
      [
        '--check',
        '--origin',
        'https://app.example.com/?access_token=eyJhbGciOiJSUzI1NiJ9.payload.sig',
      ],
    ],
    [['--redirect-host', 'http://localhost:1/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=x']],
  ])('a usage error that quotes a secret parameter redacts it (%j)', async (extra) => {
    const t = io();
    expect(await runCli([URL_, ...extra], t.io)).toBe(EXIT_CODES.usage);
    const err = t.err.join('');
    expect(err).toMatch(/must be/);
    expect(err).not.toContain('payload');
    expect(err).not.toContain('lOBeZQQYbYS6WxS');
    expect(err).toMatch(/(access_token=eyJh…\.sig|code=Splx…SbIA)/);
  });

  it('prints the help with every flag', async () => {
    const t = io();
    expect(await runCli(['--help'], t.io)).toBe(0);
    const help = t.out.join('');
    for (const flag of [
      '--client-id',
      '--client-secret',
      '--token-endpoint-auth',
      '--client-metadata-url',
      '--scope',
      '--port',
      '--open',
      '--non-interactive',
      '--refresh',
      '--transport',
      '--call',
      '--args',
      '--token-store',
      '--check',
      '--other-resource',
      '--allow-http',
      '--allow-missing-pkce-metadata',
      '--json',
      '--redirect-host',
      '--origin',
    ]) {
      expect(help).toContain(flag);
    }
  });

  it('prints the version', async () => {
    const t = io();
    expect(await runCli(['--version'], t.io)).toBe(0);
    expect(t.out.join('')).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it.each([
    [[], 'server_url'],
    [['--json'], 'server_url'],
    [['--check'], 'check'],
    [['--check', '--json'], 'check'],
  ])(
    'refuses a non-loopback http server without --allow-http, before any request (%j)',
    async (flags, kind) => {
      const t = io();
      let requests = 0;
      const code = await runCli(['http://mcp.example.com/mcp', '--non-interactive', ...flags], {
        ...t.io,
        fetch: async () => {
          requests++;
          return new Response(null, { status: 500 });
        },
      });
      expect(code).toBe(1);
      expect(requests).toBe(0);
      const out = t.out.join('');
      expect(out).toContain('--allow-http');
      if (flags.includes('--json')) {
        const json = JSON.parse(out);
        expect(json).toMatchObject({ ok: false, exitCode: 1 });
        if (kind === 'server_url') {
          expect(json.error.code).toBe('ERR_HTTP_URL_REFUSED');
          expect(json.steps).toEqual([
            expect.objectContaining({ id: 'server_url', status: 'fail' }),
          ]);
        } else {
          expect(json.checks[0]).toMatchObject({ id: 'unauthenticated_401', status: 'fail' });
        }
      }
    },
  );
});

describe('parseCliArgs on hostile input', () => {
  it('only ever returns or throws a usage error', async () => {
    const fc = (await import('fast-check')).default;
    const flag = fc.constantFrom(
      '--port',
      '--scope',
      '--args',
      '--call',
      '--transport',
      '--auth-param',
      '--check',
      '--json',
      '--timeout',
      '--client-id',
      '--client-secret',
      '--other-resource',
      '-h',
      '--',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(flag, fc.string(), fc.webUrl()), { maxLength: 8 }), (argv) => {
        try {
          const parsed = parseCliArgs(argv);
          expect(['info', 'run']).toContain(parsed.kind);
        } catch (err) {
          expect((err as Error).constructor.name).toBe('UsageError');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
