import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { resolveCors } from './cors.js';

const req = (origin?: string) => ({ headers: origin ? { origin } : {} }) as IncomingMessage;

describe('resolveCors', () => {
  it('is off with false', () => {
    expect(resolveCors(false)).toBeUndefined();
  });

  it.each([
    ['*', 'https://a.example', '*', undefined],
    ['https://a.example', 'https://b.example', 'https://a.example', undefined],
    [
      ['https://a.example', 'http://127.0.0.1:5173'],
      'http://127.0.0.1:5173',
      'http://127.0.0.1:5173',
      'Origin',
    ],
    [['https://a.example'], 'https://evil.example', undefined, 'Origin'],
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
    const cors = resolveCors({ allowOrigin })!;
    const headers = cors.headers(req(origin));
    expect(headers['access-control-allow-origin']).toBe(allowed);
    expect(headers['vary']).toBe(vary);
    if (allowed !== undefined)
      expect(headers['access-control-expose-headers']).toBe('WWW-Authenticate, Mcp-Session-Id');
    expect(headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('always allows Authorization and exposes WWW-Authenticate, without duplicates', () => {
    const cors = resolveCors({
      allowHeaders: ['authorization', 'X-Trace'],
      exposeHeaders: ['www-authenticate', 'X-Request-Id'],
    })!;
    expect(cors.preflight(req('https://a.example'))['access-control-allow-headers']).toBe(
      'Authorization, Content-Type, Mcp-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID, X-Trace',
    );
    expect(cors.headers(req('https://a.example'))['access-control-expose-headers']).toBe(
      'WWW-Authenticate, Mcp-Session-Id, X-Request-Id',
    );
  });

  it.each([
    [{ allowOrigin: 5 }],
    [{ allowOrigin: ['https://a.example/'] }],
    [{ allowOrigin: ['javascript:alert(1)'] }],
    [{ allowMethods: ['GET\r\nX: y'] }],
    [{ allowHeaders: ['a,b'] }],
    [{ maxAge: 1.5 }],
  ])('rejects %j with a TypeError', (options) => {
    expect(() => resolveCors(options as never)).toThrow(TypeError);
  });
});
