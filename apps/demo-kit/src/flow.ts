import {
  checkServer,
  connect,
  formatCheckTable,
  formatDuration,
  Report,
  type StepRecord,
  sanitizeForTerminal,
} from '@mcp-auth/test-client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { DEMO_USER, type DemoApp, otherResourceFor } from './app.js';
import { STEP_UP_TOOL } from './tools.js';

export interface FlowOptions {
  out: (line: string) => void;
  json?: boolean;
  color?: boolean;
  /** Print everything each step sent and received (tokens still redacted). */
  verbose?: boolean;
  /** The transport to run over: Streamable HTTP at `/mcp` (default) or the deprecated SSE at `/sse`. */
  transport?: DemoTransport;
}

/** The demo's two MCP endpoints: Streamable HTTP (`/mcp`, primary) and HTTP+SSE (`/sse`, deprecated). */
export type DemoTransport = 'streamable-http' | 'sse';

/** The URL of `transport`'s endpoint of a running app. */
export function endpointUrl(app: DemoApp, transport: DemoTransport = 'streamable-http'): string {
  return transport === 'sse' ? app.sseUrl : app.mcpUrl;
}

/** The eleven steps of the MCP authorization flow, as the guide's sequence diagram numbers them. */
export const FLOW_STEPS = [
  'Request without a token → 401 + WWW-Authenticate',
  'Protected resource metadata (RFC 9728)',
  'Authorization server metadata (RFC 8414 / OpenID discovery)',
  'Client identity (pre-registered or dynamic registration)',
  'Scope from the challenge',
  'Authorization request with PKCE S256, state and resource',
  'Login and consent at the authorization server',
  'Callback to the loopback redirect URI (state and iss checked)',
  'Token request with code_verifier and resource',
  'Authenticated request: initialize with the Bearer token',
  'Authenticated tools/list and tools/call whoami',
] as const;

/** Test client step ids → the step number above (first authorization only). */
const NUMBER_OF: Record<string, number> = {
  probe: 1,
  resource_metadata: 2,
  authorization_server: 3,
  client: 4,
  scope: 5,
  authorization_request: 6,
  authorization_response: 8,
  token: 9,
  connect: 10,
  mcp_tools: 11,
};

/** What {@link runFlowReport} returns (tests read it). */
export interface FlowResult {
  ok: boolean;
  report: Report;
  /** `whoami` as the server answered it (after the first authorization). */
  whoami?: Record<string, unknown>;
  /** Tool names from `tools/list`. */
  tools?: string[];
  /** `server_stats` after the step-up. */
  stats?: Record<string, unknown>;
  /** True when a 403 insufficient_scope was seen and answered by a new authorization. */
  steppedUp: boolean;
  error?: { code: string; message: string };
}

/**
 * Runs the whole flow with `@mcp-auth/test-client` against a running demo app (emulation,
 * non-interactive), over Streamable HTTP (default) or the deprecated SSE, then the step-up:
 * `server_stats` → 403 `insufficient_scope` → re-authorization with the union of scopes → success.
 * Returns what it saw.
 *
 * @example
 * const result = await runFlowReport(app, { onStep: (s) => console.log(s.title) });
 * const overSse = await runFlowReport(app, { transport: 'sse' });
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */
export async function runFlowReport(
  app: DemoApp,
  o: { onStep?: (step: StepRecord) => void; transport?: DemoTransport } = {},
): Promise<FlowResult> {
  const transport = o.transport ?? 'streamable-http';
  const report = new Report(o.onStep ? { onStep: o.onStep } : {});
  const result: FlowResult = { ok: false, report, steppedUp: false };
  let client: Client | undefined;
  try {
    // The test client records its own steps (probe … token, then `connect`) in our report.
    client = await connect(endpointUrl(app, transport), {
      ...app.testClientOptions,
      nonInteractive: true,
      transport,
      report,
    });
    await report.step('mcp_tools', FLOW_STEPS[10], async (s) => {
      const list = await client!.listTools();
      result.tools = list.tools.map((t) => t.name);
      s.received(`tools/list → ${result.tools.join(', ')}`);
      const who = await client!.callTool({ name: 'whoami', arguments: {} });
      if (who.isError) throw new Error(`whoami failed: ${textOf(who)}`);
      result.whoami = (who.structuredContent as Record<string, unknown>) ?? JSON.parse(textOf(who));
      const w = result.whoami as {
        subject?: unknown;
        clientId?: unknown;
        scopes?: unknown;
        providerClaims?: unknown;
      };
      s.received(
        `whoami → subject ${String(w.subject)}, client ${String(w.clientId)}, scopes ${(w.scopes as string[] | undefined)?.join(' ') ?? ''}`,
      );
      s.note(`provider claims: ${JSON.stringify(w.providerClaims)}`);
    });
    const before = report.steps.length;
    await report.step(
      'step_up',
      `tools/call ${STEP_UP_TOOL} (needs ${app.stepUpScope}): 403 → step-up → retry`,
      async (s) => {
        const stats = await client!.callTool({ name: STEP_UP_TOOL, arguments: {} });
        if (stats.isError) throw new Error(`${STEP_UP_TOOL} failed: ${textOf(stats)}`);
        result.stats =
          (stats.structuredContent as Record<string, unknown>) ?? JSON.parse(textOf(stats));
        result.steppedUp = report.steps
          .slice(before)
          .some((st) => st.id === 'challenge' && st.received.some((r) => r.startsWith('403')));
        if (!result.steppedUp)
          throw new Error('no 403 insufficient_scope was seen before the call succeeded');
        s.received(`${STEP_UP_TOOL} → ${JSON.stringify(result.stats)}`);
      },
    );
    result.ok = report.ok;
  } catch (err) {
    result.ok = false;
    const e = err as { code?: unknown; message?: unknown };
    result.error = {
      code: typeof e?.code === 'string' ? e.code : 'ERR_FLOW_FAILED',
      message: typeof e?.message === 'string' ? e.message : String(err),
    };
  } finally {
    await client?.close().catch(() => undefined);
  }
  return result;
}

/**
 * Runs {@link runFlowReport} and prints the eleven numbered steps as they happen, then the
 * step-up: one line per step with its main observation (everything with `verbose`). Returns true
 * on success.
 */
export async function runFlow(app: DemoApp, o: FlowOptions): Promise<boolean> {
  const print = o.json ? () => {} : o.out;
  const paint = (code: number, text: string) =>
    o.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  const mark = (status: StepRecord['status']) =>
    status === 'ok' ? paint(32, '✓') : status === 'skip' ? paint(33, '-') : paint(31, '✗');
  const seen = new Set<number>();
  let phase: 'first' | 'step-up' = 'first';
  const show = (step: StepRecord, label: string, indent: string) => {
    print(
      `${indent}${mark(step.status)} ${label} ${paint(2, `(${formatDuration(step.durationMs)})`)}`,
    );
    for (const line of details(step, o.verbose ?? false)) print(`${indent}     ${paint(2, line)}`);
  };
  if (!o.json)
    print(
      `\nThe MCP authorization flow, run by @mcp-auth/test-client against ${endpointUrl(app, o.transport)}:`,
    );
  const onStep = (step: StepRecord) => {
    const n = NUMBER_OF[step.id];
    if (phase === 'first' && n === 8 && !seen.has(7)) {
      seen.add(7);
      const how = app.emulation?.interactive
        ? 'in the browser'
        : `approved automatically as ${DEMO_USER.email} (the local server in non-interactive mode)`;
      print(`  ${mark(step.status === 'fail' ? 'fail' : 'ok')}  7. ${FLOW_STEPS[6]}`);
      print(`       ${paint(2, how)}`);
    }
    if (phase === 'first' && n !== undefined && !seen.has(n)) {
      seen.add(n);
      show(step, `${String(n).padStart(2)}. ${FLOW_STEPS[n - 1]}`, '  ');
      if (n === 11) {
        phase = 'step-up';
        print(
          `\nStep-up: ${STEP_UP_TOOL} needs "${app.stepUpScope}", which the first token does not carry:`,
        );
      }
      return;
    }
    show(step, step.title, '  ');
  };
  const result = await runFlowReport(app, {
    onStep,
    ...(o.transport ? { transport: o.transport } : {}),
  });
  if (o.json) {
    o.out(
      JSON.stringify({ ok: result.ok, steps: result.report.steps, error: result.error }, null, 2),
    );
  } else if (result.ok) {
    print(
      `\n${paint(32, '✓')} The whole flow succeeded: 401 → discovery → PKCE → consent → token → authenticated MCP, and a step-up.`,
    );
  } else {
    print(
      `\n${paint(31, '✗')} The flow failed: ${result.error?.code ?? ''} ${result.error?.message ?? ''}`.trimEnd(),
    );
  }
  return result.ok;
}

/** What to print under a step: its error, else its main observation (all of it when verbose). */
function details(step: StepRecord, verbose: boolean): string[] {
  const clean = (line: string) => sanitizeForTerminal(line);
  const lines: string[] = [];
  if (step.error) lines.push(`${step.error.code}: ${step.error.message}`);
  if (verbose) {
    lines.push(...step.sent.map((l) => `→ ${l}`), ...step.received.map((l) => `← ${l}`));
    lines.push(...step.notes.map((l) => `· ${l}`));
    return lines.map(clean);
  }
  if (!step.error) {
    // The authorization request's answer is a redirect carrying the code: its note says more.
    const main =
      step.id === 'authorization_request'
        ? (step.notes[0] ?? step.received.at(-1))
        : (step.received.at(-1) ?? step.notes[0]);
    if (main) lines.push(main);
  }
  return lines.map((l) => {
    const c = clean(l);
    return c.length > 120 ? `${c.slice(0, 117)}...` : c;
  });
}

/**
 * The `Origin` a browser client of this app sends, for the CORS check: the first ALLOWED_ORIGIN,
 * else the resource's own origin (always served: the Origin check allows it by default).
 */
export function checkOrigin(app: DemoApp): string {
  const allowed = app.config.allowedOrigin ?? '*';
  return allowed !== '*' && allowed[0] ? allowed[0] : new URL(app.resourceUri).origin;
}

/**
 * Runs the test client's conformance checks (`checkServer`) against the app's Streamable HTTP
 * endpoint (or `o.transport`'s) and prints the table. In emulation mode it also obtains a token for
 * another resource of the same authorization server, which must be refused.
 *
 * @example
 * const ok = await runCheck(app, { out: console.log });
 * @see https://www.rfc-editor.org/rfc/rfc9728
 */
export async function runCheck(app: DemoApp, o: FlowOptions): Promise<boolean> {
  const { authorizationParams: _audience, ...clientOptions } = app.testClientOptions;
  const other = app.emulation !== undefined && app.definition.noOtherResourceCheck === undefined;
  const url = endpointUrl(app, o.transport);
  const result = await checkServer(url, {
    ...clientOptions,
    nonInteractive: true,
    ...(o.transport ? { transport: o.transport } : {}),
    ...(other ? { otherResource: otherResourceFor(app.origin) } : {}),
    origin: checkOrigin(app),
  });
  if (o.json) {
    o.out(
      JSON.stringify(
        { ok: result.ok, serverUrl: result.serverUrl, checks: result.checks },
        null,
        2,
      ),
    );
  } else {
    o.out(`\nConformance checks (@mcp-auth/test-client --check) against ${url}:`);
    o.out(formatCheckTable(result, { color: o.color ?? false }));
    if (app.definition.noOtherResourceCheck) {
      o.out(`  (another resource's token: not checked, ${app.definition.noOtherResourceCheck})`);
    }
  }
  return result.ok;
}

function textOf(result: unknown): string {
  const content = (result as { content?: unknown })?.content;
  return (Array.isArray(content) ? content : [])
    .map((c: { type?: string; text?: string }) => (c?.type === 'text' ? (c.text ?? '') : ''))
    .join('');
}
