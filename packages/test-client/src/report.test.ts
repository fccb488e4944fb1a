import { describe, expect, it } from 'vitest';
import { TestClientError } from './errors.js';
import { formatStep, Report, sanitizeForTerminal } from './report.js';

describe('Report', () => {
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
