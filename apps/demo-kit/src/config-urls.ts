import { ConfigError } from './errors.js';
import type { ProviderDefinition } from './provider.js';

// The URL-valued variables of the demo configuration (issuer, resource, origins, audiences,
// Redis), each checked into a one-line ConfigError naming the variable.

/** Hosts on which http: is accepted. */
export const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function readIssuer(def: ProviderDefinition, raw: string): string {
  const typed = def.normalizeIssuer ? def.normalizeIssuer(raw) : raw;
  let url: URL;
  try {
    url = new URL(typed);
  } catch {
    throw new ConfigError(
      'OAUTH_AUTHORIZATION_SERVER',
      `OAUTH_AUTHORIZATION_SERVER must be the issuer URL of your ${def.displayName} authorization server, e.g. ${def.issuerExample} (got "${clip(raw)}")`,
    );
  }
  assertHttpsOrLoopback('OAUTH_AUTHORIZATION_SERVER', url, def.issuerExample);
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(
      'OAUTH_AUTHORIZATION_SERVER',
      `OAUTH_AUTHORIZATION_SERVER must be the bare issuer URL without query, fragment or credentials, e.g. ${def.issuerExample}`,
    );
  }
  if (url.pathname.includes('/.well-known/')) {
    throw new ConfigError(
      'OAUTH_AUTHORIZATION_SERVER',
      `OAUTH_AUTHORIZATION_SERVER must be the issuer, not its discovery document URL: drop /.well-known/..., e.g. ${def.issuerExample}`,
    );
  }
  const problem = def.checkIssuer?.(url);
  if (problem) throw new ConfigError('OAUTH_AUTHORIZATION_SERVER', problem);
  return typed;
}

/**
 * Validates a resource URI (RFC 8707 §2): absolute, https (http only on loopback), no fragment,
 * no query; returns it with scheme and host lower-cased and the default port dropped.
 *
 * @example
 * readResourceUri('https://MCP.example.com:443/mcp', 'https://mcp.example.com/mcp'); // 'https://mcp.example.com/mcp'
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 */
export function readResourceUri(raw: string, example: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      'OAUTH_RESOURCE_URI',
      `OAUTH_RESOURCE_URI must be an absolute URL, this server's public address, e.g. ${example} (got "${clip(raw)}")`,
    );
  }
  assertHttpsOrLoopback('OAUTH_RESOURCE_URI', url, example);
  if (url.hash || raw.includes('#')) {
    throw new ConfigError(
      'OAUTH_RESOURCE_URI',
      `OAUTH_RESOURCE_URI must not contain a fragment (#...), e.g. ${example}`,
    );
  }
  if (url.search) {
    throw new ConfigError(
      'OAUTH_RESOURCE_URI',
      `OAUTH_RESOURCE_URI must not contain a query (?...), e.g. ${example}`,
    );
  }
  if (url.username || url.password) {
    throw new ConfigError(
      'OAUTH_RESOURCE_URI',
      `OAUTH_RESOURCE_URI must not contain credentials, e.g. ${example}`,
    );
  }
  // The URL parser already lower-cases scheme and host and drops the default port.
  const s = url.href;
  return url.pathname === '/' && !raw.endsWith('/') ? s.slice(0, -1) : s;
}

function assertHttpsOrLoopback(name: string, url: URL, example: string): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return;
  throw new ConfigError(
    name,
    url.protocol === 'http:'
      ? `${name} must use https (http is accepted only for localhost and 127.0.0.1), e.g. ${example}`
      : `${name} must be an https URL, e.g. ${example} (got a ${url.protocol.replace(':', '')} URL)`,
  );
}

export function readAllowedOrigin(raw: string | undefined): '*' | string[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === '*') return '*';
  const origins = raw.split(/[\s,]+/).filter(Boolean);
  for (const o of origins) {
    let ok = false;
    try {
      const u = new URL(o);
      ok = (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === o.replace(/\/$/, '');
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new ConfigError(
        'ALLOWED_ORIGIN',
        `ALLOWED_ORIGIN must be * or origins separated by commas (scheme://host[:port], no path), e.g. ALLOWED_ORIGIN=http://localhost:6274 (got "${clip(o)}")`,
      );
    }
  }
  return origins.map((o) => o.replace(/\/$/, ''));
}

export function readAudiences(raw: string | undefined): string[] {
  if (raw === undefined || raw === '') return [];
  const items = raw.split(/[\s,]+/).filter(Boolean);
  for (const item of items) {
    let ok = false;
    try {
      ok = new URL(item).protocol.length > 1;
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new ConfigError(
        'OAUTH_AUDIENCE',
        `OAUTH_AUDIENCE must be audiences (absolute URIs) separated by commas, exactly as the tokens' aud shows them, e.g. OAUTH_AUDIENCE=api://default (got "${clip(item)}")`,
      );
    }
  }
  return [...new Set(items)];
}

export function readRedisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let ok = false;
  try {
    const u = new URL(raw);
    ok = u.protocol === 'redis:' || u.protocol === 'rediss:';
  } catch {
    ok = false;
  }
  if (!ok) {
    // Never echo this one: a Redis URL may carry a password.
    throw new ConfigError(
      'REDIS_URL',
      'REDIS_URL must be a redis:// or rediss:// URL, e.g. REDIS_URL=redis://127.0.0.1:6379',
    );
  }
  return raw;
}

export function clip(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strip control characters from echoes
  const clean = s.replace(/[\x00-\x1F\x7F-\x9F\u2028\u2029]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
}
