import { parseArgs } from 'node:util';
import {
  assertCliOptions,
  EXTENSION_FLAGS,
  EXTENSION_USAGE,
  extensionOptions,
  UsageError,
} from './cli-extensions.js';
import { parseOrigin } from './internal/origin.js';
import { PROTOCOL_PARAMS, type TokenEndpointAuthMethod, type TransportKind } from './options.js';
import { parseRedirectHost } from './redirect-listener.js';
import type { RunOptions } from './run.js';

export const USAGE = `Usage: mcp-auth-test-client <server-url> [options]

Runs the MCP OAuth flow against an MCP server and reports each step.

Client identity (default: Client ID Metadata Document when supported, else dynamic registration):
  --client-id <id>                 a pre-registered client
  --client-secret <secret>         its secret (or set MCP_AUTH_CLIENT_SECRET, kept out of ps)
  --token-endpoint-auth <method>   none | client_secret_basic | client_secret_post | private_key_jwt
                                   (default: from the metadata; private_key_jwt with --private-key)
  --client-metadata-url <url>      https URL of a Client ID Metadata Document
Authorization:
  --scope <scopes>                 scopes to request (default: the challenge's, else scopes_supported)
  --port <n>                       port of the loopback redirect listener (default: random)
  --redirect-host <host>           host of the redirect URI: localhost | 127.0.0.1 | [::1]
                                   (default: 127.0.0.1; the listener binds to loopback only)
  --callback-path <path>           path of the redirect URI (default: /callback)
  --open                           open the authorization URL in the system browser
  --non-interactive                follow the authorization URL with plain HTTP requests (no browser)
  --auth-param <key=value>         extra authorization request parameter (repeatable), e.g. audience=…
  --refresh                        also prove that a refresh works
  --token-store <file>             keep tokens in this file (mode 0600) between runs
  --allow-missing-pkce-metadata <issuer>
                                   accept this issuer's metadata without code_challenge_methods_supported
                                   (S256 is still used; repeatable)
  --allow-http                     accept http URLs on hosts that are not loopback (insecure)
MCP:
  --transport <kind>               auto | sse | streamable-http (default: auto: Streamable HTTP, then SSE)
  --call <tool>                    call this tool after listing the tools
  --args <json>                    the tool's arguments, a JSON object (default: {})
Conformance:
  --check                          run the conformance checks and print a pass/fail table
  --other-resource <uri>           with --check: another resource of the same authorization server
  --other-resource-scope <scopes>  with --check: scope for that resource's token (default: the challenge's)
  --unauthenticated-only           with --check: only the checks that need no token
  --origin <origin>                with --check: Origin sent for the CORS check
                                   (default: https://mcp-client.example)
Output:
  --json                           print a machine-readable report on stdout
  --timeout <seconds>              timeout of each HTTP request (default: 10)
  --browser-timeout <seconds>      how long to wait for the authorization response (default: 300)
  -h, --help                       this help
  -v, --version                    the version

${EXTENSION_USAGE}

Exit codes: 0 success, 1 a step or a check failed, 2 bad command line, 130 interrupted.`;

export const VERSION = '0.1.0';

/**
 * Parses the command line into {@link RunOptions} plus the CLI's own flags. Throws a usage error
 * (exit code 2 in {@link runCli}) for anything it cannot accept.
 *
 * @example
 * ```ts
 * parseCliArgs(['http://127.0.0.1:3000/mcp', '--non-interactive', '--scope', 'mcp:read']);
 * // { kind: 'run', serverUrl: 'http://127.0.0.1:3000/mcp', options: { nonInteractive: true, scope: 'mcp:read' }, … }
 * ```
 * @see https://nodejs.org/api/util.html#utilparseargsconfig
 */
export function parseCliArgs(argv: string[], env: Record<string, string | undefined> = {}) {
  let parsed: ReturnType<typeof parseWith>;
  try {
    parsed = parseWith(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || values.version) {
    return { kind: 'info', help: values.help === true, version: values.version === true } as const;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'Missing <server-url>'
        : `Expected one <server-url>, got ${positionals.length}`,
    );
  }
  const serverUrl = positionals[0]!;
  try {
    new URL(serverUrl);
  } catch {
    throw new UsageError(`<server-url> must be an absolute URL, got ${JSON.stringify(serverUrl)}`);
  }
  const positiveSeconds = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new UsageError(`--${name} must be a positive number of seconds`);
    return Math.round(n * 1000);
  };
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535)
      throw new UsageError('--port must be an integer from 0 to 65535');
  }
  const transport = values.transport as TransportKind | undefined;
  if (transport !== undefined && !['auto', 'sse', 'streamable-http'].includes(transport)) {
    throw new UsageError('--transport must be auto, sse or streamable-http');
  }
  const auth = values['token-endpoint-auth'] as TokenEndpointAuthMethod | undefined;
  if (
    auth !== undefined &&
    !['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'].includes(auth)
  ) {
    throw new UsageError(
      '--token-endpoint-auth must be none, client_secret_basic, client_secret_post or private_key_jwt',
    );
  }
  const clientSecret = values['client-secret'] ?? env.MCP_AUTH_CLIENT_SECRET;
  if (clientSecret !== undefined && values['client-id'] === undefined) {
    throw new UsageError('--client-secret needs --client-id');
  }
  if (
    auth !== undefined &&
    auth !== 'none' &&
    auth !== 'private_key_jwt' &&
    clientSecret === undefined
  ) {
    throw new UsageError(`--token-endpoint-auth ${auth} needs --client-secret`);
  }
  if (values['client-metadata-url'] !== undefined) {
    const u = URL.canParse(values['client-metadata-url'])
      ? new URL(values['client-metadata-url'])
      : undefined;
    if (u?.protocol !== 'https:' || u.pathname === '/') {
      throw new UsageError('--client-metadata-url must be an https URL with a path');
    }
  }
  let callArgs: Record<string, unknown> | undefined;
  if (values.args !== undefined) {
    if (values.call === undefined) throw new UsageError('--args needs --call <tool>');
    try {
      callArgs = JSON.parse(values.args) as Record<string, unknown>;
    } catch {
      throw new UsageError('--args must be valid JSON');
    }
    if (typeof callArgs !== 'object' || callArgs === null || Array.isArray(callArgs)) {
      throw new UsageError('--args must be a JSON object');
    }
  }
  if (values.open && values['non-interactive']) {
    throw new UsageError('--open and --non-interactive exclude each other');
  }
  const check = values.check === true;
  for (const flag of [
    'other-resource',
    'other-resource-scope',
    'unauthenticated-only',
    'origin',
  ] as const) {
    if (values[flag] !== undefined && !check) throw new UsageError(`--${flag} needs --check`);
  }
  if (check && values.call !== undefined)
    throw new UsageError('--call cannot be combined with --check');
  if (values['other-resource'] !== undefined) {
    try {
      new URL(values['other-resource']);
    } catch {
      throw new UsageError('--other-resource must be an absolute URL');
    }
  }
  let origin: string | undefined;
  if (values.origin !== undefined) {
    origin = parseOrigin(values.origin);
    if (origin === undefined) {
      throw new UsageError(
        `--origin must be an origin such as https://app.example.com (scheme, host and optional port, no path), got ${JSON.stringify(values.origin)}`,
      );
    }
  }
  let redirectHost: ReturnType<typeof parseRedirectHost>;
  if (values['redirect-host'] !== undefined) {
    redirectHost = parseRedirectHost(values['redirect-host']);
    if (redirectHost === undefined) {
      throw new UsageError(
        `--redirect-host must be localhost, 127.0.0.1 or [::1] (the redirect listener is loopback only), got ${JSON.stringify(values['redirect-host'])}`,
      );
    }
  }
  if (values['callback-path'] !== undefined && !values['callback-path'].startsWith('/')) {
    throw new UsageError('--callback-path must start with /');
  }
  const authorizationParams: Record<string, string> = {};
  for (const pair of values['auth-param'] ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new UsageError(`--auth-param must be key=value, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, eq);
    if (PROTOCOL_PARAMS.has(key))
      throw new UsageError(`--auth-param cannot set ${key}: the client sets it`);
    authorizationParams[key] = pair.slice(eq + 1);
  }

  const options: RunOptions = {
    ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
    ...(clientSecret !== undefined ? { clientSecret } : {}),
    ...(auth !== undefined ? { tokenEndpointAuth: auth } : {}),
    ...(values['client-metadata-url'] !== undefined
      ? { clientMetadataUrl: values['client-metadata-url'] }
      : {}),
    ...(values.scope !== undefined ? { scope: values.scope } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(redirectHost !== undefined ? { redirectHost } : {}),
    ...(values['callback-path'] !== undefined ? { callbackPath: values['callback-path'] } : {}),
    ...(values.open ? { open: true } : {}),
    ...(values['non-interactive'] ? { nonInteractive: true } : {}),
    ...(Object.keys(authorizationParams).length ? { authorizationParams } : {}),
    ...(values.refresh ? { refresh: true } : {}),
    ...(values['token-store'] !== undefined ? { tokenStore: values['token-store'] } : {}),
    ...(values['allow-missing-pkce-metadata']?.length
      ? { allowMissingPkceMetadata: values['allow-missing-pkce-metadata'] }
      : {}),
    ...(values['allow-http'] ? { allowHttp: true } : {}),
    ...(transport !== undefined ? { transport } : {}),
    ...(values.call !== undefined
      ? { call: { name: values.call, arguments: callArgs ?? {} } }
      : {}),
  };
  Object.assign(options, extensionOptions(values, env));
  assertCliOptions(options);
  const timeoutMs = positiveSeconds('timeout', values.timeout);
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  const callbackTimeoutMs = positiveSeconds('browser-timeout', values['browser-timeout']);
  if (callbackTimeoutMs !== undefined) options.callbackTimeoutMs = callbackTimeoutMs;
  return {
    kind: 'run',
    help: false,
    version: false,
    serverUrl,
    options,
    json: values.json === true,
    check,
    otherResource: values['other-resource'],
    otherResourceScope: values['other-resource-scope'],
    unauthenticatedOnly: values['unauthenticated-only'] === true,
    origin,
  } as const;
}

function parseWith(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'token-endpoint-auth': { type: 'string' },
      'client-metadata-url': { type: 'string' },
      scope: { type: 'string' },
      port: { type: 'string' },
      'redirect-host': { type: 'string' },
      'callback-path': { type: 'string' },
      open: { type: 'boolean' },
      'non-interactive': { type: 'boolean' },
      'auth-param': { type: 'string', multiple: true },
      refresh: { type: 'boolean' },
      'token-store': { type: 'string' },
      'allow-missing-pkce-metadata': { type: 'string', multiple: true },
      'allow-http': { type: 'boolean' },
      transport: { type: 'string' },
      call: { type: 'string' },
      args: { type: 'string' },
      check: { type: 'boolean' },
      'other-resource': { type: 'string' },
      'other-resource-scope': { type: 'string' },
      'unauthenticated-only': { type: 'boolean' },
      origin: { type: 'string' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      'browser-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      ...EXTENSION_FLAGS,
    },
  });
}
