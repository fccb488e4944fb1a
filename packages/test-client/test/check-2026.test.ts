/**
 * `--check` and the server rules of revision 2026-07-28, each against a purpose-built resource server
 * (node:http on 127.0.0.1) that follows or breaks the rule.
 */
import type { TestHttpServer } from '@mcp-auth/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { type CheckReport, checkServer } from '../src/index.js';
import { type FakeAs, json, startFakeAs, startFakeResource } from './helpers.js';

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

const byId = (r: CheckReport) => Object.fromEntries(r.checks.map((c) => [c.id, c]));

describe('origin_validation: a foreign Origin gets 403 (DNS rebinding)', () => {
  it('a server that validates Origin passes', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({ authorizationServer: () => as.issuer, allowedOrigins: [] });
    const result = await checkServer(rs.serverUrl, { unauthenticatedOnly: true });
    expect(byId(result).origin_validation).toMatchObject({
      status: 'pass',
      detail: 'Origin: https://dns-rebinding.invalid → 403',
    });
  });

  it('a server that ignores Origin fails, with a valid token too', async () => {
    const as = await fakeAs();
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await checkServer(rs.serverUrl, { nonInteractive: true });
    expect(byId(result).origin_validation).toMatchObject({
      status: 'fail',
      detail:
        'Origin: https://dns-rebinding.invalid with a valid token → 200, expected 403 (Origin not validated: DNS rebinding)',
    });
    expect(result.ok).toBe(false);
  });
});

describe('no_offline_access: not advertised in the challenge or the metadata', () => {
  it.each<[string, Partial<Parameters<typeof startFakeResource>[0]>, string, string]>([
    ['clean', {}, 'pass', 'neither the challenge nor the metadata lists offline_access'],
    [
      'in the challenge',
      { challenge: (p) => `Bearer resource_metadata="${p}", scope="mcp:read offline_access"` },
      'fail',
      'offline_access advertised in the challenge scope',
    ],
    [
      'in scopes_supported',
      { scopesSupported: ['mcp:read', 'offline_access'] },
      'fail',
      'offline_access advertised in scopes_supported of the resource metadata',
    ],
    [
      'in both',
      {
        challenge: (p) => `Bearer resource_metadata="${p}", scope="offline_access"`,
        scopesSupported: ['offline_access'],
      },
      'fail',
      'offline_access advertised in the challenge scope and scopes_supported of the resource metadata',
    ],
  ])('%s', async (_, resourceOptions, status, detail) => {
    const as = await fakeAs();
    const rs = await fakeResource({
      authorizationServer: () => as.issuer,
      allowedOrigins: ['https://mcp-client.example'],
      ...resourceOptions,
    });
    const result = await checkServer(rs.serverUrl, { unauthenticatedOnly: true });
    expect(byId(result).no_offline_access).toMatchObject({ status, detail });
  });
});

describe('scope_challenge_complete: one 403 names every scope still needed', () => {
  /**
   * A resource that needs mcp:a, mcp:b and mcp:c; its tokens carry their scope (the fake AS puts
   * the authorized scope into the token). `names` decides what its 403 challenge names.
   */
  async function setup(names: (missing: string[], needed: string[]) => string[]) {
    const needed = ['mcp:a', 'mcp:b', 'mcp:c'];
    let as: FakeAs | undefined;
    as = await fakeAs({
      token: () => {
        const scope = as!.authorizeRequests.at(-1)?.get('scope') ?? '';
        return {
          status: 200,
          body: {
            access_token: `tok.${Buffer.from(scope).toString('base64url')}`,
            token_type: 'Bearer',
            scope,
          },
        };
      },
    });
    const rs = await fakeResource({
      authorizationServer: () => as!.issuer,
      allowedOrigins: ['https://mcp-client.example'],
      challenge: (p) => `Bearer resource_metadata="${p}", scope="${needed.join(' ')}"`,
      withToken: (token, _req, res, prm) => {
        const granted = Buffer.from(token.slice(4), 'base64url').toString('utf8').split(' ');
        const missing = needed.filter((s) => !granted.includes(s));
        if (missing.length === 0) {
          json(res, 200, {});
          return;
        }
        json(
          res,
          403,
          { error: 'insufficient_scope' },
          {
            'www-authenticate': `Bearer error="insufficient_scope", scope="${names(missing, needed).join(' ')}", resource_metadata="${prm}"`,
          },
        );
      },
    });
    return { as, rs };
  }

  it.each<[string, (missing: string[], needed: string[]) => string[], string, string]>([
    [
      'every scope needed',
      (_, needed) => needed,
      'pass',
      '403 scope="mcp:a mcp:b mcp:c" with mcp:a granted',
    ],
    [
      'the missing ones',
      (missing) => missing,
      'pass',
      '403 scope="mcp:b mcp:c" with mcp:a granted',
    ],
    [
      'one at a time',
      (missing) => missing.slice(0, 1),
      'fail',
      '403 scope="mcp:b" with mcp:a granted: mcp:c also needed (one challenge per scope)',
    ],
  ])('a server that names %s: %s', async (_, names, status, detail) => {
    const { as, rs } = await setup(names);
    const result = await checkServer(rs.serverUrl, { nonInteractive: true });
    expect(byId(result).scope_challenge_complete).toMatchObject({ status, detail });
    expect(byId(result).valid_token_accepted!.status).toBe('pass');
    // The second authorization asked for the first scope only.
    expect(as.authorizeRequests.map((p) => p.get('scope'))).toEqual(['mcp:a mcp:b mcp:c', 'mcp:a']);
    expect(result.report.steps.some((s) => s.id === 'scope_subset.token')).toBe(true);
  });

  it('skipped without a way to authorize again without a person', async () => {
    const { rs } = await setup((m) => m);
    const result = await checkServer(rs.serverUrl, { unauthenticatedOnly: true });
    expect(byId(result).scope_challenge_complete).toMatchObject({
      status: 'skip',
      detail: 'unauthenticated-only',
    });
  });
});
