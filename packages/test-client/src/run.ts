import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { obtainTokens } from './authorize.js';
import { type ConnectedTransport, connectSession, requestFailure } from './connect.js';
import { isTestClientError, TestClientError } from './errors.js';
import { snippet } from './internal/http.js';
import { AuthSession } from './internal/session.js';
import type { AuthorizeOptions } from './options.js';
import { describeError, Report } from './report.js';

/** Options of {@link run}: the whole flow the CLI runs. */
export interface RunOptions extends AuthorizeOptions {
  /** A tool to call after listing the tools. */
  call?: { name: string; arguments?: Record<string, unknown> };
}

/** What {@link run} returns. It never throws for a failed flow: `ok` is false and `report` says why. */
export interface RunResult {
  ok: boolean;
  report: Report;
  transport?: ConnectedTransport;
  tools?: string[];
  /** The result of the tool call, when one was asked for. */
  callResult?: unknown;
  /** How many authorization attempts were made. */
  authorizationAttempts: number;
  error?: { code: string; message: string };
}

/**
 * The whole flow, as the CLI runs it: authorize, connect with the official SDK client, list the
 * tools, optionally call one, handling 401 and 403 `insufficient_scope` on any request. Resolves with
 * the report; rejects only for programmer errors (a `TypeError` naming the bad option).
 *
 * @example
 * ```ts
 * import { run } from '@mcp-auth/test-client';
 *
 * const result = await run('http://127.0.0.1:3000/mcp', {
 *   nonInteractive: true,
 *   call: { name: 'echo', arguments: { text: 'hi' } },
 * });
 * if (!result.ok) console.error(result.error);
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */
export async function run(serverUrl: string | URL, options: RunOptions = {}): Promise<RunResult> {
  if (options.call !== undefined) {
    if (typeof options.call?.name !== 'string' || options.call.name.length === 0) {
      throw new TypeError('"call.name" must be a non-empty string');
    }
    const args = options.call.arguments;
    if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
      throw new TypeError('"call.arguments" must be an object');
    }
  }
  const report = options.report ?? new Report(options.now ? { now: options.now } : {});
  let session: AuthSession;
  try {
    session = new AuthSession(serverUrl, { ...options, report });
  } catch (err) {
    // Bad options are the programmer's; a URL refused by policy is a failed run.
    if (!isTestClientError(err)) throw err;
    await report
      .step('server_url', 'Server URL', () => {
        throw err;
      })
      .catch(() => {});
    const error = describeError(err);
    return {
      ok: false,
      report,
      authorizationAttempts: 0,
      error: { code: error.code, message: report.redact(error.message) },
    };
  }
  const result: RunResult = { ok: false, report, authorizationAttempts: 0 };
  let client: Client | undefined;
  try {
    await obtainTokens(session, { lazy: true });
    const connected = await connectSession(session);
    client = connected.client;
    result.transport = connected.transport;
    const c = client;
    result.tools = await report.step('list_tools', 'List tools', async (s) => {
      s.sent('tools/list');
      const listed = await c.listTools().catch((err) => {
        throw requestFailure(session, err, 'tools/list');
      });
      const names = listed.tools.map((t) => t.name);
      s.received(
        `${names.length} tool${names.length === 1 ? '' : 's'}${names.length ? `: ${names.join(', ')}` : ''}`,
      );
      return names;
    });
    if (options.call) {
      const call = options.call;
      result.callResult = await report.step('call_tool', `Call ${call.name}`, async (s) => {
        s.sent(`tools/call ${call.name} ${JSON.stringify(call.arguments ?? {})}`);
        const called = await c
          .callTool({ name: call.name, arguments: call.arguments ?? {} })
          .catch((err) => {
            throw requestFailure(session, err, `tools/call ${call.name}`);
          });
        const text = summarize(called);
        s.received(text);
        if (called.isError === true) {
          throw new TestClientError(
            'ERR_TOOL_FAILED',
            `The tool ${call.name} returned an error: ${text}`,
          );
        }
        return called;
      });
    }
    // --refresh when the first authorization happened lazily (the first request needed no token).
    if (options.refresh && !report.steps.some((s) => s.id === 'refresh') && session.tokens) {
      await session.refresh({ required: true });
    }
    result.ok = report.ok && !session.terminalError;
  } catch (err) {
    const error = session.terminalError ?? err;
    if (!report.failure) {
      await report
        .step('error', 'Unexpected error', () => {
          throw error;
        })
        .catch(() => {});
    }
    result.error = describeError(
      isTestClientError(error) ? error : (report.failure?.error ?? error),
    );
    if (report.failure?.error) result.error = report.failure.error;
  } finally {
    result.authorizationAttempts = session.attempts;
    await client?.close().catch(() => {});
    await session.close().catch(() => {});
  }
  if (!result.ok && !result.error && report.failure?.error) result.error = report.failure.error;
  if (result.error) {
    result.error = { code: result.error.code, message: report.redact(result.error.message) };
  }
  return result;
}

function summarize(result: Record<string, unknown>): string {
  if (result.structuredContent !== undefined)
    return snippet(JSON.stringify(result.structuredContent), 300);
  const content = Array.isArray(result.content) ? result.content : [];
  const texts = content
    .map((c: { type?: string; text?: string }) => (c.type === 'text' ? c.text : `[${c.type}]`))
    .filter((t): t is string => typeof t === 'string');
  return snippet(texts.join(' '), 300);
}
