import type { AuthEvent } from '@mcp-auth/sse-transport';
import { describe, expect, it } from 'vitest';
import type { DemoApp } from './app.js';
import { formatAuthEvent } from './audit.js';
import { runCli } from './cli.js';
import { runFlowReport } from './flow.js';
import type { ProviderDefinition } from './provider.js';

const generic: ProviderDefinition = {
  profile: 'generic',
  appName: 'audit-demo',
  displayName: 'Test IdP',
  defaultRequiredScopes: ['mcp:tools'],
  defaultStepUpScope: 'mcp:admin',
  defaultPort: 0,
  issuerExample: 'https://idp.example.com',
  resourceExample: 'https://mcp.example.com/mcp',
  emulationOnly: true,
  emulation: { notes: [] },
  highlightClaims: [],
};

const base = { time: 0, method: 'POST', path: '/mcp', transport: 'streamable-http' } as const;
const alice = { issuer: 'https://as.example', subject: 'alice', clientId: 'app-1' };

describe('formatAuthEvent', () => {
  it.each<[AuthEvent, string]>([
    [
      { ...base, type: 'accepted', principal: alice, scopes: ['mcp:tools'] },
      'auth accepted POST /mcp sub=alice client=app-1 scope=mcp:tools',
    ],
    [
      { ...base, type: 'refused', code: 'ERR_TOKEN_EXPIRED', status: 401 },
      'auth refused POST /mcp code=ERR_TOKEN_EXPIRED status=401',
    ],
    [
      {
        ...base,
        type: 'step-up',
        code: 'ERR_INSUFFICIENT_SCOPE',
        status: 403,
        principal: alice,
        requiredScopes: ['mcp:tools', 'mcp:admin'],
      },
      'auth step-up POST /mcp sub=alice client=app-1 code=ERR_INSUFFICIENT_SCOPE status=403 needs="mcp:tools mcp:admin"',
    ],
    [
      { ...base, type: 'session-hijack-refused', status: 403, principal: alice },
      'auth session-hijack-refused POST /mcp sub=alice client=app-1 status=403',
    ],
    [
      {
        ...base,
        type: 'origin-refused',
        status: 403,
        reason: 'origin_not_allowed',
        origin: 'https://evil.example',
      },
      'auth origin-refused POST /mcp reason=origin_not_allowed status=403 origin=https://evil.example',
    ],
    [
      {
        ...base,
        type: 'rate-limited',
        status: 429,
        reason: 'sessions-per-principal',
        principal: undefined,
      },
      'auth rate-limited POST /mcp reason=sessions-per-principal status=429',
    ],
  ])('%j → one line', (event, line) => {
    expect(formatAuthEvent(event)).toBe(line);
  });

  it('cannot be made to print a second line or an unbounded value by a hostile claim', () => {
    const line = formatAuthEvent({
      ...base,
      type: 'accepted',
      principal: {
        issuer: undefined,
        subject: 'x\r\nauth accepted GET /admin',
        clientId: 'c'.repeat(500),
      },
      scopes: [],
    });
    expect(line).toBe(
      `auth accepted POST /mcp sub="x??auth accepted GET /admin" client="${'c'.repeat(80)}…" scope=""`,
    );
  });
});

describe('--verbose', () => {
  it('prints one line per auth decision: refused without a token, accepted, step-up', async () => {
    const out: string[] = [];
    const err: string[] = [];
    let app: DemoApp | undefined;
    await runCli(generic, {
      argv: ['--verbose'],
      env: { PORT: '0' },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      exit: (code) => {
        throw new Error(`exit ${code}: ${err.join('\n')}`);
      },
      handleSignals: false,
      onReady: (a) => {
        app = a;
      },
    });
    try {
      const result = await runFlowReport(app!);
      expect(result.error).toBeUndefined();
      const audit = err.filter((l) => l.startsWith('  auth '));
      const client = app!.testClientOptions.clientId;
      // The flow: a probe without a token, then the token at work, then server_stats without
      // mcp:admin (403, step-up), then the stepped-up token.
      expect(audit).toContain('  auth refused POST /mcp code=ERR_MISSING_TOKEN status=401');
      expect(audit).toContain(
        `  auth accepted POST /mcp sub=user-1 client=${client} scope=mcp:tools`,
      );
      expect(audit).toContain(
        `  auth step-up POST /mcp sub=user-1 client=${client} code=ERR_INSUFFICIENT_SCOPE status=403 needs="mcp:tools mcp:admin"`,
      );
      expect(audit).toContain(
        `  auth accepted POST /mcp sub=user-1 client=${client} scope="mcp:tools mcp:admin"`,
      );
      // In that order, and nothing that looks like a JWT anywhere in the output.
      const first = (prefix: string) => audit.findIndex((l) => l.startsWith(prefix));
      expect(first('  auth refused')).toBeLessThan(first('  auth accepted'));
      expect(first('  auth accepted')).toBeLessThan(first('  auth step-up'));
      expect([...out, ...err].join('\n')).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}/);
    } finally {
      await app?.close();
    }
  }, 30_000);

  it('prints no auth lines without --verbose', async () => {
    const err: string[] = [];
    let app: DemoApp | undefined;
    await runCli(generic, {
      argv: [],
      env: { PORT: '0' },
      out: () => undefined,
      err: (l) => err.push(l),
      exit: (code) => {
        throw new Error(`exit ${code}`);
      },
      handleSignals: false,
      onReady: (a) => {
        app = a;
      },
    });
    try {
      expect((await runFlowReport(app!)).error).toBeUndefined();
      expect(err.filter((l) => l.startsWith('  auth '))).toEqual([]);
    } finally {
      await app?.close();
    }
  }, 30_000);
});
