import { describe, expect, it } from 'vitest';
import {
  isTokenValidationError,
  statusForCode,
  TOKEN_VALIDATION_ERROR_CODES,
  TokenValidationError,
} from './errors.js';

const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

describe('TokenValidationError', () => {
  it.each(TOKEN_VALIDATION_ERROR_CODES.map((code) => [code]))(
    '%s: status and error from the one table',
    (code) => {
      const err = new TokenValidationError(code, 'message');
      const { status, error } = statusForCode(code);
      expect(err.status).toBe(status);
      expect(err.error).toBe(error);
      expect(err.name).toBe('TokenValidationError');
      expect(isTokenValidationError(err)).toBe(true);
      const res = err.toResponse({ resourceMetadata: PRM });
      expect(res.status).toBe(status);
      expect(res.headers['cache-control']).toBe('no-store');
      if (status === 503) {
        expect(res.headers['retry-after']).toBe('5');
        expect(res.headers['www-authenticate']).toBeUndefined();
      } else {
        expect(res.headers['www-authenticate']).toContain(`resource_metadata="${PRM}"`);
        expect(res.headers['www-authenticate']!.includes('error=')).toBe(error !== undefined);
      }
    },
  );

  it('maps each status class as RFC 6750 says', () => {
    expect(statusForCode('ERR_MISSING_TOKEN')).toEqual({ status: 401, error: undefined });
    expect(statusForCode('ERR_MALFORMED_HEADER')).toEqual({
      status: 400,
      error: 'invalid_request',
    });
    expect(statusForCode('ERR_TOKEN_EXPIRED')).toEqual({ status: 401, error: 'invalid_token' });
    expect(statusForCode('ERR_INSUFFICIENT_SCOPE')).toEqual({
      status: 403,
      error: 'insufficient_scope',
    });
    expect(statusForCode('ERR_AUTH_SERVER_UNAVAILABLE')).toEqual({ status: 503, error: undefined });
  });

  it('renders exact challenges', () => {
    expect(
      new TokenValidationError('ERR_MISSING_TOKEN', 'x').challenge({
        resourceMetadata: PRM,
        scope: ['a', 'b'],
      }),
    ).toBe(`Bearer scope="a b", resource_metadata="${PRM}"`);
    expect(
      new TokenValidationError('ERR_TOKEN_EXPIRED', 'The token has expired').challenge({
        resourceMetadata: PRM,
      }),
    ).toBe(
      `Bearer error="invalid_token", resource_metadata="${PRM}", error_description="The token has expired"`,
    );
    const scope = new TokenValidationError('ERR_INSUFFICIENT_SCOPE', 'missing', {
      requiredScopes: ['a', 'c'],
    });
    expect(scope.challenge({ resourceMetadata: PRM, scope: ['a'] })).toBe(
      `Bearer error="insufficient_scope", scope="a c", resource_metadata="${PRM}", error_description="missing"`,
    );
  });

  it('503 carries a whole number of seconds in Retry-After', () => {
    const err = new TokenValidationError('ERR_AUTH_SERVER_UNAVAILABLE', 'down', {
      retryAfterSeconds: 0.2,
    });
    expect(err.retryAfterSeconds).toBe(1);
    expect(err.toResponse({ resourceMetadata: PRM }).headers['retry-after']).toBe('1');
    expect(err.toResponse({ resourceMetadata: PRM }).body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'down',
    });
  });

  it('is recognised across copies by duck typing, not by instanceof', () => {
    const foreign = Object.assign(new Error('x'), {
      name: 'TokenValidationError',
      code: 'ERR_TOKEN_EXPIRED',
    });
    expect(isTokenValidationError(foreign)).toBe(true);
    expect(
      isTokenValidationError(
        Object.assign(new Error('x'), { name: 'TokenValidationError', code: 'NOPE' }),
      ),
    ).toBe(false);
    expect(
      isTokenValidationError({ name: 'TokenValidationError', code: 'ERR_TOKEN_EXPIRED' }),
    ).toBe(false);
  });
});
