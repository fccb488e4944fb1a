import { isScopeToken, unionScopes } from '@mcp-auth/internal';
import {
  clip,
  LOOPBACK,
  readAllowedOrigin,
  readAudiences,
  readIssuer,
  readRedisUrl,
  readResourceUri,
} from './config-urls.js';
import { ConfigError } from './errors.js';
import type { ProviderDefinition } from './provider.js';

export { readResourceUri };

/** The environment variables the demo apps read (and document in `.env.example`). */
export const ENV_VARS = [
  'OAUTH_AUTHORIZATION_SERVER',
  'OAUTH_CLIENT_ID',
  'OAUTH_CLIENT_SECRET',
  'OAUTH_RESOURCE_URI',
  'OAUTH_REQUIRED_SCOPES',
  'OAUTH_STEP_UP_SCOPE',
  'OAUTH_ALLOWED_CLIENT_IDS',
  'OAUTH_AUDIENCE',
  'PORT',
  'HOST',
  'ALLOWED_ORIGIN',
  'REDIS_URL',
] as const;

/** Variables that configure a real provider: setting any of them without an issuer is a mistake. */
const PROVIDER_VARS = [
  'OAUTH_CLIENT_ID',
  'OAUTH_CLIENT_SECRET',
  'OAUTH_RESOURCE_URI',
  'OAUTH_ALLOWED_CLIENT_IDS',
] as const;

/** The app's configuration after validation. */
export interface DemoConfig {
  /** `provider`: a real tenant; `emulation`: the local authorization server shaped like it. */
  mode: 'provider' | 'emulation';
  /** The issuer (provider mode). In emulation mode, known once the emulation runs. */
  authorizationServer?: string;
  clientId?: string;
  clientSecret?: string;
  /** The canonical resource URI (provider mode, or when set); else derived from host and port. */
  resourceUri?: string;
  requiredScopes: string[];
  /** The scope `server_stats` needs on top of `requiredScopes`. */
  stepUpScope: string;
  /** Client ids whose tokens are accepted (required for providers without an audience). */
  allowedClientIds: string[];
  /**
   * Audiences accepted besides the resource URI, exactly (`OAUTH_AUDIENCE`): e.g. Okta's
   * `api://default` when the authorization server's Audience was left as it is.
   */
  acceptedAudiences: string[];
  port: number;
  /** False when `PORT` was not set (the local demo then picks a free port when the default is taken). */
  portFromEnv: boolean;
  host: string;
  /** CORS: `'*'`, a list of origins, or undefined (no CORS headers for other origins). */
  allowedOrigin?: '*' | string[];
  /** A Redis URL for the shared cache (tokens and OAuth state across instances). */
  redisUrl?: string;
  /** Lines to print as warnings (not fatal). */
  warnings: string[];
}

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the demo configuration from an environment (process env merged with `.env`).
 * Throws a {@link ConfigError} whose message is one line naming the variable and what it should
 * look like. No provider configured (no `OAUTH_AUTHORIZATION_SERVER` and none of the other
 * `OAUTH_*` provider variables) means emulation mode.
 *
 * @example
 * const config = loadConfig(cognito, mergeEnv(readDotEnvFile('.env'), process.env));
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2 (the resource URI rules)
 */
export function loadConfig(def: ProviderDefinition, env: Env): DemoConfig {
  const warnings: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined ? undefined : v.trim();
  };

  const { port, portFromEnv } = readPort(get('PORT'), def.defaultPort);
  const host = readHost(get('HOST'), warnings);
  const requiredScopes =
    get('OAUTH_REQUIRED_SCOPES') === undefined
      ? [...def.defaultRequiredScopes]
      : readScopes('OAUTH_REQUIRED_SCOPES', get('OAUTH_REQUIRED_SCOPES')!);
  const stepUpRaw = get('OAUTH_STEP_UP_SCOPE');
  const stepUpScope =
    stepUpRaw === undefined || stepUpRaw === '' ? def.defaultStepUpScope : stepUpRaw;
  if (!isScopeToken(stepUpScope)) {
    throw new ConfigError(
      'OAUTH_STEP_UP_SCOPE',
      `OAUTH_STEP_UP_SCOPE must be one scope (printable characters, no spaces, quotes or backslashes), e.g. ${def.defaultStepUpScope}`,
    );
  }
  const allowedOrigin = readAllowedOrigin(get('ALLOWED_ORIGIN'));
  const acceptedAudiences = readAudiences(get('OAUTH_AUDIENCE'));
  const redisUrl = readRedisUrl(get('REDIS_URL'));

  const issuerRaw = get('OAUTH_AUTHORIZATION_SERVER');
  const base = {
    acceptedAudiences,
    requiredScopes,
    stepUpScope,
    port,
    portFromEnv,
    host,
    warnings,
    ...(allowedOrigin !== undefined ? { allowedOrigin } : {}),
    ...(redisUrl !== undefined ? { redisUrl } : {}),
  };

  if (def.emulationOnly) {
    const ignored = ['OAUTH_AUTHORIZATION_SERVER', ...PROVIDER_VARS].filter((n) => get(n));
    if (ignored.length > 0) {
      warnings.push(
        `${ignored.join(', ')} ignored: the local demo always runs its own authorization server (the provider apps use them).`,
      );
    }
    return { ...base, mode: 'emulation', allowedClientIds: [] };
  }

  if (issuerRaw === undefined || issuerRaw === '') {
    const stray = PROVIDER_VARS.find((n) => get(n));
    if (stray) {
      throw new ConfigError(
        'OAUTH_AUTHORIZATION_SERVER',
        `OAUTH_AUTHORIZATION_SERVER is missing (${stray} is set): set it to your ${def.displayName} issuer, e.g. ${def.issuerExample}, or unset the OAUTH_* variables to run against the local emulation`,
        'ERR_CONFIG_MISSING',
      );
    }
    return { ...base, mode: 'emulation', allowedClientIds: [] };
  }

  const authorizationServer = readIssuer(def, issuerRaw);

  const clientId = get('OAUTH_CLIENT_ID') || undefined;
  if (clientId !== undefined && !/^[\x21-\x7E]+$/.test(clientId)) {
    throw new ConfigError(
      'OAUTH_CLIENT_ID',
      'OAUTH_CLIENT_ID must be the client id exactly as the provider shows it (printable characters, no spaces)',
    );
  }
  const clientSecret = env['OAUTH_CLIENT_SECRET'] || undefined;
  if (clientSecret !== undefined && clientId === undefined) {
    throw new ConfigError(
      'OAUTH_CLIENT_ID',
      'OAUTH_CLIENT_ID is missing: OAUTH_CLIENT_SECRET is set, so set OAUTH_CLIENT_ID to the id of the same client',
      'ERR_CONFIG_MISSING',
    );
  }

  const resourceRaw = get('OAUTH_RESOURCE_URI');
  if (resourceRaw === undefined || resourceRaw === '') {
    throw new ConfigError(
      'OAUTH_RESOURCE_URI',
      `OAUTH_RESOURCE_URI is missing: set it to this server's public URL, the audience its tokens must carry, e.g. ${def.resourceExample}`,
      'ERR_CONFIG_MISSING',
    );
  }
  const resourceUri = readResourceUri(resourceRaw, def.resourceExample);
  const resourceUrl = new URL(resourceUri);
  if (
    LOOPBACK.has(resourceUrl.hostname) &&
    Number(resourceUrl.port || (resourceUrl.protocol === 'https:' ? 443 : 80)) !== port &&
    port !== 0
  ) {
    warnings.push(
      `OAUTH_RESOURCE_URI (${resourceUri}) names port ${resourceUrl.port || 'default'} but the server listens on ${port}: fine behind a proxy, a mistake otherwise.`,
    );
  }

  if (resourceUrl.pathname !== '/' && resourceUrl.pathname !== '/mcp') {
    // Clients accept protected resource metadata only when its resource is their server URL or a
    // path prefix of it: the endpoints are /mcp and /mcp/sse.
    warnings.push(
      `OAUTH_RESOURCE_URI (${resourceUri}) does not cover the endpoints /mcp and /mcp/sse: MCP clients will refuse its metadata unless a proxy maps them; use ${resourceUrl.origin}/mcp`,
    );
  }

  const allowedClientIds = readList('OAUTH_ALLOWED_CLIENT_IDS', get('OAUTH_ALLOWED_CLIENT_IDS'));
  if (def.requiresAllowedClientIds && allowedClientIds.length === 0) {
    if (clientId === undefined) {
      throw new ConfigError(
        'OAUTH_ALLOWED_CLIENT_IDS',
        `OAUTH_ALLOWED_CLIENT_IDS is missing: ${def.displayName} access tokens carry no audience, so list the app client ids whose tokens this server accepts, e.g. OAUTH_ALLOWED_CLIENT_IDS=1example23456789abcdefghij (or set OAUTH_CLIENT_ID)`,
        'ERR_CONFIG_MISSING',
      );
    }
    allowedClientIds.push(clientId);
  }

  return {
    ...base,
    mode: 'provider',
    authorizationServer,
    resourceUri,
    allowedClientIds,
    ...(clientId !== undefined ? { clientId } : {}),
    ...(clientSecret !== undefined ? { clientSecret } : {}),
  };
}

function readPort(
  raw: string | undefined,
  fallback: number,
): { port: number; portFromEnv: boolean } {
  if (raw === undefined || raw === '') return { port: fallback, portFromEnv: false };
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError(
      'PORT',
      `PORT must be a whole number from 0 to 65535 (0 picks a free port), e.g. PORT=${fallback} (got "${clip(raw)}")`,
    );
  }
  return { port: Number(raw), portFromEnv: true };
}

function readHost(raw: string | undefined, warnings: string[]): string {
  if (raw === undefined || raw === '') return '127.0.0.1';
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(raw)) {
    throw new ConfigError(
      'HOST',
      `HOST must be an interface address or host name to listen on, e.g. HOST=127.0.0.1 (got "${clip(raw)}")`,
    );
  }
  if (raw === '0.0.0.0' || raw === '::') {
    warnings.push(
      `HOST=${raw} listens on every interface: put https in front of it before anyone else can reach it.`,
    );
  }
  return raw;
}

/**
 * Splits a scope list on spaces or commas and checks each against RFC 6749 §3.3.
 *
 * @example
 * readScopes('OAUTH_REQUIRED_SCOPES', 'mcp:tools, mcp:read'); // ['mcp:tools', 'mcp:read']
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function readScopes(name: string, raw: string): string[] {
  const scopes = raw.split(/[\s,]+/).filter(Boolean);
  for (const s of scopes) {
    if (!isScopeToken(s)) {
      throw new ConfigError(
        name,
        `${name} must be scopes separated by spaces or commas (printable characters, no quotes or backslashes), e.g. ${name}="mcp:tools mcp:read" (got "${clip(s)}")`,
      );
    }
  }
  return unionScopes(scopes);
}

function readList(name: string, raw: string | undefined): string[] {
  if (raw === undefined || raw === '') return [];
  const items = raw.split(/[\s,]+/).filter(Boolean);
  for (const item of items) {
    if (!/^[\x21-\x7E]+$/.test(item)) {
      throw new ConfigError(
        name,
        `${name} must be ids separated by commas, e.g. ${name}=abc123,def456`,
      );
    }
  }
  return [...new Set(items)];
}
