import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { AuthEvent } from './events.js';
import { Telemetry } from './telemetry.js';

const req = {
  method: 'POST',
  url: '/mcp?sessionId=secret-session',
  headers: { origin: `https://evil.example/${'x'.repeat(300)}` },
} as unknown as IncomingMessage;
const authInfo = {
  token: 'the-token',
  clientId: 'c',
  scopes: ['a'],
  extra: { subject: 's', issuer: 'https://as' },
};

describe('Telemetry', () => {
  it('a throwing onAuthEvent is logged, never thrown', async () => {
    const warnings: unknown[] = [];
    const t = new Telemetry(
      () => {
        throw new Error('audit log down');
      },
      () => ({ sse: 0, 'streamable-http': 0 }),
      { warn: (msg, meta) => warnings.push([msg, meta]) },
      () => 1,
    );
    await t.loaded;
    expect(() => t.authorization(req, 'sse').accepted(authInfo)).not.toThrow();
    expect(warnings).toEqual([
      ['sse-transport: onAuthEvent threw', { error: 'Error: audit log down' }],
    ]);
  });

  it('events carry the path without its query, no token, and a bounded Origin', async () => {
    const events: AuthEvent[] = [];
    const t = new Telemetry(
      (e) => events.push(e),
      () => ({ sse: 0, 'streamable-http': 0 }),
      {},
      () => 42,
    );
    const record = t.authorization(req, 'streamable-http');
    record.accepted(authInfo);
    record.refused('ERR_X', 401); // after a decision: ignored
    t.originRefused(req, 'origin_not_allowed');
    expect(events[0]).toEqual({
      time: 42,
      method: 'POST',
      path: '/mcp',
      transport: 'streamable-http',
      type: 'accepted',
      principal: { issuer: 'https://as', subject: 's', clientId: 'c' },
      scopes: ['a'],
    });
    expect(events).toHaveLength(2);
    expect((events[1] as { origin: string }).origin).toHaveLength(200);
    expect(JSON.stringify(events)).not.toMatch(/the-token|secret-session/);
  });
});
