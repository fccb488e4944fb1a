import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  basicAuthorization,
  chooseClientSecretMethod,
  clientSecretAuth,
  formUrlEncode,
} from './client-auth.js';

describe('formUrlEncode', () => {
  it('round-trips through a form decoder, and leaves alphanumerics and *-._ alone', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (value) => {
        const encoded = formUrlEncode(value);
        expect(new URLSearchParams(`v=${encoded}`).get('v')).toBe(value);
        expect(encoded).toMatch(/^[A-Za-z0-9*\-._%+]*$/);
        if (/^[A-Za-z0-9*\-._]*$/.test(value)) expect(encoded).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('basicAuthorization is ASCII for any id and secret (never throws)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (id, secret) => {
        expect(basicAuthorization(id, secret)).toMatch(/^Basic [A-Za-z0-9+/]*=*$/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('basicAuthorization', () => {
  it.each([
    ['pre-registered-client', 's3cret', 'pre-registered-client:s3cret'],
    ['a b', 'x:y', 'a+b:x%3Ay'],
    ['mcp.client_*', 'ü', 'mcp.client_*:%C3%BC'],
  ])('%s / %s → Basic base64(%s)', (id, secret, plain) => {
    expect(basicAuthorization(id, secret)).toBe(`Basic ${btoa(plain)}`);
  });
});

describe('chooseClientSecretMethod', () => {
  it.each([
    [undefined, 'client_secret_basic'],
    [['client_secret_basic', 'client_secret_post'], 'client_secret_basic'],
    [['client_secret_post'], 'client_secret_post'],
    [['private_key_jwt'], 'client_secret_basic'],
    [[], 'client_secret_basic'],
  ] as const)('%j → %s', (supported, expected) => {
    expect(chooseClientSecretMethod(supported)).toBe(expected);
  });
});

describe('clientSecretAuth', () => {
  it('basic: the form-encoded Authorization header, nothing in the body', async () => {
    const headers = new Headers();
    const body = new URLSearchParams();
    await clientSecretAuth('s-1', 'client_secret_basic')(
      {} as never,
      { client_id: 'rs-1' },
      body,
      headers,
    );
    expect(headers.get('authorization')).toBe(`Basic ${btoa('rs-1:s-1')}`);
    expect([...body]).toEqual([]);
  });

  it('post: id and secret in the body, no Authorization header', async () => {
    const headers = new Headers();
    const body = new URLSearchParams();
    await clientSecretAuth('s-1', 'client_secret_post')(
      {} as never,
      { client_id: 'rs-1' },
      body,
      headers,
    );
    expect(headers.get('authorization')).toBeNull();
    expect(Object.fromEntries(body)).toEqual({ client_id: 'rs-1', client_secret: 's-1' });
  });
});
