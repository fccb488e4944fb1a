import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { obtainTokens } from './authorize.js';
import { isTestClientError, TestClientError } from './errors.js';
import { CLIENT_INFO, snippet } from './internal/http.js';
import { AuthSession } from './internal/session.js';
import type { AuthorizeOptions, TokenSet } from './options.js';
import type { Report } from './report.js';

/** Options of {@link connect}. */
export interface ConnectOptions extends AuthorizeOptions {
  /** Tokens from an earlier {@link authorize}: no authorization unless the server refuses them. */
  tokens?: TokenSet;
}

/** The transport a connection ended up on. */
export type ConnectedTransport = 'streamable-http' | 'sse';

interface Connected {
  client: Client;
  transport: ConnectedTransport;
}

const clients = new WeakMap<Client, { session: AuthSession; transport: ConnectedTransport }>();

/**
 * Authorizes (as {@link authorize} does) and connects an official MCP SDK `Client` to `serverUrl`
 * with the access token. `transport: 'auto'` (the default) tries Streamable HTTP, then falls back to
 * SSE, as current MCP clients do. The client keeps handling authorization: a 401 on any later
 * request refreshes or re-authorizes, and a 403 `insufficient_scope` re-authorizes with the union of
 * the scopes (at most 3 authorization attempts in all), then the request is retried.
 *
 * Close the returned client with `client.close()`; it also stops the redirect listener.
 *
 * @example
 * ```ts
 * import { connect } from '@mcp-auth/test-client';
 *
 * const client = await connect('http://127.0.0.1:3000/mcp', { nonInteractive: true });
 * const { tools } = await client.listTools();
 * const result = await client.callTool({ name: 'whoami', arguments: {} });
 * await client.close();
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#backwards-compatibility
 */
export async function connect(
  serverUrl: string | URL,
  options: ConnectOptions = {},
): Promise<Client> {
  const session = new AuthSession(serverUrl, options);
  try {
    if (options.tokens) {
      session.tokens = { ...options.tokens };
      session.report.secret(options.tokens.accessToken);
      session.report.secret(options.tokens.refreshToken);
    } else {
      await obtainTokens(session, { lazy: true });
    }
    const { client } = await connectSession(session);
    return client;
  } catch (err) {
    await session.close().catch(() => {});
    throw err;
  }
}

/**
 * The report of a client made by {@link connect} (steps so far, including re-authorizations).
 *
 * @example
 * ```ts
 * const client = await connect(serverUrl, { nonInteractive: true });
 * await client.callTool({ name: 'admin_stats', arguments: {} }); // may step up
 * console.log(getConnectionReport(client)?.steps.map((s) => s.id));
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-challenge-handling
 */
export function getConnectionReport(client: Client): Report | undefined {
  return clients.get(client)?.session.report;
}

/** Connects an SDK client with the session's authorizing fetch (step `connect`). */
export async function connectSession(session: AuthSession): Promise<Connected> {
  const kind = session.options.transport ?? 'auto';
  const url = new URL(session.serverUrl);
  const connected = await session.report.step('connect', 'MCP connection', async (s) => {
    const attempt = async (transport: ConnectedTransport): Promise<Connected> => {
      const client = new Client(CLIENT_INFO, { capabilities: {} });
      const t =
        transport === 'streamable-http'
          ? new StreamableHTTPClientTransport(url, { fetch: session.transportFetch })
          : new SSEClientTransport(url, { fetch: session.transportFetch });
      s.sent(
        `${transport === 'streamable-http' ? 'Streamable HTTP' : 'SSE'} initialize to ${url.href}`,
      );
      try {
        await client.connect(t);
      } catch (err) {
        await client.close().catch(() => {});
        throw err;
      }
      return { client, transport };
    };
    let result: Connected;
    if (kind === 'sse') {
      result = await attempt('sse').catch((err) => {
        throw connectFailure(session, err);
      });
    } else {
      try {
        result = await attempt('streamable-http');
      } catch (err) {
        if (session.terminalError || kind === 'streamable-http') throw connectFailure(session, err);
        s.note(`Streamable HTTP failed (${snippet(messageOf(err), 120)}): falling back to SSE`);
        result = await attempt('sse').catch((e) => {
          throw connectFailure(session, e);
        });
      }
    }
    const version = result.client.getServerVersion();
    s.received(
      `${result.transport === 'sse' ? 'SSE' : 'Streamable HTTP'}, server ${version?.name ?? '?'} ${version?.version ?? ''}`.trim(),
    );
    return result;
  });
  clients.set(connected.client, { session, transport: connected.transport });
  const previous = connected.client.onclose;
  connected.client.onclose = () => {
    previous?.();
    void session.close();
  };
  return connected;
}

/** The error to report for an SDK failure: the session's own error when it caused it. */
export function connectFailure(session: AuthSession, err: unknown): unknown {
  if (session.terminalError) return session.terminalError;
  if (isTestClientError(err)) return err;
  return new TestClientError('ERR_CONNECT_FAILED', `Could not connect: ${messageOf(err)}`, {
    url: session.serverUrl,
    cause: err,
  });
}

/** The error to report for a failed MCP request after connecting. */
export function requestFailure(session: AuthSession, err: unknown, what: string): unknown {
  if (session.terminalError) return session.terminalError;
  if (isTestClientError(err)) return err;
  return new TestClientError('ERR_MCP_REQUEST_FAILED', `${what} failed: ${messageOf(err)}`, {
    url: session.serverUrl,
    cause: err,
  });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
