import { checkServer } from './check.js';
import { formatCheckTable } from './check-table.js';
import { parseCliArgs, USAGE, VERSION } from './cli-args.js';
import { UsageError } from './cli-extensions.js';
import { isTestClientError } from './errors.js';
import type { FetchLike } from './internal/http.js';
import type { OpenBrowser } from './open-browser.js';
import { redact } from './redact.js';
import { formatStep, Report, sanitizeForTerminal } from './report.js';
import { type RunOptions, run } from './run.js';

/** Exit codes of `mcp-auth-test-client`. */
export const EXIT_CODES = {
  /** The whole flow (or every check) succeeded. */
  ok: 0,
  /** A step of the flow failed, or a check failed. */
  failure: 1,
  /** Bad command line. */
  usage: 2,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

/** A writable stream, as far as the CLI is concerned. */
export interface CliStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** What {@link runCli} talks to; every part replaceable in tests. */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  env?: Record<string, string | undefined>;
  fetch?: FetchLike;
  openBrowser?: OpenBrowser;
  signal?: AbortSignal;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * The `mcp-auth-test-client` command: parses `argv`, runs the flow (or `--check`), prints each step
 * (or the JSON report) and resolves with the exit code. Never throws.
 *
 * @example
 * ```ts
 * import { runCli } from '@mcp-auth/test-client';
 *
 * const code = await runCli(['http://127.0.0.1:3000/mcp', '--non-interactive', '--json'], {
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 * });
 * process.exitCode = code;
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const env = io.env ?? {};
  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(argv, env);
  } catch (err) {
    if (err instanceof UsageError) {
      // Usage errors quote what was typed: redacted and escaped like everything else printed.
      io.stderr.write(
        `mcp-auth-test-client: ${sanitizeForTerminal(redact(err.message))}\nRun with --help for the options.\n`,
      );
      return EXIT_CODES.usage;
    }
    throw err;
  }
  if (parsed.help) {
    io.stdout.write(`${USAGE}\n`);
    return EXIT_CODES.ok;
  }
  if (parsed.kind !== 'run') {
    io.stdout.write(`${VERSION}\n`);
    return EXIT_CODES.ok;
  }
  const args = parsed;
  const color = !args.json && io.stdout.isTTY === true && !env.NO_COLOR;
  const report = new Report();
  // Everything printed goes through the report's redaction (the text lines, the JSON, the URL).
  const out = (line: string): void => {
    io.stdout.write(`${report.redact(line)}\n`);
  };
  // Human output on stdout; with --json, stdout carries only the JSON, the rest goes to stderr.
  const info = (line: string): void => {
    (args.json ? io.stderr : io.stdout).write(`${report.redact(line)}\n`);
  };
  if (!args.json) report.onStep((step) => out(formatStep(step, { color })));

  const options: RunOptions = {
    ...args.options,
    report,
    ...(io.fetch ? { fetch: io.fetch } : {}),
    ...(io.openBrowser ? { openBrowser: io.openBrowser } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    onAuthorizationUrl: (url) => {
      if (args.options.nonInteractive) return;
      info(
        args.options.open ? `Opening ${url}` : `Open this URL in a browser to authorize:\n  ${url}`,
      );
    },
    onWaitForBrowser: () => {
      if (io.stderr.isTTY) {
        const started = Date.now();
        let frame = 0;
        const draw = (): void => {
          const secs = Math.floor((Date.now() - started) / 1000);
          io.stderr.write(
            `\r${SPINNER[frame++ % SPINNER.length]} Waiting for the browser… ${secs}s (Ctrl-C to abort)`,
          );
        };
        draw();
        const timer = setInterval(draw, 100);
        return () => {
          clearInterval(timer);
          io.stderr.write('\r\u001b[2K');
        };
      }
      io.stderr.write('Waiting for the authorization response…\n');
      return undefined;
    },
  };

  try {
    if (args.check) {
      const result = await checkServer(args.serverUrl, {
        ...options,
        ...(args.otherResource !== undefined ? { otherResource: args.otherResource } : {}),
        ...(args.otherResourceScope !== undefined
          ? { otherResourceScope: args.otherResourceScope }
          : {}),
        ...(args.unauthenticatedOnly ? { unauthenticatedOnly: true } : {}),
        ...(args.origin !== undefined ? { origin: args.origin } : {}),
      });
      const code = io.signal?.aborted
        ? EXIT_CODES.interrupted
        : result.ok
          ? EXIT_CODES.ok
          : EXIT_CODES.failure;
      if (args.json) {
        out(
          JSON.stringify(
            {
              ok: result.ok,
              exitCode: code,
              serverUrl: result.serverUrl,
              checks: result.checks,
              steps: report.toJSON().steps,
            },
            null,
            2,
          ),
        );
      } else {
        out('');
        out(formatCheckTable(result, { color }));
      }
      return code;
    }

    const result = await run(args.serverUrl, options);
    const interrupted = io.signal?.aborted === true;
    const code = interrupted
      ? EXIT_CODES.interrupted
      : result.ok
        ? EXIT_CODES.ok
        : EXIT_CODES.failure;
    if (args.json) {
      const body = {
        ok: result.ok,
        exitCode: code,
        serverUrl: args.serverUrl,
        transport: result.transport,
        tools: result.tools,
        ...(args.options.call
          ? { call: { name: args.options.call.name, result: result.callResult } }
          : {}),
        authorizationAttempts: result.authorizationAttempts,
        error: result.error,
        steps: report.toJSON().steps,
      };
      out(JSON.stringify(body, null, 2));
    } else {
      out('');
      out(
        result.ok
          ? `All steps passed (${result.authorizationAttempts} authorization${result.authorizationAttempts === 1 ? '' : 's'}, ${result.transport === 'sse' ? 'SSE' : 'Streamable HTTP'}).`
          : sanitizeForTerminal(
              `Failed: ${result.error?.code ?? 'ERR_UNEXPECTED'}: ${result.error?.message ?? 'unknown error'}`,
            ),
      );
    }
    return code;
  } catch (err) {
    if (err instanceof TypeError && !isTestClientError(err)) {
      io.stderr.write(`mcp-auth-test-client: ${sanitizeForTerminal(report.redact(err.message))}\n`);
      return EXIT_CODES.usage;
    }
    io.stderr.write(
      sanitizeForTerminal(
        `mcp-auth-test-client: ${report.redact((err as Error)?.message ?? String(err))}`,
      ) + '\n',
    );
    return EXIT_CODES.failure;
  }
}
