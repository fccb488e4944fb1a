import { describe, expect, it } from 'vitest';
import { createOriginPolicy } from './origin-policy.js';

describe('createOriginPolicy, loopback resource', () => {
  const policy = createOriginPolicy({ resource: 'http://127.0.0.1:3000/mcp' });

  it.each([
    ['127.0.0.1:3000', undefined, undefined],
    ['localhost:3000', undefined, undefined],
    ['LOCALHOST:3000', undefined, undefined],
    ['[::1]:3000', undefined, undefined],
    ['127.0.0.1:3000', 'http://localhost:5173', undefined],
    ['127.0.0.1:3000', 'http://127.0.0.1:6274', undefined],
    ['127.0.0.1:3000', 'https://[::1]:8443', undefined],
    ['127.0.0.1:3000', 'http://127.0.0.2', undefined],
    // DNS rebinding: an attacker's name resolving to 127.0.0.1
    ['evil.example:3000', undefined, 'host_not_allowed'],
    ['127.0.0.1:3000.evil.example', undefined, 'host_not_allowed'],
    ['127.0.0.1:3001', undefined, 'host_not_allowed'],
    ['127.0.0.1', undefined, 'host_not_allowed'],
    ['127.1:3000', undefined, 'host_not_allowed'],
    ['0x7f.0.0.1:3000', undefined, 'host_not_allowed'],
    ['１２７.0.0.1:3000', undefined, 'host_not_allowed'],
    [undefined, undefined, 'host_not_allowed'],
    ['', undefined, 'host_not_allowed'],
    ['127.0.0.1:3000', 'https://evil.example', 'origin_not_allowed'],
    ['127.0.0.1:3000', 'null', 'origin_not_allowed'],
    ['127.0.0.1:3000', '', 'origin_not_allowed'],
    ['127.0.0.1:3000', 'http://127.1:3000', 'origin_not_allowed'],
    ['127.0.0.1:3000', 'http://localhost.evil.example', 'origin_not_allowed'],
    ['127.0.0.1:3000', 'http://127.0.0.1:3000/path', 'origin_not_allowed'],
    ['127.0.0.1:3000', 'http://127.000.0.1:3000', 'origin_not_allowed'],
    ['127.0.0.1:3000', 'http://localhost:99999', 'origin_not_allowed'],
    ['127.0.0.1:3000', 'http://localhost:3000, https://evil.example', 'origin_not_allowed'],
  ])('Host %j, Origin %j → %s', (host, origin, expected) => {
    expect(policy.check(host, origin)).toBe(expected);
  });

  it('is loopback and lists exactly the loopback hosts with the resource port', () => {
    expect(policy.loopback).toBe(true);
    expect([...policy.hosts].sort()).toEqual(['127.0.0.1:3000', '[::1]:3000', 'localhost:3000']);
  });
});

describe('createOriginPolicy, public resource', () => {
  const policy = createOriginPolicy({
    resource: 'HTTPS://MCP.Example.com/mcp',
    allowedOrigins: ['https://app.example.com'],
    allowedHosts: ['mcp.internal:8080'],
  });

  it.each([
    ['mcp.example.com', undefined, undefined],
    ['mcp.example.com:443', undefined, undefined],
    ['MCP.EXAMPLE.COM', 'https://mcp.example.com', undefined],
    ['mcp.internal:8080', 'https://app.example.com', undefined],
    ['mcp.example.com', 'https://APP.example.com', undefined],
    ['localhost', undefined, 'host_not_allowed'],
    ['127.0.0.1', undefined, 'host_not_allowed'],
    ['mcp.example.com:8443', undefined, 'host_not_allowed'],
    ['mcp.example.com', 'http://localhost:5173', 'origin_not_allowed'],
    ['mcp.example.com', 'http://mcp.example.com', 'origin_not_allowed'],
    ['mcp.example.com', 'https://app.example.com.evil', 'origin_not_allowed'],
  ])('Host %j, Origin %j → %s', (host, origin, expected) => {
    expect(policy.check(host, origin)).toBe(expected);
  });
});

describe('createOriginPolicy options', () => {
  it.each([
    [{ resource: 'not a url' }, '"resource"'],
    [{ resource: 'http://127.0.0.1/mcp', allowedOrigins: 'https://a.example' }, '"allowedOrigins"'],
    [
      { resource: 'http://127.0.0.1/mcp', allowedOrigins: ['https://a.example/'] },
      '"allowedOrigins"',
    ],
    [{ resource: 'http://127.0.0.1/mcp', allowedOrigins: ['*'] }, '"allowedOrigins"'],
    [{ resource: 'http://127.0.0.1/mcp', allowedHosts: ['https://a.example'] }, '"allowedHosts"'],
    [{ resource: 'http://127.0.0.1/mcp', allowedHosts: ['a b'] }, '"allowedHosts"'],
  ])('%j → TypeError naming %s', (options, name) => {
    expect(() => createOriginPolicy(options as never)).toThrow(TypeError);
    expect(() => createOriginPolicy(options as never)).toThrow(name);
  });

  it('accepts the default port in Host for a resource without one', () => {
    const policy = createOriginPolicy({ resource: 'http://localhost/mcp' });
    expect(policy.check('localhost', undefined)).toBeUndefined();
    expect(policy.check('localhost:80', undefined)).toBeUndefined();
    expect(policy.check('localhost:8080', undefined)).toBe('host_not_allowed');
  });
});
