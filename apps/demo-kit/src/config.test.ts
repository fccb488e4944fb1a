import { describe, expect, it } from 'vitest';
import { loadConfig, readResourceUri, readScopes } from './config.js';
import type { ConfigError } from './errors.js';
import type { ProviderDefinition } from './provider.js';

const def: ProviderDefinition = {
  profile: 'generic',
  appName: 'test-demo',
  displayName: 'Test IdP',
  defaultRequiredScopes: ['mcp:tools'],
  defaultStepUpScope: 'mcp:admin',
  defaultPort: 3100,
  issuerExample: 'https://idp.example.com',
  resourceExample: 'https://mcp.example.com/mcp',
  checkIssuer: (url) =>
    url.hostname === 'bad.example.com' ? 'OAUTH_AUTHORIZATION_SERVER is bad' : undefined,
  emulation: { notes: [] },
  highlightClaims: [],
};
const noAudience: ProviderDefinition = {
  ...def,
  requiresAllowedClientIds: true,
  displayName: 'NoAud',
};
const localOnly: ProviderDefinition = { ...def, emulationOnly: true };

const provider = {
  OAUTH_AUTHORIZATION_SERVER: 'https://idp.example.com',
  OAUTH_RESOURCE_URI: 'https://mcp.example.com/mcp',
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: modes', () => {
  it('runs the emulation when nothing is configured, with the defaults', () => {
    const c = loadConfig(def, {});
    expect(c).toMatchObject({
      mode: 'emulation',
      port: 3100,
      portFromEnv: false,
      host: '127.0.0.1',
      requiredScopes: ['mcp:tools'],
      stepUpScope: 'mcp:admin',
      allowedClientIds: [],
      warnings: [],
    });
    expect(c.allowedOrigin).toBeUndefined();
    expect(c.authorizationServer).toBeUndefined();
  });

  it('treats empty values as unset', () => {
    expect(loadConfig(def, { OAUTH_AUTHORIZATION_SERVER: '', PORT: '' }).mode).toBe('emulation');
  });

  it('uses a configured provider', () => {
    const c = loadConfig(def, {
      ...provider,
      OAUTH_CLIENT_ID: 'client-1',
      OAUTH_CLIENT_SECRET: 's3cret',
      OAUTH_REQUIRED_SCOPES: 'a, b c,,a',
      OAUTH_STEP_UP_SCOPE: 'admin',
      PORT: '8080',
      ALLOWED_ORIGIN: 'https://app.example.com, http://localhost:6274/',
    });
    expect(c).toMatchObject({
      mode: 'provider',
      authorizationServer: 'https://idp.example.com',
      resourceUri: 'https://mcp.example.com/mcp',
      clientId: 'client-1',
      clientSecret: 's3cret',
      requiredScopes: ['a', 'b', 'c'],
      stepUpScope: 'admin',
      port: 8080,
      portFromEnv: true,
      allowedOrigin: ['https://app.example.com', 'http://localhost:6274'],
    });
  });

  it('reads OAUTH_AUDIENCE as exact extra audiences', () => {
    expect(
      loadConfig(def, { OAUTH_AUDIENCE: 'api://default,https://api.example.com api://default' })
        .acceptedAudiences,
    ).toEqual(['api://default', 'https://api.example.com']);
    expect(loadConfig(def, {}).acceptedAudiences).toEqual([]);
  });

  it('allows an explicitly empty scope list', () => {
    expect(loadConfig(def, { OAUTH_REQUIRED_SCOPES: '' }).requiredScopes).toEqual([]);
  });

  it('the local demo ignores provider variables with a warning', () => {
    const c = loadConfig(localOnly, { ...provider, OAUTH_CLIENT_ID: 'x' });
    expect(c.mode).toBe('emulation');
    expect(c.warnings).toEqual([
      'OAUTH_AUTHORIZATION_SERVER, OAUTH_CLIENT_ID, OAUTH_RESOURCE_URI ignored: the local demo always runs its own authorization server (the provider apps use them).',
    ]);
  });

  it('defaults the client allowlist to OAUTH_CLIENT_ID for providers without an audience', () => {
    expect(
      loadConfig(noAudience, { ...provider, OAUTH_CLIENT_ID: 'app1' }).allowedClientIds,
    ).toEqual(['app1']);
    expect(
      loadConfig(noAudience, { ...provider, OAUTH_ALLOWED_CLIENT_IDS: 'a,b , a' }).allowedClientIds,
    ).toEqual(['a', 'b']);
  });

  it('applies the provider normalisation before validating', () => {
    const slash: ProviderDefinition = {
      ...def,
      normalizeIssuer: (s) => (s.endsWith('/') ? s : `${s}/`),
    };
    expect(loadConfig(slash, provider).authorizationServer).toBe('https://idp.example.com/');
  });

  it.each([
    ['http://localhost:9000', 'http://localhost:9000'],
    ['http://127.0.0.1:9000/tenant', 'http://127.0.0.1:9000/tenant'],
  ])('accepts loopback http issuer %s', (issuer, expected) => {
    expect(
      loadConfig(def, { ...provider, OAUTH_AUTHORIZATION_SERVER: issuer }).authorizationServer,
    ).toBe(expected);
  });

  it('warns when a loopback resource names another port', () => {
    const c = loadConfig(def, {
      ...provider,
      OAUTH_RESOURCE_URI: 'http://127.0.0.1:9999/mcp',
      PORT: '3100',
    });
    expect(c.warnings).toEqual([
      'OAUTH_RESOURCE_URI (http://127.0.0.1:9999/mcp) names port 9999 but the server listens on 3100: fine behind a proxy, a mistake otherwise.',
    ]);
  });

  it.each([
    ['https://mcp.example.com/mcp', []],
    ['https://mcp.example.com', []],
    [
      'https://mcp.example.com/sse',
      [
        'OAUTH_RESOURCE_URI (https://mcp.example.com/sse) does not cover the endpoints /mcp and /mcp/sse: MCP clients will refuse its metadata unless a proxy maps them; use https://mcp.example.com/mcp',
      ],
    ],
  ])(
    'resource %s: warnings %j (clients need it to be a path prefix of /mcp and /mcp/sse)',
    (uri, w) => {
      expect(loadConfig(def, { ...provider, OAUTH_RESOURCE_URI: uri }).warnings).toEqual(w);
    },
  );

  it('warns when listening on every interface', () => {
    expect(loadConfig(def, { HOST: '0.0.0.0' }).warnings[0]).toMatch(
      /^HOST=0\.0\.0\.0 listens on every interface/,
    );
  });
});

describe('loadConfig: one clear line per mistake', () => {
  it.each<[string, Record<string, string>, string, string]>([
    [
      'PORT',
      { PORT: 'abc' },
      'ERR_CONFIG_INVALID',
      'PORT must be a whole number from 0 to 65535 (0 picks a free port), e.g. PORT=3100 (got "abc")',
    ],
    [
      'PORT',
      { PORT: '65536' },
      'ERR_CONFIG_INVALID',
      'PORT must be a whole number from 0 to 65535 (0 picks a free port), e.g. PORT=3100 (got "65536")',
    ],
    [
      'PORT',
      { PORT: '-1' },
      'ERR_CONFIG_INVALID',
      'PORT must be a whole number from 0 to 65535 (0 picks a free port), e.g. PORT=3100 (got "-1")',
    ],
    [
      'PORT',
      { PORT: '3e3' },
      'ERR_CONFIG_INVALID',
      'PORT must be a whole number from 0 to 65535 (0 picks a free port), e.g. PORT=3100 (got "3e3")',
    ],
    [
      'HOST',
      { HOST: 'a b' },
      'ERR_CONFIG_INVALID',
      'HOST must be an interface address or host name to listen on, e.g. HOST=127.0.0.1 (got "a b")',
    ],
    [
      'OAUTH_REQUIRED_SCOPES',
      { OAUTH_REQUIRED_SCOPES: 'ok "bad"' },
      'ERR_CONFIG_INVALID',
      'OAUTH_REQUIRED_SCOPES must be scopes separated by spaces or commas (printable characters, no quotes or backslashes), e.g. OAUTH_REQUIRED_SCOPES="mcp:tools mcp:read" (got ""bad"")',
    ],
    [
      'OAUTH_STEP_UP_SCOPE',
      { OAUTH_STEP_UP_SCOPE: 'two words' },
      'ERR_CONFIG_INVALID',
      'OAUTH_STEP_UP_SCOPE must be one scope (printable characters, no spaces, quotes or backslashes), e.g. mcp:admin',
    ],
    [
      'ALLOWED_ORIGIN',
      { ALLOWED_ORIGIN: 'https://app.example.com/path' },
      'ERR_CONFIG_INVALID',
      'ALLOWED_ORIGIN must be * or origins separated by commas (scheme://host[:port], no path), e.g. ALLOWED_ORIGIN=http://localhost:6274 (got "https://app.example.com/path")',
    ],
    [
      'ALLOWED_ORIGIN',
      { ALLOWED_ORIGIN: 'javascript:alert(1)' },
      'ERR_CONFIG_INVALID',
      'ALLOWED_ORIGIN must be * or origins separated by commas (scheme://host[:port], no path), e.g. ALLOWED_ORIGIN=http://localhost:6274 (got "javascript:alert(1)")',
    ],
    [
      'OAUTH_AUDIENCE',
      { OAUTH_AUDIENCE: 'api://default, not-an-audience' },
      'ERR_CONFIG_INVALID',
      'OAUTH_AUDIENCE must be audiences (absolute URIs) separated by commas, exactly as the tokens\' aud shows them, e.g. OAUTH_AUDIENCE=api://default (got "not-an-audience")',
    ],
    [
      'REDIS_URL',
      { REDIS_URL: 'http://user:pw@host' },
      'ERR_CONFIG_INVALID',
      'REDIS_URL must be a redis:// or rediss:// URL, e.g. REDIS_URL=redis://127.0.0.1:6379',
    ],
    [
      'OAUTH_AUTHORIZATION_SERVER',
      { OAUTH_CLIENT_ID: 'x' },
      'ERR_CONFIG_MISSING',
      'OAUTH_AUTHORIZATION_SERVER is missing (OAUTH_CLIENT_ID is set): set it to your Test IdP issuer, e.g. https://idp.example.com, or unset the OAUTH_* variables to run against the local emulation',
    ],
    [
      'OAUTH_AUTHORIZATION_SERVER',
      { ...provider, OAUTH_AUTHORIZATION_SERVER: 'not a url' },
      'ERR_CONFIG_INVALID',
      'OAUTH_AUTHORIZATION_SERVER must be the issuer URL of your Test IdP authorization server, e.g. https://idp.example.com (got "not a url")',
    ],
    [
      'OAUTH_AUTHORIZATION_SERVER',
      { ...provider, OAUTH_AUTHORIZATION_SERVER: 'http://idp.example.com' },
      'ERR_CONFIG_INVALID',
      'OAUTH_AUTHORIZATION_SERVER must use https (http is accepted only for localhost and 127.0.0.1), e.g. https://idp.example.com',
    ],
    [
      'OAUTH_AUTHORIZATION_SERVER',
      { ...provider, OAUTH_AUTHORIZATION_SERVER: 'ftp://idp.example.com' },
      'ERR_CONFIG_INVALID',
      'OAUTH_AUTHORIZATION_SERVER must be an https URL, e.g. https://idp.example.com (got a ftp URL)',
    ],
    [
      'OAUTH_AUTHORIZATION_SERVER',
      { ...provider, OAUTH_AUTHORIZATION_SERVER: 'https://idp.example.com/?x=1' },
      'ERR_CONFIG_INVALID',
      'OAUTH_AUTHORIZATION_SERVER must be the bare issuer URL without query, fragment or credentials, e.g. https://idp.example.com',
    ],
    [
      'OAUTH_AUTHORIZATION_SERVER',
      {
        ...provider,
        OAUTH_AUTHORIZATION_SERVER: 'https://idp.example.com/.well-known/openid-configuration',
      },
      'ERR_CONFIG_INVALID',
      'OAUTH_AUTHORIZATION_SERVER must be the issuer, not its discovery document URL: drop /.well-known/..., e.g. https://idp.example.com',
    ],
    [
      'OAUTH_AUTHORIZATION_SERVER',
      { ...provider, OAUTH_AUTHORIZATION_SERVER: 'https://bad.example.com' },
      'ERR_CONFIG_INVALID',
      'OAUTH_AUTHORIZATION_SERVER is bad',
    ],
    [
      'OAUTH_RESOURCE_URI',
      { OAUTH_AUTHORIZATION_SERVER: 'https://idp.example.com' },
      'ERR_CONFIG_MISSING',
      "OAUTH_RESOURCE_URI is missing: set it to this server's public URL, the audience its tokens must carry, e.g. https://mcp.example.com/mcp",
    ],
    [
      'OAUTH_RESOURCE_URI',
      { ...provider, OAUTH_RESOURCE_URI: '/relative' },
      'ERR_CONFIG_INVALID',
      'OAUTH_RESOURCE_URI must be an absolute URL, this server\'s public address, e.g. https://mcp.example.com/mcp (got "/relative")',
    ],
    [
      'OAUTH_RESOURCE_URI',
      { ...provider, OAUTH_RESOURCE_URI: 'https://mcp.example.com/mcp#x' },
      'ERR_CONFIG_INVALID',
      'OAUTH_RESOURCE_URI must not contain a fragment (#...), e.g. https://mcp.example.com/mcp',
    ],
    [
      'OAUTH_RESOURCE_URI',
      { ...provider, OAUTH_RESOURCE_URI: 'https://mcp.example.com/mcp?a=b' },
      'ERR_CONFIG_INVALID',
      'OAUTH_RESOURCE_URI must not contain a query (?...), e.g. https://mcp.example.com/mcp',
    ],
    [
      'OAUTH_RESOURCE_URI',
      { ...provider, OAUTH_RESOURCE_URI: 'http://mcp.example.com/mcp' },
      'ERR_CONFIG_INVALID',
      'OAUTH_RESOURCE_URI must use https (http is accepted only for localhost and 127.0.0.1), e.g. https://mcp.example.com/mcp',
    ],
    [
      'OAUTH_CLIENT_ID',
      { ...provider, OAUTH_CLIENT_SECRET: 'secret-value' },
      'ERR_CONFIG_MISSING',
      'OAUTH_CLIENT_ID is missing: OAUTH_CLIENT_SECRET is set, so set OAUTH_CLIENT_ID to the id of the same client',
    ],
    [
      'OAUTH_CLIENT_ID',
      { ...provider, OAUTH_CLIENT_ID: 'has space' },
      'ERR_CONFIG_INVALID',
      'OAUTH_CLIENT_ID must be the client id exactly as the provider shows it (printable characters, no spaces)',
    ],
  ])('%s: %j', (variable, env, code, message) => {
    const e = configError(() => loadConfig(def, env));
    expect(e.name).toBe('ConfigError');
    expect(e.variable).toBe(variable);
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
    expect(e.message).not.toMatch(/[\r\n]/);
  });

  it('requires a client binding for providers whose tokens have no audience', () => {
    const e = configError(() => loadConfig(noAudience, provider));
    expect(e.variable).toBe('OAUTH_ALLOWED_CLIENT_IDS');
    expect(e.code).toBe('ERR_CONFIG_MISSING');
    expect(e.message).toMatch(
      /^OAUTH_ALLOWED_CLIENT_IDS is missing: NoAud access tokens carry no audience/,
    );
  });

  it('never puts a secret into a message', () => {
    for (const env of [
      { ...provider, OAUTH_CLIENT_SECRET: 'secret-value' },
      { REDIS_URL: 'http://user:secret-value@host' },
    ]) {
      expect(configError(() => loadConfig(def, env)).message).not.toContain('secret-value');
    }
  });

  it('clips and neutralises hostile values it echoes', () => {
    const e = configError(() => loadConfig(def, { PORT: `1\u001b[31m${'9'.repeat(200)}` }));
    expect(e.message).not.toContain('\u001b');
    expect(e.message.length).toBeLessThan(200);
  });
});

describe('readScopes and readResourceUri', () => {
  it('splits on spaces and commas, de-duplicates', () => {
    expect(readScopes('X', ' a,b  c\tb ')).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['https://MCP.Example.com:443/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com', 'https://mcp.example.com'],
    ['https://mcp.example.com/', 'https://mcp.example.com/'],
    ['http://LOCALHOST:80/mcp', 'http://localhost/mcp'],
    ['http://[::1]:3000/mcp', 'http://[::1]:3000/mcp'],
  ])('canonicalises %s', (raw, expected) => {
    expect(readResourceUri(raw, 'e')).toBe(expected);
  });
});
