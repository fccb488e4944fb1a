import type { IncomingMessage } from 'node:http';
import type { Cluster } from '../cluster/cluster.js';
import type { Logger } from '../internal/logger.js';
import type { RequestAuth } from '../internal/request-auth.js';
import type { RegisteredSession, SessionRegistry } from '../sessions.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { McpServerFactory, McpServerLike } from '../types.js';
import type { ModernHandler } from './modern.js';
import type { StreamableHttpServerTransport } from './transport.js';

/** What the Streamable HTTP endpoint needs from its handler. */
export interface StreamableContext {
  readonly registry: SessionRegistry;
  /** Sessions held by other instances (`cluster` option). */
  readonly cluster: Cluster | undefined;
  readonly telemetry: Telemetry;
  /** `undefined` when the endpoint is served without authentication. */
  readonly auth: RequestAuth | undefined;
  readonly corsHeaders: (req: IncomingMessage) => Record<string, string>;
  readonly createMcpServer: McpServerFactory;
  /** `Mcp-Session-Id` sessions (true) or one MCP server per request (false). */
  readonly stateful: boolean;
  readonly modern: ModernHandler | undefined;
  /** Stateless with one MCP server for every request (ids remapped). */
  readonly sharedServer: McpServerLike | undefined;
  readonly maxMessageBytes: number;
  readonly bodyTimeoutMs: number;
  readonly maxBatchLength: number;
  readonly maxBufferedBytes: number;
  readonly logger: Logger;
  readonly now: () => number;
  readonly isClosing: () => boolean;
}

export interface StreamableSession extends RegisteredSession {
  readonly stream: StreamableHttpServerTransport;
}

/** `Mcp-Session-Id` values this server issues (and the only ones it looks up). */
export const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;
