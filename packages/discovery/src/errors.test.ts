import { describe, expect, it } from 'vitest';
import { DISCOVERY_ERROR_CODES, DiscoveryError, isDiscoveryError } from './errors.js';

describe('DiscoveryError', () => {
  it('carries code, message and only the details given', () => {
    const cause = new Error('inner');
    const err = new DiscoveryError('ERR_HTTP_STATUS', 'https://as/x answered HTTP 500', {
      url: 'https://as/x',
      status: 500,
      cause,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('DiscoveryError');
    expect(err.code).toBe('ERR_HTTP_STATUS');
    expect(err.message).toBe('https://as/x answered HTTP 500');
    expect(err.cause).toBe(cause);
    expect(Object.keys(err).sort()).toEqual(['code', 'name', 'status', 'url']);
    expect(err.stack).toContain('DiscoveryError');
  });

  it('is recognised by isDiscoveryError, even from another copy of the package', () => {
    expect(isDiscoveryError(new DiscoveryError('ERR_TIMEOUT', 't'))).toBe(true);
    const foreign = Object.assign(new Error('x'), { name: 'DiscoveryError', code: 'ERR_TIMEOUT' });
    expect(isDiscoveryError(foreign)).toBe(true);
    const unknownCode = Object.assign(new Error('x'), { name: 'DiscoveryError', code: 'ERR_X' });
    expect(isDiscoveryError(unknownCode)).toBe(false);
    expect(isDiscoveryError(new Error('x'))).toBe(false);
    expect(isDiscoveryError({ name: 'DiscoveryError', code: 'ERR_TIMEOUT' })).toBe(false);
    expect(isDiscoveryError(undefined)).toBe(false);
  });

  it('DISCOVERY_ERROR_CODES lists every code once, frozen', () => {
    expect(Object.isFrozen(DISCOVERY_ERROR_CODES)).toBe(true);
    expect(new Set(DISCOVERY_ERROR_CODES).size).toBe(DISCOVERY_ERROR_CODES.length);
    expect(DISCOVERY_ERROR_CODES).toContain('ERR_METADATA_ISSUER_MISMATCH');
    expect(DISCOVERY_ERROR_CODES).toHaveLength(20);
  });
});
