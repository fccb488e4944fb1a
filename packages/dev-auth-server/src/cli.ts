#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { isSigningAlg, SIGNING_ALGS } from './keys.js';
import { PROFILES } from './profiles/index.js';
import { start } from './server.js';
import type { DevAuthServer, DevAuthServerOptions, ProfileName, ResourceConfig } from './types.js';

const USAGE = `Usage: pnpm --filter @mcp-auth/dev-auth-server start [-- options]

A real local OAuth 2.1 authorization server (oidc-provider) on 127.0.0.1.

Options:
  --port <n>            port (default: random)
  --host <addr>         interface (default: 127.0.0.1)
  --resource <uri>      a protected resource; repeat for more (default: http://127.0.0.1:3000/mcp)
  --scope <scope>       scopes of every resource; repeat or comma-separate (default: mcp:tools,mcp:read)
  --format <jwt|opaque> access token format (default: jwt)
  --alg <alg>           ${SIGNING_ALGS.join(' | ')} (default: RS256)
  --profile <name>      ${Object.keys(PROFILES).join(' | ')} (default: generic)
  --issuer-path <path>  e.g. /tenant1
  --interactive         HTML login and consent pages (default: sign in the default user automatically)
  --separate-endpoints  authorize/token/login on a second port, like Cognito's hosted UI domain
  --ttl <seconds>       access token lifetime (default: 3600)
  --json                print the details as one JSON line instead of text
  -h, --help            this help
`;

export interface CliConfig {
  options: DevAuthServerOptions;
  json: boolean;
}

/** Parses the command line; throws a TypeError with a user-facing message on bad input. */
export function parseCli(argv: string[]): CliConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      resource: { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      format: { type: 'string' },
      alg: { type: 'string' },
      profile: { type: 'string' },
      'issuer-path': { type: 'string' },
      interactive: { type: 'boolean' },
      'separate-endpoints': { type: 'boolean' },
      ttl: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const int = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new TypeError(`--${name} must be a non-negative integer`);
    return Number(v);
  };
  const format = values.format ?? 'jwt';
  if (format !== 'jwt' && format !== 'opaque')
    throw new TypeError('--format must be jwt or opaque');
  const alg = values.alg ?? 'RS256';
  if (!isSigningAlg(alg)) throw new TypeError(`--alg must be one of ${SIGNING_ALGS.join(', ')}`);
  const profile = values.profile ?? 'generic';
  if (!Object.hasOwn(PROFILES, profile)) {
    throw new TypeError(`--profile must be one of ${Object.keys(PROFILES).join(', ')}`);
  }
  const scopes = (values.scope ?? ['mcp:tools,mcp:read'])
    .flatMap((s) => s.split(/[,\s]+/))
    .filter(Boolean);
  const resources: ResourceConfig[] = (values.resource ?? ['http://127.0.0.1:3000/mcp']).map(
    (uri) => ({ uri, scopes, format, alg }),
  );
  const options: DevAuthServerOptions = {
    profile: profile as ProfileName,
    resources,
    interactive: values.interactive === true,
  };
  const port = int('port', values.port);
  if (port !== undefined) options.port = port;
  if (values.host !== undefined) options.host = values.host;
  if (values['issuer-path'] !== undefined) options.issuerPath = values['issuer-path'];
  if (values['separate-endpoints']) options.endpointsOnSeparateOrigin = true;
  const ttl = int('ttl', values.ttl);
  if (ttl !== undefined) options.accessTokenTtlSeconds = ttl;
  return { options, json: values.json === true };
}

function shellQuote(v: string): string {
  return /^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`;
}

/** The ready-to-paste curl command that gets a token for `resource` with client credentials. */
export function curlCommand(as: DevAuthServer, resource: ResourceConfig): string {
  const { clientId, clientSecret } = as.clients.service;
  return [
    'curl -s',
    `-u ${shellQuote(`${clientId}:${clientSecret}`)}`,
    '-d grant_type=client_credentials',
    // Entra refuses `resource` and wants `<Application ID URI>/.default` for client credentials.
    ...(as.entraAppIdUri
      ? [`--data-urlencode ${shellQuote(`scope=${as.entraAppIdUri}/.default`)}`]
      : [
          `--data-urlencode ${shellQuote(`resource=${resource.uri}`)}`,
          `--data-urlencode ${shellQuote(`scope=${resource.scopes.join(' ')}`)}`,
        ]),
    shellQuote(as.endpoints.token),
  ].join(' ');
}

/** Everything a person (or a script, with --json) needs to use the server. */
export function describeServer(as: DevAuthServer) {
  return {
    issuer: as.issuer,
    profile: as.profile,
    interactive: as.interactive,
    discovery: [
      ...as.discoveryUrls.oauthAuthorizationServer,
      ...as.discoveryUrls.openidConfiguration,
    ],
    endpoints: as.endpoints,
    clients: as.clients,
    users: as.users.map((u) => ({
      sub: u.sub,
      login: u.email ?? u.username ?? u.sub,
      password: u.password,
    })),
    resources: as.resources,
    curl: as.resources.map((r) => curlCommand(as, r)),
  };
}

export function formatBanner(as: DevAuthServer): string {
  const d = describeServer(as);
  const emulation =
    as.profile === 'generic' ? '' : ` (EMULATION of ${as.profile}: not the real provider)`;
  const lines = [
    `Local OAuth 2.1 authorization server, profile ${as.profile}${emulation}`,
    `  issuer        ${d.issuer}`,
    ...d.discovery.map((u) => `  discovery     ${u}`),
    `  jwks          ${d.endpoints.jwks}`,
    `  authorize     ${d.endpoints.authorization}`,
    `  token         ${d.endpoints.token}`,
    `  introspect    ${d.endpoints.introspection}`,
    `  revoke        ${d.endpoints.revocation}`,
    ...(d.endpoints.registration ? [`  register      ${d.endpoints.registration} (open)`] : []),
    '',
    'Clients',
    `  ${as.clients.public.clientId.padEnd(18)}public, PKCE; redirect to any port on http://127.0.0.1|localhost|[::1] /callback`,
    `  ${as.clients.confidential.clientId.padEnd(18)}secret ${as.clients.confidential.clientSecret}`,
    `  ${as.clients.service.clientId.padEnd(18)}secret ${as.clients.service.clientSecret} (client_credentials)`,
    `  ${as.clients.introspector.clientId.padEnd(18)}secret ${as.clients.introspector.clientSecret} (introspection)`,
    '',
    `Users (${as.interactive ? 'sign in on the login page' : 'signed in automatically; login_hint picks one'})`,
    ...d.users.map((u) => `  ${u.login} / ${u.password}`),
    '',
    'Resources',
    ...as.resources.map(
      (r) =>
        `  ${r.uri}  scopes: ${r.scopes.join(' ') || '(none)'}  format: ${r.format}${r.format === 'jwt' ? ` ${r.alg}` : ''}`,
    ),
    '',
    'Get a token:',
    ...d.curl.map((c) => `  ${c}`),
    '',
    'Press Ctrl-C to stop.',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  let config: CliConfig | 'help';
  try {
    config = parseCli(process.argv.slice(2).filter((a) => a !== '--'));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (config === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const as = await start({
    ...config.options,
    logger: {
      error: (msg, meta) => process.stderr.write(`${msg} ${JSON.stringify(meta ?? {})}\n`),
    },
  });
  process.stdout.write(
    config.json ? `${JSON.stringify(describeServer(as))}\n` : `${formatBanner(as)}\n`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    as.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// Run only as a program, not when imported (tests import the helpers above).
if (process.argv[1] && /cli\.[cm]?[jt]s$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
