import type { CheckReport } from './check.js';
import { sanitizeForTerminal } from './report.js';

/**
 * The check report as a text table: one row per check with PASS, FAIL, WARN or SKIP, then a summary.
 *
 * @example
 * ```ts
 * console.log(formatCheckTable(await checkServer(serverUrl, { unauthenticatedOnly: true })));
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
 */
export function formatCheckTable(result: CheckReport, options: { color?: boolean } = {}): string {
  const label = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' } as const;
  const colors = { pass: 32, fail: 31, warn: 33, skip: 90 } as const;
  const width = Math.max(...result.checks.map((c) => c.title.length), 5);
  const lines = [
    `${'check'.padEnd(width)}  result  detail`,
    `${'-'.repeat(width)}  ------  ------`,
  ];
  for (const c of result.checks) {
    const text = label[c.status].padEnd(6);
    const painted = options.color ? `\u001b[${colors[c.status]}m${text}\u001b[0m` : text;
    lines.push(`${c.title.padEnd(width)}  ${painted}  ${sanitizeForTerminal(c.detail)}`);
  }
  const failed = result.checks.filter((c) => c.status === 'fail').length;
  lines.push(
    '',
    failed === 0 ? 'All checks passed.' : `${failed} check${failed === 1 ? '' : 's'} failed.`,
  );
  return lines.join('\n');
}
