import { describe, expect, it } from 'vitest';
import {
  createProtectedResourceMetadata,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
} from './protected-resource-metadata.js';

const AS = 'https://auth.example.com';

describe('createProtectedResourceMetadata', () => {
  it('builds the RFC 9728 document with snake_case keys and defaults', () => {
    expect(
      createProtectedResourceMetadata({
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
      }),
    ).toEqual({
      resource: 'https://mcp.example.com/mcp',
      authorization_servers: [AS],
      bearer_methods_supported: ['header'],
    });
  });

  it('maps every named option and keeps extra parameters', () => {
    const metadata = createProtectedResourceMetadata({
      resource: 'HTTPS://MCP.example.com:443/mcp',
      authorizationServers: [AS, 'https://tenant.auth0.com/', AS],
      scopesSupported: ['mcp:tools', 'mcp:read', 'mcp:tools'],
      bearerMethodsSupported: ['header'],
      resourceName: 'Example MCP',
      resourceDocumentation: 'https://docs.example.com/mcp',
      resource_policy_uri: 'https://example.com/policy',
      dpop_bound_access_tokens_required: false,
    });
    expect(metadata).toEqual({
      resource: 'https://mcp.example.com/mcp',
      authorization_servers: [AS, 'https://tenant.auth0.com/'],
      scopes_supported: ['mcp:tools', 'mcp:read'],
      bearer_methods_supported: ['header'],
      resource_name: 'Example MCP',
      resource_documentation: 'https://docs.example.com/mcp',
      resource_policy_uri: 'https://example.com/policy',
      dpop_bound_access_tokens_required: false,
    });
  });

  it('keeps issuer identifiers exactly as configured (they are compared as strings)', () => {
    const metadata = createProtectedResourceMetadata({
      resource: 'https://mcp.example.com',
      authorizationServers: ['https://tenant.auth0.com/', 'https://login.example.com/tid/v2.0'],
    });
    expect(metadata.authorization_servers).toEqual([
      'https://tenant.auth0.com/',
      'https://login.example.com/tid/v2.0',
    ]);
    expect(metadata.resource).toBe('https://mcp.example.com');
  });

  it('accepts loopback http only with allowInsecureHttpForLoopback', () => {
    expect(
      createProtectedResourceMetadata({
        resource: 'http://127.0.0.1:3000/mcp',
        authorizationServers: ['http://localhost:4000'],
        allowInsecureHttpForLoopback: true,
      }),
    ).toMatchObject({
      resource: 'http://127.0.0.1:3000/mcp',
      authorization_servers: ['http://localhost:4000'],
    });
  });

  it('deep-copies extra values so later mutation of the options changes nothing', () => {
    const algs = ['RS256'];
    const metadata = createProtectedResourceMetadata({
      resource: 'https://mcp.example.com/mcp',
      authorizationServers: [AS],
      resource_signing_alg_values_supported: algs,
    });
    algs.push('none');
    expect(metadata.resource_signing_alg_values_supported).toEqual(['RS256']);
  });

  it.each<[Record<string, unknown> | undefined, string]>([
    [undefined, 'options are required'],
    [{ authorizationServers: [AS] }, '"resource" must be an absolute https: URL'],
    [{ resource: '/mcp', authorizationServers: [AS] }, '"resource" must be an absolute https: URL'],
    [
      { resource: 'http://mcp.example.com/mcp', authorizationServers: [AS] },
      '"resource" must be an absolute https: URL',
    ],
    [
      {
        resource: 'http://mcp.example.com/mcp',
        authorizationServers: [AS],
        allowInsecureHttpForLoopback: true,
      },
      '"resource" must be an absolute https: URL',
    ],
    [
      { resource: 'http://127.0.0.1/mcp', authorizationServers: [AS] },
      '"resource" uses http:; set allowInsecureHttpForLoopback',
    ],
    [
      { resource: 'https://mcp.example.com/mcp#x', authorizationServers: [AS] },
      '"resource" must not contain a fragment',
    ],
    [
      { resource: 'https://u:p@mcp.example.com/mcp', authorizationServers: [AS] },
      '"resource" must not contain user info',
    ],
    [
      { resource: 'https://mcp.example.com/mcp' },
      '"authorizationServers" must be a non-empty array',
    ],
    [
      { resource: 'https://mcp.example.com/mcp', authorizationServers: [] },
      '"authorizationServers" must be a non-empty array',
    ],
    [
      { resource: 'https://mcp.example.com/mcp', authorizationServers: AS },
      '"authorizationServers" must be a non-empty array',
    ],
    [
      { resource: 'https://mcp.example.com/mcp', authorizationServers: ['auth.example.com'] },
      '"authorizationServers" must be an absolute https: URL',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: ['http://auth.example.com'],
      },
      '"authorizationServers" must be an absolute https: URL',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: ['https://as.example.com/?tenant=1'],
      },
      'must be issuer identifiers',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: ['https://as.example.com/#x'],
      },
      'must be issuer identifiers',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        scopesSupported: 'a b',
      },
      '"scopesSupported" must be an array',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        scopesSupported: ['a b'],
      },
      '"scopesSupported" entries must be scope tokens',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        scopesSupported: ['a"'],
      },
      '"scopesSupported" entries must be scope tokens',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        scopesSupported: [''],
      },
      '"scopesSupported" entries must be scope tokens',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        scopesSupported: ['offline_access'],
      },
      'must not list offline_access',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        bearerMethodsSupported: ['query'],
      },
      'must not contain query',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        bearerMethodsSupported: ['cookie'],
      },
      'entries must be "header" or "body"',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        bearerMethodsSupported: 'header',
      },
      '"bearerMethodsSupported" must be an array',
    ],
    [
      { resource: 'https://mcp.example.com/mcp', authorizationServers: [AS], resourceName: '' },
      '"resourceName" must be a non-empty string',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        resourceDocumentation: 'docs',
      },
      '"resourceDocumentation" must be an absolute https: URL',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        allowInsecureHttpForLoopback: 'yes',
      },
      '"allowInsecureHttpForLoopback" must be a boolean',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        authorization_servers: ['https://evil'],
      },
      '"authorization_servers" cannot be set as an extra parameter',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        scopes_supported: ['x'],
      },
      '"scopes_supported" cannot be set as an extra parameter',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        bearer_methods_supported: ['query'],
      },
      '"bearer_methods_supported" cannot be set',
    ],
    [
      { resource: 'https://mcp.example.com/mcp', authorizationServers: [AS], resource_name: 'x' },
      '"resource_name" cannot be set',
    ],
    [
      {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        resource_documentation: 'x',
      },
      '"resource_documentation" cannot be set',
    ],
    [
      { resource: 'https://mcp.example.com/mcp', authorizationServers: [AS], jwks_uri: () => 1 },
      '"jwks_uri" must be a JSON value',
    ],
    [
      { resource: 'https://mcp.example.com/mcp', authorizationServers: [AS], n: Symbol('x') },
      '"n" must be a JSON value',
    ],
    // Issue 12 item 5: the resource is configured in its one spelling, never rewritten.
    ...[
      ['http://127.0.0.1:3999/x/../mcp', 'path must be written in its canonical form'],
      ['http://127.0.0.1:3999/x/%2e%2e/mcp', 'path must be written in its canonical form'],
      ['http://127.0.0.1:3999/m\tcp', 'only printable ASCII'],
      ['http://127.1:3999/mcp', 'host must be written in its canonical form'],
      ['http://0x7f.0.0.1:3999/mcp', 'host must be written in its canonical form'],
      ['http://１２７.0.0.1:3999/mcp', 'only printable ASCII'],
    ].map(
      ([resource, message]) =>
        [
          { resource, authorizationServers: [AS], allowInsecureHttpForLoopback: true },
          message!,
        ] as [Record<string, unknown>, string],
    ),
  ])('%j is a TypeError: %s', (options, message) => {
    expect(() => createProtectedResourceMetadata(options as never)).toThrow(TypeError);
    expect(() => createProtectedResourceMetadata(options as never)).toThrow(message);
  });

  it('refuses a BigInt extra value', () => {
    expect(() =>
      createProtectedResourceMetadata({
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: [AS],
        n: 10n,
      }),
    ).toThrow('"n" must be a JSON value');
  });

  it('refuses "__proto__" as an extra parameter', () => {
    const options = JSON.parse(
      `{"resource":"https://mcp.example.com/mcp","authorizationServers":["${AS}"],"__proto__":{"x":1}}`,
    );
    expect(() => createProtectedResourceMetadata(options)).toThrow('"__proto__" is not an allowed');
  });
});

describe('protectedResourceMetadataPaths and protectedResourceMetadataUrl', () => {
  it.each([
    [
      'https://mcp.example.com/public/mcp',
      '/.well-known/oauth-protected-resource/public/mcp',
      'https://mcp.example.com/.well-known/oauth-protected-resource/public/mcp',
    ],
    [
      'https://mcp.example.com/mcp',
      '/.well-known/oauth-protected-resource/mcp',
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    ],
    [
      'https://mcp.example.com/mcp/',
      '/.well-known/oauth-protected-resource/mcp/',
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp/',
    ],
    [
      'https://mcp.example.com',
      '/.well-known/oauth-protected-resource',
      'https://mcp.example.com/.well-known/oauth-protected-resource',
    ],
    [
      'https://mcp.example.com/',
      '/.well-known/oauth-protected-resource',
      'https://mcp.example.com/.well-known/oauth-protected-resource',
    ],
    [
      'HTTPS://MCP.example.com:443/mcp',
      '/.well-known/oauth-protected-resource/mcp',
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    ],
    [
      'http://127.0.0.1:3000/mcp',
      '/.well-known/oauth-protected-resource/mcp',
      'http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp',
    ],
    [
      'https://mcp.example.com/mcp?tenant=a',
      '/.well-known/oauth-protected-resource/mcp',
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp?tenant=a',
    ],
  ])('%s', (resource, pathSuffixed, url) => {
    expect(protectedResourceMetadataPaths(resource)).toEqual({
      pathSuffixed,
      root: '/.well-known/oauth-protected-resource',
    });
    expect(protectedResourceMetadataUrl(resource)).toBe(url);
  });

  it.each(['/mcp', 'not a url', 'https://mcp.example.com/mcp#f'])(
    '%s is a TypeError',
    (resource) => {
      expect(() => protectedResourceMetadataPaths(resource)).toThrow(TypeError);
      expect(() => protectedResourceMetadataUrl(resource)).toThrow(TypeError);
    },
  );
});
