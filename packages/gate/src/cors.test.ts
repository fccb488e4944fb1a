import { describe, expect, it } from 'vitest';
import { resolveCors } from './cors.js';

const ALLOWED =
  'Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID, DPoP';
const EXPOSED = 'WWW-Authenticate, Mcp-Session-Id, Retry-After, DPoP-Nonce';

describe('resolveCors', () => {
  it('is off with false', () => {
    expect(resolveCors(false)).toBeUndefined();
  });

  it('echoes the origin by default, with Vary, and exposes the challenge and session headers', () => {
    const cors = resolveCors(undefined)!;
    expect(cors.headers('http://localhost:5173')).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': 'http://localhost:5173',
      'access-control-expose-headers': EXPOSED,
    });
    expect(cors.headers(undefined)).toEqual({
      vary: 'Origin',
      'access-control-expose-headers': EXPOSED,
    });
    expect(cors.preflight('http://localhost:5173')).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': 'http://localhost:5173',
      'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
      'access-control-allow-headers': ALLOWED,
      'access-control-max-age': '600',
    });
  });

  it.each([
    ['*', 'https://a.example', '*', undefined],
    [['https://a.example'], 'https://a.example', 'https://a.example', 'Origin'],
    [['https://a.example'], 'https://b.example', undefined, 'Origin'],
    [
      (o: string) => o.endsWith('.trusted.example'),
      'https://x.trusted.example',
      'https://x.trusted.example',
      'Origin',
    ],
    [
      (o: string) => o.endsWith('.trusted.example'),
      'https://trusted.example.evil',
      undefined,
      'Origin',
    ],
  ])('allowOrigin %j, Origin %s → %s', (allowOrigin, origin, allowed, vary) => {
    const headers = resolveCors({ allowOrigin: allowOrigin as never })!.headers(origin);
    expect(headers['access-control-allow-origin']).toBe(allowed);
    expect(headers['vary']).toBe(vary);
    expect(headers['access-control-expose-headers']).toBe(EXPOSED);
    expect(headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('adds extra headers without duplicates', () => {
    const cors = resolveCors({
      allowHeaders: ['authorization', 'X-Trace'],
      exposeHeaders: ['www-authenticate', 'X-Request-Id'],
      maxAge: 0,
    })!;
    expect(cors.preflight('https://a.example')['access-control-allow-headers']).toBe(
      `${ALLOWED}, X-Trace`,
    );
    expect(cors.preflight('https://a.example')['access-control-max-age']).toBe('0');
    expect(cors.headers('https://a.example')['access-control-expose-headers']).toBe(
      `${EXPOSED}, X-Request-Id`,
    );
  });

  it.each([
    [{ allowOrigin: 5 }, '"cors.allowOrigin"'],
    [{ allowOrigin: ['https://a.example/'] }, '"cors.allowOrigin"'],
    [{ allowOrigin: ['javascript:alert(1)'] }, '"cors.allowOrigin"'],
    [{ allowMethods: ['GET\r\nX: y'] }, '"cors.allowMethods"'],
    [{ allowHeaders: ['a,b'] }, '"cors.allowHeaders"'],
    [{ allowHeaders: 'X-A' }, '"cors.allowHeaders"'],
    [{ maxAge: 1.5 }, '"cors.maxAge"'],
    ['yes', '"cors"'],
  ])('rejects %j with a TypeError naming %s', (options, name) => {
    expect(() => resolveCors(options as never)).toThrow(name);
  });
});
