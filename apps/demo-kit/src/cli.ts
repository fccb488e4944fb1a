import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_USER, type DemoApp, otherResourceFor, startDemoApp } from './app.js';
import { formatAuthEvent } from './audit.js';
import { isConfigError } from './errors.js';
import { checkOrigin, runCheck, runFlow } from './flow.js';
import { checkIssuerReachable } from './preflight.js';
import type { ProviderDefinition } from './provider.js';
import type { TelemetryMode } from './telemetry.js';
import { STEP_UP_TOOL } from './tools.js';

export interface CliOptions {
  /** Run the test client through the whole flow at start-up (the local demo). */
  flowOnStart?: boolean;
  argv?: string[];
  env?: Record<string, string | undefined>;
  /** Output; default stdout / stderr. */
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Default: `process.exit`. Tests pass their own. */
  exit?: (code: number) => void;
  /** Install SIGINT/SIGTERM handlers and keep running until one arrives. Default true. */
  handleSignals?: boolean;
  /** Called with the running app once it serves (tests and embedders close it themselves). */
  onReady?: (app: DemoApp) => void;
}

interface Flags {
  once: boolean;
  check: boolean;
  interactive: boolean;
  json: boolean;
  verbose: boolean;
  help: boolean;
  telemetry: TelemetryMode | undefined;
}

const FLAG_HELP: [string, string][] = [
  [
    '--once',
    'run the whole OAuth flow with the test client, then exit with its status (0 = success)',
  ],
  ['--check', 'run the conformance checks (test client --check) against this server, then exit'],
  ['--interactive', 'emulation: real login and consent pages instead of automatic approval'],
  ['--json', 'with --once or --check: print the report as JSON'],
  [
    '--verbose',
    'log what the libraries do, and one line per authorization decision (also DEBUG=1)',
  ],
  [
    '--telemetry console',
    'print OpenTelemetry spans and metrics (OTEL_EXPORTER_OTLP_ENDPOINT: export over OTLP/HTTP)',
  ],
  ['--help', 'this help'],
];

/**
 * The command line of every demo app: configuration errors become one line on stderr and exit
 * code 1 (no stack trace); otherwise the server runs until SIGINT/SIGTERM and shuts down cleanly.
 *
 * @example
 * // apps/cognito-demo/src/main.ts
 * await runCli(cognito);
 */
export async function runCli(def: ProviderDefinition, options: CliOptions = {}): Promise<void> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const env = options.env;
  const debugEnv = (env ?? process.env)['DEBUG'];
  const color =
    process.stdout.isTTY === true && !(env ?? process.env)['NO_COLOR'] && options.out === undefined;
  const paint = (code: number, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);

  let flags: Flags;
  try {
    flags = parseFlags(options.argv ?? process.argv.slice(2));
  } catch (e) {
    err(`${def.appName}: ${(e as Error).message} (see --help)`);
    exit(1);
    return;
  }
  if (flags.help) {
    out(usage(def));
    exit(0);
    return;
  }
  const verbose = flags.verbose || (debugEnv !== undefined && debugEnv !== '' && debugEnv !== '0');
  const logger = {
    ...(verbose
      ? {
          debug: (m: string, meta?: object) =>
            err(`  · ${m}${meta ? ` ${JSON.stringify(meta)}` : ''}`),
          info: (m: string, meta?: object) =>
            err(`  · ${m}${meta ? ` ${JSON.stringify(meta)}` : ''}`),
        }
      : {}),
    warn: (m: string, meta?: object) =>
      err(paint(33, `  ! ${m}${meta ? ` ${JSON.stringify(meta)}` : ''}`)),
    error: (m: string, meta?: object) =>
      err(paint(31, `  ✗ ${m}${meta ? ` ${JSON.stringify(meta)}` : ''}`)),
  };

  let app: DemoApp;
  try {
    app = await startDemoApp(def, {
      ...(env !== undefined ? { env } : {}),
      interactive: flags.interactive,
      logger,
      // One line per authorization decision (never a token: the events carry none).
      ...(verbose ? { onAuthEvent: (event) => err(`  ${formatAuthEvent(event)}`) } : {}),
      ...(flags.telemetry ? { telemetry: flags.telemetry } : {}),
    });
  } catch (e) {
    if (isConfigError(e)) {
      err(`${def.appName}: ${e.message}`);
    } else {
      err(`${def.appName}: cannot start: ${(e as Error)?.message ?? String(e)}`);
      if (verbose && e instanceof Error && e.stack) err(e.stack);
    }
    exit(1);
    return;
  }

  for (const w of app.config.warnings) err(paint(33, `${def.appName}: ${w}`));

  // Signals are handled from here on, also while the flow or the checks run: the servers always
  // stop cleanly. A signal before the work is done exits 130 (interrupted), afterwards 0.
  let finished = false;
  let stopping: Promise<void> | undefined;
  let signalled: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    signalled = resolve;
  });
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      err(`${def.appName}: ${signal} again, exiting now`);
      exit(130);
      return;
    }
    out(`\n${def.appName}: ${signal}, shutting down…`);
    const force = setTimeout(() => {
      err(`${def.appName}: shutdown took more than 5 s, exiting`);
      exit(1);
    }, 5000);
    force.unref();
    stopping = app.close().then(
      () => out(`${def.appName}: stopped.`),
      (e: unknown) =>
        err(`${def.appName}: error while stopping: ${(e as Error)?.message ?? String(e)}`),
    );
    stopping.then(() => {
      clearTimeout(force);
      if (finished) signalled?.();
      else exit(130);
    });
  };
  if (options.handleSignals !== false) {
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  }
  const done = async (code: number) => {
    finished = true;
    if (stopping) return; // a signal is already shutting down (and exits)
    await app.close();
    exit(code);
  };

  if (!flags.json) {
    out(banner(app, flags, paint));
    if (app.mode === 'provider') {
      const check = await checkIssuerReachable(def, app.issuer);
      out(`  ${'issuer check'.padEnd(22)} ${check.ok ? check.line : paint(33, check.line)}`);
    }
  }

  if (flags.check) {
    const ok = await runCheck(app, { out, json: flags.json, color });
    await done(ok ? 0 : 1);
    return;
  }
  if (options.flowOnStart && flags.interactive) {
    out(
      '\nLogin pages are on (--interactive): run the flow yourself with the test client below (--open).',
    );
  } else if (flags.once || options.flowOnStart) {
    if (app.mode !== 'emulation') {
      err(
        `${def.appName}: --once runs the flow non-interactively against the emulation only; for ${def.displayName} use the test client with --open (see the README)`,
      );
      await done(1);
      return;
    }
    const ok = await runFlow(app, { out, json: flags.json, color, verbose });
    if (flags.once) {
      await done(ok ? 0 : 1);
      return;
    }
    if (!ok)
      out(
        paint(31, 'The flow failed (see above); the server keeps running so you can look closer.'),
      );
  }
  if (stopping) return;

  out(connectHelp(app, paint));
  finished = true;
  options.onReady?.(app);
  if (options.handleSignals === false) return;
  await stopped;
  exit(0);
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = {
    once: false,
    check: false,
    interactive: false,
    json: false,
    verbose: false,
    help: false,
    telemetry: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--telemetry' || arg.startsWith('--telemetry=')) {
      const value = arg === '--telemetry' ? argv[++i] : arg.slice('--telemetry='.length);
      if (value !== 'console' && value !== 'otlp') {
        throw new Error('--telemetry takes "console" or "otlp"');
      }
      flags.telemetry = value;
      continue;
    }
    switch (arg) {
      case '--': // pnpm passes the separator through
        break;
      case '--once':
        flags.once = true;
        break;
      case '--check':
        flags.check = true;
        break;
      case '--interactive':
        flags.interactive = true;
        break;
      case '--json':
        flags.json = true;
        break;
      case '--verbose':
      case '-v':
        flags.verbose = true;
        break;
      case '--help':
      case '-h':
        flags.help = true;
        break;
      default:
        throw new Error(`unknown argument "${arg.slice(0, 40)}"`);
    }
  }
  if (flags.once && flags.check) throw new Error('--once and --check cannot be combined');
  if (flags.interactive && (flags.once || flags.check)) {
    throw new Error(
      '--interactive needs a person at a browser: it cannot be combined with --once or --check',
    );
  }
  return flags;
}

function usage(def: ProviderDefinition): string {
  const lines = [
    `${def.appName}: an MCP server (Streamable HTTP at /mcp; the deprecated HTTP+SSE at /sse) protected by OAuth 2.1 with ${def.displayName}.`,
    '',
    `Usage: pnpm --filter @mcp-auth/app-${def.appName} start -- [options]`,
    '',
    ...FLAG_HELP.map(([f, d]) => `  ${f.padEnd(19)} ${d}`),
    '',
    def.emulationOnly
      ? 'Environment (or .env): PORT, HOST, OAUTH_REQUIRED_SCOPES, OAUTH_STEP_UP_SCOPE, ALLOWED_ORIGIN, REDIS_URL, OTEL_EXPORTER_OTLP_ENDPOINT.'
      : 'Environment (or .env): OAUTH_AUTHORIZATION_SERVER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_RESOURCE_URI, OAUTH_REQUIRED_SCOPES, OAUTH_STEP_UP_SCOPE, OAUTH_ALLOWED_CLIENT_IDS, OAUTH_AUDIENCE, PORT, HOST, ALLOWED_ORIGIN, REDIS_URL, OTEL_EXPORTER_OTLP_ENDPOINT.',
    def.emulationOnly
      ? ''
      : `Without OAUTH_AUTHORIZATION_SERVER it runs against a local emulation of ${def.displayName}.`,
  ];
  return lines.join('\n').trimEnd();
}

function banner(app: DemoApp, flags: Flags, paint: (c: number, s: string) => string): string {
  const def = app.definition;
  const lines: string[] = [];
  const title =
    app.mode === 'emulation' && !def.emulationOnly
      ? `${def.appName} · MCP server protected by OAuth 2.1 · ${def.displayName} (EMULATION)`
      : `${def.appName} · MCP server protected by OAuth 2.1 · ${def.displayName}`;
  lines.push(paint(1, title), '');
  if (app.mode === 'emulation' && !def.emulationOnly) {
    lines.push(
      paint(
        33,
        `  This is an EMULATION of ${def.displayName}: the local authorization server (oidc-provider) made to look like it.`,
      ),
      ...def.emulation.notes.map((n) => `    - ${n}`),
      `    To use your real ${def.displayName} tenant, set OAUTH_AUTHORIZATION_SERVER and friends (see .env.example and the README).`,
      '',
    );
  }
  const row = (k: string, v: string) => `  ${k.padEnd(22)} ${v}`;
  lines.push(
    row(
      'authorization server',
      `${app.issuer}${app.mode === 'emulation' ? (def.emulationOnly ? '  (local, in this process)' : '  (emulation, in this process)') : ''}`,
    ),
    row('MCP server', `${app.publicMcpUrl}  (Streamable HTTP)`),
    row('legacy endpoint', `${app.publicSseUrl}  (HTTP+SSE, deprecated, for old clients)`),
    ...(app.publicMcpUrl !== app.mcpUrl ? [row('listening on', app.origin)] : []),
    row('resource', `${app.resourceUri}  (covers both endpoints)`),
    ...(app.acceptedAudiences.length > 0
      ? [row('also accepted aud', `${app.acceptedAudiences.join(', ')} (exact; OAUTH_AUDIENCE)`)]
      : []),
    ...(app.definition.requiresAllowedClientIds
      ? [row('token binding', 'client id allowlist (no audience in these access tokens)')]
      : []),
    row('resource metadata', app.resourceMetadataUrl),
    ...(app.telemetry ? [row('telemetry', app.telemetry.description)] : []),
    row(
      'scopes',
      `${app.requiredScopes.join(' ') || '(none)'} for every request; ${STEP_UP_TOOL} also needs ${app.stepUpScope}`,
    ),
  );
  if (app.emulation) {
    lines.push(
      row(
        'sign-in',
        flags.interactive
          ? `login page: ${DEMO_USER.email} / ${DEMO_USER.password}`
          : `automatic, as ${DEMO_USER.email} (--interactive for the login and consent pages)`,
      ),
      row(
        'clients',
        `${app.emulation.clients.public.clientId} (public, PKCE)${app.emulation.endpoints.registration ? '; dynamic registration open' : '; no dynamic registration'}`,
      ),
    );
  }
  return lines.join('\n');
}

function connectHelp(app: DemoApp, paint: (c: number, s: string) => string): string {
  const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  // Relative to where the user typed the command (pnpm runs scripts in the app's directory and
  // says where it was started in INIT_CWD); absolute when that is unknown.
  const cliPath = join(repoRoot, 'packages/test-client/dist/cli.js');
  const initCwd = process.env['INIT_CWD'];
  const cli = initCwd ? relative(initCwd, cliPath) : cliPath;
  const t = app.testClientOptions;
  const identity = [
    ...(t.clientId ? ['--client-id', t.clientId] : []),
    ...(t.allowMissingPkceMetadata
      ? ['--allow-missing-pkce-metadata', t.allowMissingPkceMetadata]
      : []),
    ...(app.mode === 'emulation' && !app.emulation?.interactive
      ? ['--non-interactive']
      : ['--open']),
  ];
  // Everything but the URL and the transport, shared by the Streamable HTTP and SSE commands.
  const flowArgs = [
    ...identity,
    ...Object.entries(t.authorizationParams ?? {}).flatMap(([k, v]) => [
      '--auth-param',
      `${k}=${v}`,
    ]),
    ...(t.scope ? ['--scope', `"${t.scope}"`] : []),
  ];
  const clientArgs = (url: string, transport: 'streamable-http' | 'sse') =>
    [url, ...flowArgs, '--transport', transport, '--call', 'whoami'].join(' ');
  const checkArgs = [
    app.publicMcpUrl,
    '--check',
    ...identity,
    '--origin',
    checkOrigin(app),
    ...(app.emulation && app.definition.noOtherResourceCheck === undefined
      ? ['--other-resource', otherResourceFor(app.origin)]
      : []),
  ];
  const lines = [
    '',
    paint(1, `Ready. ${app.definition.appName} keeps running until Ctrl-C.`),
    `  MCP Inspector   npx @modelcontextprotocol/inspector --transport http --server-url ${app.publicMcpUrl}`,
    `                  (Node 22+; or open it, Transport Type "Streamable HTTP", URL ${app.publicMcpUrl}, Connect: it discovers the authorization server and signs you in${app.testClientOptions.clientId && !app.emulation?.endpoints.registration ? `; no dynamic registration here, so enter client id ${app.testClientOptions.clientId} in its OAuth settings` : ''})`,
    `  test client     node ${cli} ${clientArgs(app.publicMcpUrl, 'streamable-http')}`,
    `  conformance     node ${cli} ${checkArgs.join(' ')}`,
    `  over SSE        node ${cli} ${clientArgs(app.publicSseUrl, 'sse')}`,
  ];
  if (app.authorizeUrl) lines.push(`  browser flow    ${app.authorizeUrl}`);
  lines.push(`  health          ${app.origin}/health`);
  return lines.join('\n');
}
