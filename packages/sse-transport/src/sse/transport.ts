import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { positiveInteger } from '@mcp-auth/internal';
import type {
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { isJsonRpcMessage } from '../internal/jsonrpc.js';

/** Options of {@link SseServerTransport}. */
export interface SseServerTransportOptions {
  /**
   * The path (or absolute URL on the same origin) clients POST their messages to. The transport
   * appends `?sessionId=<id>` and announces it in the `endpoint` event.
   */
  messageEndpoint: string;
  /** The session id; 32 random bytes, base64url, by default. */
  sessionId?: string;
  /**
   * When more than this many bytes wait in the stream's write buffer (a client that stopped reading),
   * the session is dropped. Default 4 MiB.
   */
  maxBufferedBytes?: number;
  /** Extra response headers sent with the stream (CORS headers, for example). */
  headers?: Record<string, string | string[]>;
}

/** Why a stream ended, as told to {@link SseServerTransport.onclosereason} listeners. */
export type SseCloseReason =
  | 'closed' // close() was called
  | 'client-disconnected'
  | 'buffer-overflow'
  | 'token-expired'
  | 'server-shutdown';

const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const KEEP_ALIVE_FRAME = ': keep-alive\n\n';

/**
 * A new random session id: 32 bytes from the CSPRNG, base64url (43 characters). Unguessable, so a
 * session id reveals nothing; it still never replaces a token (every message is authenticated).
 *
 * @example
 * ```ts
 * generateSessionId(); // 'nq4C2m…' (43 characters of [A-Za-z0-9_-])
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-06-18/basic/security_best_practices#session-hijacking
 */
export function generateSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The server side of the MCP HTTP+SSE transport (protocol revision 2024-11-05) on `node:http`,
 * implementing the official SDK's `Transport` interface: messages to the client are written as
 * `event: message` frames on a long-lived `text/event-stream` response; messages from the client
 * arrive via HTTP POST and are handed to {@link SseServerTransport.handleMessage} together with the
 * `authInfo` of the request that carried them, so SDK tool handlers read `extra.authInfo`.
 *
 * Unlike the SDK's `SSEServerTransport` it does not read request bodies itself (the server does, with
 * limits), bounds the stream's write buffer, and can send keep-alive comments.
 *
 * @example
 * ```ts
 * const transport = new SseServerTransport(res, { messageEndpoint: '/messages' });
 * await mcpServer.connect(transport); // calls transport.start(): headers + `endpoint` event
 * // later, for each authenticated POST /messages?sessionId=…:
 * await transport.handleMessage(JSON.parse(body), { authInfo, requestInfo: { headers: req.headers } });
 * ```
 * @see https://modelcontextprotocol.io/specification/2024-11-05/basic/transports#http-with-sse
 */
export class SseServerTransport implements Transport {
  readonly sessionId: string;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?:
    | (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void)
    | undefined;
  /** Called once when the stream ends, with the reason (the server uses it to drop the session). */
  onclosereason?: ((reason: SseCloseReason) => void) | undefined;

  readonly #res: ServerResponse;
  readonly #messageEndpoint: string;
  readonly #maxBufferedBytes: number;
  readonly #headers: Record<string, string | string[]> | undefined;
  #started = false;
  #closed = false;
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#res.uncork();
  };

  constructor(res: ServerResponse, options: SseServerTransportOptions) {
    if (typeof options?.messageEndpoint !== 'string' || options.messageEndpoint === '') {
      throw new TypeError('"messageEndpoint" must be a non-empty string');
    }
    const max = positiveInteger(
      options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
      'maxBufferedBytes',
    );
    this.#res = res;
    this.#messageEndpoint = options.messageEndpoint;
    this.#maxBufferedBytes = max;
    this.#headers = options.headers;
    this.sessionId = options.sessionId ?? generateSessionId();
  }

  /** Whether the stream is open (started and not closed). */
  get isOpen(): boolean {
    return this.#started && !this.#closed;
  }

  /** The URL announced in the `endpoint` event: the message endpoint with `sessionId`. */
  get endpointUrl(): string {
    const url = new URL(this.#messageEndpoint, 'http://placeholder.invalid');
    url.searchParams.set('sessionId', this.sessionId);
    return /^[a-z][a-z0-9+.-]*:/i.test(this.#messageEndpoint)
      ? url.href
      : url.pathname + url.search;
  }

  /**
   * Sends the stream's headers and the `endpoint` event. Called by the SDK's `connect()`.
   */
  async start(): Promise<void> {
    if (this.#started) {
      throw new Error('SseServerTransport already started (connect() calls start())');
    }
    this.#started = true;
    const res = this.#res;
    if (res.destroyed || res.writableEnded) {
      this.#finish('client-disconnected');
      return;
    }
    res.on('close', () => this.#finish('client-disconnected'));
    res.on('error', () => this.#finish('client-disconnected'));
    res.writeHead(200, {
      ...this.#headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store, no-transform',
      connection: 'keep-alive',
      // Proxies such as nginx buffer responses unless told otherwise.
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    this.#write(`event: endpoint\ndata: ${this.endpointUrl}\n\n`);
  }

  /**
   * Writes one JSON-RPC message to the stream as an `event: message` frame.
   * Rejects when the stream is closed.
   */
  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (!this.isOpen) throw new Error('Not connected');
    // JSON.stringify escapes CR and LF inside strings, so the data is one line.
    this.#write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /** Writes an SSE comment so proxies and clients see traffic on an idle stream. */
  keepAlive(): void {
    if (this.isOpen) this.#write(KEEP_ALIVE_FRAME);
  }

  /**
   * Validates a message from the client and hands it to `onmessage` with its `extra` (the
   * `authInfo` and `requestInfo` of the POST that carried it). Throws when the message is not a
   * JSON-RPC message.
   */
  async handleMessage(message: unknown, extra?: MessageExtraInfo): Promise<void> {
    if (!isJsonRpcMessage(message)) {
      const error = new Error('Invalid JSON-RPC message');
      this.onerror?.(error);
      throw error;
    }
    this.onmessage?.(message as JSONRPCMessage, extra);
  }

  /**
   * Hands messages already validated (see `parseJsonRpcMessages`) to `onmessage`, in order,
   * each with the same `extra`. The server uses it to check a whole batch (syntax, scopes) before
   * any of it is delivered.
   */
  deliver(messages: readonly JSONRPCMessage[], extra?: MessageExtraInfo): void {
    for (const message of messages) this.onmessage?.(message, extra);
  }

  /** Ends the stream. `onclose` fires once. */
  async close(): Promise<void> {
    this.closeWithReason('closed');
  }

  /** Ends the stream, telling {@link SseServerTransport.onclosereason} why. */
  closeWithReason(reason: SseCloseReason): void {
    if (this.#closed) return;
    if (this.#started && !this.#res.writableEnded) this.#res.end();
    this.#finish(reason);
  }

  #write(frame: string): void {
    const res = this.#res;
    // Frames written in the same tick (responses to a burst of POSTs) leave in one syscall.
    if (!this.#corked) {
      this.#corked = true;
      res.cork();
      process.nextTick(this.#uncork);
    }
    res.write(frame);
    // A client that does not read lets the buffer grow without bound: drop it instead.
    if (res.writableLength > this.#maxBufferedBytes) {
      this.#finish('buffer-overflow');
      res.destroy();
    }
  }

  #finish(reason: SseCloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclosereason?.(reason);
    this.onclose?.();
  }
}
