import type { IncomingHttpHeaders } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { ClusterRedisClient, connectRedis } from './redis.js';

/** Options of `cluster`: several instances sharing sessions through Redis. */
export interface ClusterOptions {
  /**
   * A node-redis v5 client you created (`createClient()`, `createCluster()` or `createSentinel()`
   * from `redis`; you connect and close it, and attach its `error` listener), or a
   * `redis://`/`rediss://` URL (the server creates, connects and closes its own client). A duplicate
   * connection is opened for pub/sub.
   */
  redis: ClusterRedisClient | string;
  /** This instance's id (its heartbeat key and channel). Default: random per process. */
  instanceId?: string;
  /** Prefix of every key and channel. Default `mcp-auth:cluster:`. */
  prefix?: string;
  /**
   * Interval of this instance's heartbeat, in ms; an instance without a heartbeat for 3 intervals
   * is dead and its sessions end (404 from every instance). Default 2000.
   */
  heartbeatMs?: number;
  /**
   * How long a forwarded request waits for the holding instance to take it (ms); after that the
   * client gets 503 (or 404 when that instance is dead). Default 2000.
   */
  forwardTimeoutMs?: number;
  /** Deadline of every Redis command (ms). Default 500. */
  commandTimeoutMs?: number;
}

/** A request for a session held by another instance, as sent to that instance (never a token). */
export interface RelayedCall {
  sessionId: string;
  transport: 'sse' | 'streamable-http';
  method: 'post' | 'get' | 'delete';
  /** The sender's principal (issuer + subject + client), as computed by the receiving instance. */
  owner: string;
  messages?: JSONRPCMessage[];
  batch?: boolean;
  /** The verified `authInfo` without its token (`token: ''`). */
  authInfo?: AuthInfo;
  /** The request headers without `Authorization`, `Cookie`, `Proxy-Authorization` and `DPoP`. */
  headers: IncomingHttpHeaders;
}

/** Where a session lives, as the directory says. */
export type SessionLocation =
  | { kind: 'unknown' }
  | { kind: 'unavailable' }
  | { kind: 'remote'; instance: string; owner: string };

/** Refusals the cluster answers through the endpoint's own error format. */
export type ClusterRefusal = 404 | 503;

/** The cluster options with every default applied (what `Cluster` runs on). */
export interface ResolvedClusterOptions {
  redis: Parameters<typeof connectRedis>[0];
  instanceId: string;
  prefix: string;
  heartbeatMs: number;
  forwardTimeoutMs: number;
  commandTimeoutMs: number;
  sessionTtlMs: number;
}
