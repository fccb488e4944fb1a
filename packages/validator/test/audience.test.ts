import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenValidator, type TokenValidator } from '../src/index.js';
import { rejectsWith } from './helpers.js';
import { type ControlledIssuer, startControlledIssuer } from './issuer.js';

/**
 * Issue 12 item 5: the audience is the resource, exactly. Compared as strings; the only
 * equivalences are the case of scheme and host and the scheme's default port (README, "Security
 * model"). Every spelling a URL parser would rewrite into the resource is refused.
 */

const RESOURCE = 'http://127.0.0.1:3999/mcp';
const TLS_RESOURCE = 'https://mcp.example.com/mcp';

let ctl: ControlledIssuer;
let v: TokenValidator;
let tls: TokenValidator;

beforeAll(async () => {
  ctl = await startControlledIssuer();
  const base = {
    issuer: ctl.url,
    allowInsecureHttpForLoopback: true,
    jwt: { jwksUri: ctl.jwksUri },
  };
  v = createTokenValidator({ ...base, resource: RESOURCE });
  tls = createTokenValidator({ ...base, resource: TLS_RESOURCE });
});
afterAll(async () => {
  await Promise.all([v?.close(), tls?.close()]);
  await ctl?.stop();
});

function token(aud: unknown): string {
  const t = Math.floor(Date.now() / 1000);
  return ctl.sign({
    iss: ctl.url,
    sub: 'u',
    aud,
    client_id: 'c',
    scope: 'mcp:read',
    iat: t,
    exp: t + 600,
    jti: Math.random().toString(36),
  });
}

describe('audience: accepted spellings (the only equivalences)', () => {
  it.each([
    ['exactly the resource', RESOURCE],
    ['upper-case scheme', 'HTTP://127.0.0.1:3999/mcp'],
    ['mixed-case scheme', 'Http://127.0.0.1:3999/mcp'],
    ['the resource inside an array', ['https://other.example/mcp', RESOURCE]],
  ])('%s: %j', async (_name, aud) => {
    await expect(v.validate(token(aud))).resolves.toMatchObject({ clientId: 'c' });
  });

  it.each([
    ['exactly the resource', TLS_RESOURCE],
    ['upper-case host', 'https://MCP.EXAMPLE.COM/mcp'],
    ['upper-case scheme and host', 'HTTPS://Mcp.Example.Com/mcp'],
    ['the default port written out', 'https://mcp.example.com:443/mcp'],
  ])('https resource, %s: %j', async (_name, aud) => {
    await expect(tls.validate(token(aud))).resolves.toMatchObject({ clientId: 'c' });
  });
});

describe('audience: refused spellings (401 invalid_token, ERR_AUDIENCE_MISMATCH)', () => {
  it.each([
    ['dot segment', 'http://127.0.0.1:3999/x/../mcp'],
    ['single dot segment', 'http://127.0.0.1:3999/./mcp'],
    ['percent-encoded dot segment', 'http://127.0.0.1:3999/x/%2e%2e/mcp'],
    ['percent-encoded dot segment, upper case', 'http://127.0.0.1:3999/x/%2E%2E/mcp'],
    ['TAB inside the path', 'http://127.0.0.1:3999/m\tcp'],
    ['LF inside the path', 'http://127.0.0.1:3999/m\ncp'],
    ['CR LF at the end', 'http://127.0.0.1:3999/mcp\r\n'],
    ['TAB inside the host', 'http://127.0.0\t.1:3999/mcp'],
    ['IPv4 shorthand 127.1', 'http://127.1:3999/mcp'],
    ['IPv4 hex 0x7f.0.0.1', 'http://0x7f.0.0.1:3999/mcp'],
    ['IPv4 as one number', 'http://2130706433:3999/mcp'],
    ['IPv4 octal', 'http://0177.0.0.1:3999/mcp'],
    ['full-width digits in the host', 'http://１２７.０.０.１:3999/mcp'],
    ['full-width digits in the port', 'http://127.0.0.1:３９９９/mcp'],
    ['trailing dot on the host', 'http://127.0.0.1.:3999/mcp'],
    ['percent-encoded host', 'http://127.0.0.%31:3999/mcp'],
    ['backslash', 'http://127.0.0.1:3999\\mcp'],
    ['zero-padded port', 'http://127.0.0.1:03999/mcp'],
    ['upper-case path', 'http://127.0.0.1:3999/MCP'],
    ['percent-encoded path letter', 'http://127.0.0.1:3999/%6dcp'],
    ['trailing slash', 'http://127.0.0.1:3999/mcp/'],
    ['empty query', 'http://127.0.0.1:3999/mcp?'],
    ['a fragment', 'http://127.0.0.1:3999/mcp#x'],
    ['user info', 'http://u@127.0.0.1:3999/mcp'],
    ['localhost for 127.0.0.1', 'http://localhost:3999/mcp'],
    ['leading space', ' http://127.0.0.1:3999/mcp'],
    [
      'an array of only rewritten spellings',
      ['http://127.1:3999/mcp', 'http://127.0.0.1:3999/x/../mcp'],
    ],
  ])('%s: %j', async (_name, aud) => {
    const err = await rejectsWith(v.validate(token(aud)), 'ERR_AUDIENCE_MISMATCH');
    expect(err).toMatchObject({ claim: 'aud', status: 401 });
  });

  it.each([
    ['another port written as the default', 'https://mcp.example.com:8443/mcp'],
    ['http for https', 'http://mcp.example.com/mcp'],
    ['http with the https default port', 'http://mcp.example.com:443/mcp'],
  ])('https resource, %s: %j', async (_name, aud) => {
    await rejectsWith(tls.validate(token(aud)), 'ERR_AUDIENCE_MISMATCH');
  });
});

describe('configuration in the one spelling', () => {
  it.each([
    ['http://127.0.0.1:3999/x/../mcp', 'path must be written in its canonical form'],
    ['http://127.1:3999/mcp', 'host must be written in its canonical form'],
    ['http://0x7f.0.0.1:3999/mcp', 'host must be written in its canonical form'],
    ['http://127.0.0.1:3999/m\tcp', 'only printable ASCII'],
    ['http://１２７.0.0.1:3999/mcp', 'only printable ASCII'],
  ])('resource %j is a TypeError', (resource, message) => {
    const make = () =>
      createTokenValidator({ issuer: ctl.url, resource, allowInsecureHttpForLoopback: true });
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });

  it('an acceptedAudiences URL in a rewritten spelling is a TypeError naming the option', () => {
    const make = () =>
      createTokenValidator({
        issuer: ctl.url,
        resource: RESOURCE,
        acceptedAudiences: ['http://127.1:3999/other'],
        allowInsecureHttpForLoopback: true,
      });
    expect(make).toThrow(TypeError);
    expect(make).toThrow('"acceptedAudiences" entry "http://127.1:3999/other"');
  });
});
