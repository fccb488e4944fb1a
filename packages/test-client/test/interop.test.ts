/**
 * Authorization servers we did not write (issue 13): what they really send, each imitated by a
 * purpose-built server on 127.0.0.1. Lenient where the specs allow variation, strict where safety
 * depends on it.
 */

import { formUrlEncode } from '@mcp-auth/discovery';
import type { TestHttpServer } from '@mcp-auth/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { authorize } from '../src/index.js';
import { type FakeAnswer, type FakeAs, startFakeAs, startFakeResource } from './helpers.js';

const servers: TestHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function fakeAs(o: Parameters<typeof startFakeAs>[0] = {}): Promise<FakeAs> {
  const as = await startFakeAs(o);
  servers.push(as);
  return as;
}

async function fakeResource(o: Parameters<typeof startFakeResource>[0]) {
  const rs = await startFakeResource(o);
  servers.push(rs);
  return rs;
}

/** A registration answer from a server that returns a secret for a client that asked for none. */
function confidential(extra: Record<string, unknown>): (b: Record<string, unknown>) => FakeAnswer {
  return (body) => ({
    status: 201,
    body: {
      ...body,
      client_id: 'dcr-client',
      client_secret: 'dcr-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      ...extra,
    },
  });
}

const NOW = Date.UTC(2026, 6, 28, 12, 0, 0);

describe('dynamic registration responses of real servers', () => {
  it('a client_secret without client_secret_expires_at is a secret that does not expire', async () => {
    const as = await fakeAs({ register: confidential({}) });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, { nonInteractive: true });
    expect(result.client).toEqual({
      clientId: 'dcr-client',
      clientSecret: 'dcr-secret',
      tokenEndpointAuthMethod: 'client_secret_basic',
      source: 'dynamic-registration',
    });
    expect(result.report.steps.find((s) => s.id === 'client')!.received).toContain(
      'client_id=dcr-client, token_endpoint_auth_method=client_secret_basic, client_secret (does not expire)',
    );
    expect(as.tokenHeaders[0]!.authorization).toBe(
      `Basic ${Buffer.from('dcr-client:dcr-secret').toString('base64')}`,
    );
  });

  it('200 instead of 201 and a JSON body without a JSON content type are accepted', async () => {
    const as = await fakeAs({
      register: (body) => ({
        status: 200,
        body: { ...body, client_id: 'dcr-200' },
        headers: { 'content-type': 'text/plain' },
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, { nonInteractive: true });
    expect(result.client).toEqual({
      clientId: 'dcr-200',
      tokenEndpointAuthMethod: 'none',
      source: 'dynamic-registration',
    });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    [
      'client_secret_expires_at null',
      { client_secret_expires_at: null },
      { clientSecret: 'dcr-secret', tokenEndpointAuthMethod: 'client_secret_basic' },
    ],
    [
      'client_secret_expires_at "0" (a string)',
      { client_secret_expires_at: '0' },
      { clientSecret: 'dcr-secret', tokenEndpointAuthMethod: 'client_secret_basic' },
    ],
    [
      'client_secret null for a public client',
      { client_secret: null, token_endpoint_auth_method: 'none' },
      { tokenEndpointAuthMethod: 'none' },
    ],
    [
      'client_secret "" and token_endpoint_auth_method null',
      { client_secret: '', token_endpoint_auth_method: null },
      { tokenEndpointAuthMethod: 'none' },
    ],
  ])('accepted: %s', async (_, extra, expected) => {
    const as = await fakeAs({ register: confidential(extra) });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, { nonInteractive: true });
    expect(result.client).toEqual({
      clientId: 'dcr-client',
      source: 'dynamic-registration',
      ...expected,
    });
  });

  it('a secret that expires in the future is used and its expiry reported', async () => {
    const expires = NOW / 1000 + 3600;
    const as = await fakeAs({ register: confidential({ client_secret_expires_at: expires }) });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, { nonInteractive: true, now: () => NOW });
    expect(result.report.steps.find((s) => s.id === 'client')!.received).toContain(
      'client_id=dcr-client, token_endpoint_auth_method=client_secret_basic, client_secret (expires 2026-07-28T13:00:00.000Z)',
    );
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a secret that already expired',
      { client_secret_expires_at: NOW / 1000 - 1 },
      'the client_secret expired at 2026-07-28T11:59:59.000Z',
    ],
    [
      'client_secret_expires_at as a word',
      { client_secret_expires_at: 'never' },
      'client_secret_expires_at must be a non-negative integer (0: does not expire)',
    ],
    [
      'a fractional client_secret_expires_at',
      { client_secret_expires_at: 1.5 },
      'client_secret_expires_at must be a non-negative integer (0: does not expire)',
    ],
    [
      'a negative client_secret_expires_at',
      { client_secret_expires_at: -5 },
      'client_secret_expires_at must be a non-negative integer (0: does not expire)',
    ],
    ['no client_id', { client_id: undefined }, 'the response has no client_id'],
    ['an empty client_id', { client_id: '' }, 'the response has no client_id'],
    [
      'a numeric client_secret',
      { client_secret: 12345 },
      'client_secret must be a non-empty string',
    ],
    [
      'an auth method the client cannot perform',
      { token_endpoint_auth_method: 'private_key_jwt' },
      'token_endpoint_auth_method "private_key_jwt" is not one this client performs (none, client_secret_basic, client_secret_post)',
    ],
    [
      'client_secret_post without a secret',
      { token_endpoint_auth_method: 'client_secret_post', client_secret: undefined },
      'token_endpoint_auth_method client_secret_post without a client_secret',
    ],
  ])('refused: %s (ERR_REGISTRATION_FAILED, no authorization request)', async (_, extra, why) => {
    const as = await fakeAs({ register: confidential(extra) });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(
      authorize(rs.serverUrl, { nonInteractive: true, now: () => NOW }),
    ).rejects.toMatchObject({
      code: 'ERR_REGISTRATION_FAILED',
      message: `Dynamic client registration failed: ${why}`,
    });
    expect(as.authorizeRequests).toHaveLength(0);
    expect(as.tokenRequests).toHaveLength(0);
  });

  it('an error response is reported with its status and OAuth error', async () => {
    const as = await fakeAs({
      register: () => ({
        status: 400,
        body: { error: 'invalid_redirect_uri', error_description: 'loopback only' },
      }),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(authorize(rs.serverUrl, { nonInteractive: true })).rejects.toMatchObject({
      code: 'ERR_REGISTRATION_FAILED',
      status: 400,
      oauthError: 'invalid_redirect_uri',
      message: 'Dynamic client registration failed: 400 error=invalid_redirect_uri (loopback only)',
    });
  });
});

/**
 * A token endpoint that compares the Basic credentials with what was registered, either as sent
 * (a server that does not decode) or after form-decoding them (RFC 6749 §2.3.1).
 */
function basicChecker(decodes: boolean, id: string, secret: string) {
  return (_: URLSearchParams, headers: Record<string, unknown>): FakeAnswer | undefined => {
    const auth = String(headers.authorization ?? '');
    const pair = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    const decode = (v: string) => (decodes ? decodeURIComponent(v.replace(/\+/g, ' ')) : v);
    if (decode(pair.slice(0, colon)) === id && decode(pair.slice(colon + 1)) === secret) {
      return undefined; // the fixed token
    }
    return { status: 401, body: { error: 'invalid_client' } };
  };
}

describe('HTTP Basic client authentication', () => {
  it.each([
    ['does not decode', false],
    ['form-decodes', true],
  ])('a server that %s accepts pre-registered-client', async (_, decodes) => {
    const as = await fakeAs({
      token: basicChecker(decodes, 'pre-registered-client', 'S3cret_value.with-dots*'),
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, {
      nonInteractive: true,
      clientId: 'pre-registered-client',
      clientSecret: 'S3cret_value.with-dots*',
    });
    expect(result.client.tokenEndpointAuthMethod).toBe('client_secret_basic');
    expect(as.tokenHeaders[0]!.authorization).toBe(
      `Basic ${Buffer.from('pre-registered-client:S3cret_value.with-dots*').toString('base64')}`,
    );
    expect(as.tokenRequests[0]!.get('client_secret')).toBeNull();
  });

  it('other characters are form-encoded: space as +, the rest percent-encoded UTF-8', async () => {
    const secret = 'a b+c:d/é~!';
    const as = await fakeAs({ token: basicChecker(true, 'client:one', secret) });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await authorize(rs.serverUrl, {
      nonInteractive: true,
      clientId: 'client:one',
      clientSecret: secret,
    });
    expect(
      Buffer.from(as.tokenHeaders[0]!.authorization!.slice(6), 'base64').toString('utf8'),
    ).toBe('client%3Aone:a+b%2Bc%3Ad%2F%C3%A9%7E%21');
  });

  it.each([
    ['pre-registered-client', 'pre-registered-client'],
    ['AZaz09*-._', 'AZaz09*-._'],
    ['a b', 'a+b'],
    ["~!'()", '%7E%21%27%28%29'],
    ['%+&=:', '%25%2B%26%3D%3A'],
    ['é', '%C3%A9'],
  ])('formUrlEncode(%j) is %j', (input, expected) => {
    expect(formUrlEncode(input)).toBe(expected);
  });
});
