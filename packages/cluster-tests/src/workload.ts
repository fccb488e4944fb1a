/**
 * SDK v1 clients calling `whoami` through the load balancer in a loop, over Streamable HTTP or the
 * legacy SSE transport, each as its own user; every answer is checked against the caller, and
 * every failure is classified by the status the server (or the load balancer) answered.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

export type TransportKind = 'streamable' | 'sse';

/** What the clients saw. */
export interface Counters {
  /** Tool calls answered for the caller's own principal. */
  ok: number;
  /** Answers naming another principal than the caller (must stay 0). */
  wrongPrincipal: number;
  /** Failed calls or connects, by class: `http-<status>`, `closed`, `timeout`, `network`, `other`. */
  failures: Record<string, number>;
  /** Sessions opened. */
  sessions: number;
  /** Instances that answered, by id (the load balancer spreads the sessions). */
  instances: Record<string, number>;
  /** Answers by second since the start, for the "recovered after the faults" check. */
  okAt: number[];
  /** Messages of unclassified failures (at most 20). */
  otherMessages: string[];
  /** The first message of each failure class. */
  samples: Record<string, string>;
  /** When each failure happened (ms since the start), by class. */
  failuresAt: Record<string, number[]>;
}

export function newCounters(): Counters {
  return {
    ok: 0,
    wrongPrincipal: 0,
    failures: {},
    sessions: 0,
    instances: {},
    okAt: [],
    otherMessages: [],
    samples: {},
    failuresAt: {},
  };
}

/** The class of a failure: the HTTP status when there was one. */
export function classify(error: unknown): string {
  if (error instanceof StreamableHTTPError || error instanceof SseError) {
    return error.code !== undefined && error.code > 0 ? `http-${error.code}` : 'closed';
  }
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) return 'timeout';
    if (error.code === ErrorCode.ConnectionClosed) return 'closed';
  }
  const message = error instanceof Error ? error.message : String(error);
  const status = /\(HTTP (\d{3})\)|HTTP (\d{3})/.exec(message);
  if (status) return `http-${status[1] ?? status[2]}`;
  if (
    /fetch failed|ECONNRESET|ECONNREFUSED|socket hang up|terminated|other side closed/i.test(
      message,
    )
  ) {
    return 'network';
  }
  if (/Not connected|Connection closed/i.test(message)) return 'closed';
  return 'other';
}

function count(counters: Counters, error: unknown, startedAt: number): void {
  const kind = classify(error);
  const at = counters.failuresAt[kind] ?? [];
  at.push(Date.now() - startedAt);
  counters.failuresAt[kind] = at;
  counters.failures[kind] = (counters.failures[kind] ?? 0) + 1;
  counters.samples[kind] ??= (error instanceof Error ? error.message : String(error)).slice(0, 300);
  if (kind === 'other' && counters.otherMessages.length < 20) {
    counters.otherMessages.push(error instanceof Error ? error.message : String(error));
  }
}

export interface WorkerOptions {
  kind: TransportKind;
  /** The subject whose token the worker uses: every answer must name it. */
  user: string;
  /** The worker's current token (it may change: key rotation). */
  token: () => string;
  /** Base URL of the load balancer. */
  url: string;
  /** Stop at this time (ms since the epoch). */
  until: number;
  /** Calls per session before it is ended and a new one opened. */
  callsPerSession: number;
  startedAt: number;
  counters: Counters;
  /** Receives the id of each Streamable HTTP session opened (the hijack probes use them). */
  onSession?: (sessionId: string) => void;
}

function transportFor(o: WorkerOptions) {
  const requestInit = { headers: { authorization: `Bearer ${o.token()}` } };
  return o.kind === 'streamable'
    ? new StreamableHTTPClientTransport(new URL(`${o.url}/mcp`), { requestInit })
    : new SSEClientTransport(new URL(`${o.url}/sse`), {
        requestInit,
        eventSourceInit: {
          fetch: (input, init) =>
            fetch(input, {
              ...init,
              headers: { ...(init?.headers as object), authorization: `Bearer ${o.token()}` },
            }),
        },
      });
}

/** One client: sessions of `callsPerSession` calls, until `until`; failures open a new session. */
export async function runWorker(o: WorkerOptions): Promise<void> {
  const c = o.counters;
  while (Date.now() < o.until) {
    const client = new Client({ name: `worker-${o.user}`, version: '1.0.0' });
    client.onerror = () => undefined;
    const transport = transportFor(o);
    try {
      await client.connect(transport, { timeout: 5_000 });
      c.sessions++;
      if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
        o.onSession?.(transport.sessionId);
      }
      for (let i = 0; i < o.callsPerSession && Date.now() < o.until; i++) {
        const result = await client.callTool({ name: 'whoami', arguments: {} }, undefined, {
          timeout: 5_000,
        });
        const text = (result.content as [{ text: string }])[0].text;
        const who = JSON.parse(text) as { subject: string; instance: string };
        if (who.subject !== o.user) c.wrongPrincipal++;
        else {
          c.ok++;
          c.instances[who.instance] = (c.instances[who.instance] ?? 0) + 1;
          const second = Math.floor((Date.now() - o.startedAt) / 1000);
          c.okAt[second] = (c.okAt[second] ?? 0) + 1;
        }
      }
      if (transport instanceof StreamableHTTPClientTransport) {
        await transport.terminateSession().catch((error: unknown) => count(c, error, o.startedAt));
      }
    } catch (error) {
      count(c, error, o.startedAt);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await client.close().catch(() => undefined);
    }
  }
}
