import { describe, expect, it } from 'vitest';
import { parseJsonContentType, requestPath, requestQuery } from './http.js';

describe('parseJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON', true],
    ['application/json; charset=utf-8', true],
    ['application/json;charset="UTF-8"', true],
    ['application/json; charset=utf8; foo=bar', true],
    [undefined, false],
    ['', false],
    ['text/plain', false],
    ['application/json-patch+json', false],
    ['application/jsonx', false],
    ['application/json; charset=utf-16', false],
    ['multipart/form-data; boundary=x', false],
  ])('%j → %s', (header, ok) => {
    expect(parseJsonContentType(header).ok).toBe(ok);
  });
});

describe('request target', () => {
  it.each([
    ['/messages?sessionId=a', '/messages', 'sessionId=a'],
    ['/sse', '/sse', ''],
    ['http://evil/sse', undefined, ''],
    ['*', undefined, ''],
  ])('%s', (url, path, query) => {
    expect(requestPath(url)).toBe(path);
    expect(requestQuery(url)).toBe(url.includes('?') ? query : '');
  });
});
