import { type DevAuthServer, start } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIssuerReachable } from './preflight.js';
import type { ProviderDefinition } from './provider.js';

const def = (profile: ProviderDefinition['profile']): ProviderDefinition => ({
  profile,
  appName: 'x',
  displayName: 'X',
  defaultRequiredScopes: [],
  defaultStepUpScope: 'a',
  defaultPort: 0,
  issuerExample: '',
  resourceExample: '',
  emulation: { notes: [] },
  highlightClaims: [],
});

describe('checkIssuerReachable', () => {
  let generic: DevAuthServer;
  let cognito: DevAuthServer;
  beforeAll(async () => {
    [generic, cognito] = await Promise.all([start(), start({ profile: 'cognito' })]);
  });
  afterAll(async () => {
    await Promise.all([generic?.stop(), cognito?.stop()]);
  });

  it('finds the metadata of a reachable issuer', async () => {
    expect(await checkIssuerReachable(def('generic'), generic.issuer)).toEqual({
      ok: true,
      line: `✓ metadata at ${generic.issuer}/.well-known/oauth-authorization-server`,
    });
  });

  it("accepts Cognito's missing code_challenge_methods_supported for the cognito profile only", async () => {
    const ok = await checkIssuerReachable(def('cognito'), cognito.issuer);
    expect(ok.ok).toBe(true);
    const refused = await checkIssuerReachable(def('generic'), cognito.issuer);
    expect(refused.ok).toBe(false);
    expect(refused.line).toMatch(
      /^! ERR_PKCE_METADATA_MISSING: .*\(MCP clients will refuse this authorization server\)$/,
    );
  });

  it('reports an issuer that is not exactly the one in the metadata', async () => {
    const r = await checkIssuerReachable(def('generic'), `${generic.issuer}/tenant`);
    expect(r.ok).toBe(false);
    expect(r.line).toMatch(/^! ERR_METADATA_NOT_FOUND|^! ERR_METADATA_ISSUER_MISMATCH/);
  });

  it('reports an unreachable issuer without throwing, within the timeout', async () => {
    const port = await getFreePort();
    const started = Date.now();
    const r = await checkIssuerReachable(def('generic'), `http://127.0.0.1:${port}`, {
      timeoutMs: 2000,
    });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.ok).toBe(false);
    expect(r.line).toMatch(/^! ERR_NETWORK: .*check OAUTH_AUTHORIZATION_SERVER\)$/);
  });
});
