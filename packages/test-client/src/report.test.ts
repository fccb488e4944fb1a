import { describe, expect, it } from 'vitest';
import { TestClientError } from './errors.js';
import { formatStep, Report, sanitizeForTerminal } from './report.js';

describe('Report', () => {
  it('redacts a code in a Location line recorded before the code was registered', async () => {
    const lines: string[] = [];
    const report = new Report({ onStep: (s) => lines.push(formatStep(s)) });
    const code = 'Wh1tEr4bB1tC0d3-0123456789';
    await report.step('authorization_request', 'Authorization request', (s) => {
      s.received(`303 Location: http://127.0.0.1:5000/callback?code=${code}&state=st4t3`);
    });
    expect(lines[0]).toContain('callback?code=Wh1t…6789&state=st4t3');
    expect(lines[0]).not.toContain(code);
  });

  it('toJSON redacts again: a secret registered after a step is removed from it too', async () => {
    const report = new Report();
    const opaque = 'opaque-token-value-that-no-pattern-knows';
    await report.step('call_tool', 'Call whoami', (s) => s.received(`{"echo":"${opaque}"}`));
    expect(report.steps[0]!.received[0]).toContain(opaque);
    report.secret(opaque);
    const json = JSON.stringify(report);
    expect(json).not.toContain(opaque);
    expect(json).toContain('opaq…nows');
  });

  it('records steps with durations, redacts secrets and rethrows failures', async () => {
    let t = 1000;
    const seen: string[] = [];
    const report = new Report({ now: () => t, onStep: (s) => seen.push(s.id) });
    const token = 'eyJhbGciOiJSUzI1NiJ9.secret-payload.signature';
    await report.step('token', 'Token request', (s) => {
      report.secret(token);
      s.sent('POST /token');
      s.received(`access_token=${token}`);
      t += 42;
    });
    await expect(
      report.step('connect', 'MCP connection', () => {
        t += 1500;
        throw new TestClientError('ERR_CONNECT_FAILED', `refused ${token}`);
      }),
    ).rejects.toMatchObject({ code: 'ERR_CONNECT_FAILED' });
    await report.step('refresh', 'Refresh', (s) => s.skip('no refresh_token was issued'));
    expect(seen).toEqual(['token', 'connect', 'refresh']);
    expect(report.steps.map((s) => [s.status, s.durationMs])).toEqual([
      ['ok', 42],
      ['fail', 1500],
      ['skip', 0],
    ]);
    const json = JSON.stringify(report);
    expect(json).not.toContain(token);
    expect(json).toContain('eyJh…ture');
    expect(report.ok).toBe(false);
    expect(report.failure?.error).toEqual({
      code: 'ERR_CONNECT_FAILED',
      message: 'refused eyJh…ture',
    });
    expect(formatStep(report.steps[0]!)).toBe(
      '✓ Token request (42 ms) · sent: POST /token · received: access_token=eyJh…ture',
    );
    expect(formatStep(report.steps[1]!)).toBe(
      '✗ MCP connection (1.5 s) · ERR_CONNECT_FAILED: refused eyJh…ture',
    );
    expect(formatStep(report.steps[2]!)).toBe('- Refresh (0 ms) · no refresh_token was issued');
  });

  it('an empty report is not ok', () => {
    expect(new Report().ok).toBe(false);
  });

  it('neutralises terminal escapes and line breaks from servers', () => {
    expect(sanitizeForTerminal('a\u001b[2Jb\r\nc\u0007')).toBe('a\\x1b[2Jb\\x0d\\x0ac\\x07');
  });
});
