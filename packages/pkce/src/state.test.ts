import { describe, expect, it } from 'vitest';
import { generateState } from './index.js';

describe('generateState', () => {
  it('is 256 bits as 43 base64url characters by default', () => {
    expect(generateState()).toMatch(/^[A-Za-z0-9\-_]{43}$/);
  });
  it('carries at least 128 bits at the smallest allowed size', () => {
    expect(generateState(16)).toMatch(/^[A-Za-z0-9\-_]{22}$/);
  });
  it('never repeats', () => {
    expect(new Set(Array.from({ length: 10_000 }, () => generateState())).size).toBe(10_000);
  });
  it.each([15, 257, 1.5, Number.NaN])('refuses byteLength %s', (n) => {
    expect(() => generateState(n)).toThrow(TypeError);
    expect(() => generateState(n)).toThrow(
      `"byteLength" must be an integer from 16 to 256, got ${n}`,
    );
  });
});
