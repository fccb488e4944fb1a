import type { ServerResponse } from 'node:http';
import { positiveInteger } from '@mcp-auth/internal';
import type {
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';

type RequestId = string | number;

/** Options of {@link StreamableHttpServerTransport}. */
export interface StreamableHttpServerTransportOptions {
  /** The session id (stateful sessions); `undefined` for a stateless transport. */
  sessionId?: string | undefined;
  /**
   * One transport for the POSTs of many clients (a shared stateless MCP server): request ids are
   * replaced by ids unique to this transport on the way in and restored on the way out, so two
   * clients may both send `id: 1`. Cancellations name ids the server never saw and are dropped.
   */
  remapIds?: boolean;
  /**
   * Most bytes that may wait unsent on one response stream, or be collected for one JSON response,
   * before the exchange is dropped (a client that stopped reading, a runaway tool). Default 4 MiB.
   */
  maxBufferedBytes?: number;
}

/** How an exchange (one POST with requests) answers: not decided yet, one JSON body, or a stream. */
type ExchangeMode = 'pending' | 'sse' | 'done';

/** One POST that carried requests: its response stays open until every request is answered. */
interface Exchange {
  readonly res: ServerResponse;
  /** Ids of the requests of this POST still waiting for their response. */
  readonly open: Set<RequestId>;
  /** Responses collected for a JSON answer (mode 'pending'), serialized once. */
  readonly collected: string[];
  /** The POST carried a JSON-RPC batch: the JSON answer is an array too. */
  readonly batch: boolean;
  /** Response headers of this exchange (CORS for its request, the session id). */
  readonly headers: Record<string, string>;
  /** With `remapIds`: the client's id of each request, by the id the server saw. */
  readonly originals: Map<RequestId, RequestId> | undefined;
  mode: ExchangeMode;
  collectedBytes: number;
}

/** Why {@link StreamableHttpServerTransport.handlePost} refused a POST before delivering anything. */
export type StreamableRefusal = 'duplicate-request-id' | 'closed';

const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const KEEP_ALIVE_FRAME = ': keep-alive\n\n';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-store, no-transform',
  connection: 'keep-alive',
  // Proxies such as nginx buffer responses unless told otherwise.
  'x-accel-buffering': 'no',
} as const;

function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return 'method' in message && 'id' in message;
}

function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return !('method' in message) && ('result' in message || 'error' in message);
}

/**
 * The server side of the MCP Streamable HTTP transport (revisions 2025-03-26 to 2025-11-25) on
 * `node:http`, implementing the official SDK's `Transport` interface for one session (or, without
 * a session id, for one stateless exchange).
 *
 * The HTTP endpoint (see `createHandler`) authenticates, reads and validates every POST, then hands
 * its messages to {@link StreamableHttpServerTransport.handlePost} together with the response.
 * Each POST that carries requests is answered when the MCP server has answered all of them: with
 * one `application/json` body when nothing else was sent first, or as a `text/event-stream` as soon
 * as the server sends a notification or request related to it (progress, sampling, elicitation),
 * so clients see those messages before the result. Messages unrelated to any request go to the
 * session's standalone GET stream when one is open.
 *
 * Unlike the SDK's transport it reads no request bodies and performs no checks of its own (the
 * endpoint does, once, with limits), bounds what waits for a slow client, and makes no copies of
 * the messages.
 *
 * @example
 * ```ts
 * const transport = new StreamableHttpServerTransport({ sessionId: generateSessionId() });
 * await mcpServer.connect(transport);
 * // for each authenticated POST of this session, after validation:
 * transport.handlePost(messages, { authInfo, requestInfo: { headers: req.headers } }, res, {
 *   batch: false,
 *   headers: {},
 * });
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#streamable-http
 */
export class StreamableHttpServerTransport implements Transport {
  readonly sessionId: string | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?:
    | (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void)
    | undefined;
  /** The protocol revision the session negotiated (set by the SDK after `initialize`). */
  protocolVersion: string | undefined;

  readonly #maxBufferedBytes: number;
  readonly #remapIds: boolean;
  #nextId = 1;
  readonly #exchanges = new Map<RequestId, Exchange>();
  #standalone: ServerResponse | undefined;
  #started = false;
  #closed = false;

  constructor(options: StreamableHttpServerTransportOptions = {}) {
    const max = positiveInteger(
      options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
      'maxBufferedBytes',
    );
    this.sessionId = options.sessionId;
    this.#maxBufferedBytes = max;
    this.#remapIds = options.remapIds ?? false;
  }

  /** The response headers for one answer: the given ones plus the session id. */
  #withSession(headers: Record<string, string>): Record<string, string> {
    return this.sessionId === undefined
      ? headers
      : { ...headers, 'mcp-session-id': this.sessionId };
  }

  /** Whether the transport was started (connected to an MCP server) and is not closed. */
  get isOpen(): boolean {
    return this.#started && !this.#closed;
  }

  /** Number of requests waiting for their response. */
  get pendingRequests(): number {
    return this.#exchanges.size;
  }

  /** Whether a standalone GET stream is open. */
  get hasStandaloneStream(): boolean {
    return this.#standalone !== undefined;
  }

  /** Called by the SDK's `connect()`. Nothing to send: answers go out per request. */
  async start(): Promise<void> {
    if (this.#started) {
      throw new Error('StreamableHttpServerTransport already started (connect() calls start())');
    }
    this.#started = true;
  }

  /** Called by the SDK once `initialize` settled the revision. */
  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  /**
   * Delivers the validated messages of one POST and answers it: 202 when it carried no request,
   * otherwise once every request of it is answered. Returns a refusal, and delivers nothing, when a
   * request id is already waiting in this session or the transport is closed. `headers` go with
   * the answer (CORS headers for this request, for example).
   */
  handlePost(
    messages: readonly JSONRPCMessage[],
    extra: MessageExtraInfo,
    res: ServerResponse,
    options: { batch: boolean; headers: Record<string, string> },
  ): StreamableRefusal | undefined {
    if (!this.isOpen) return 'closed';
    const delivered = this.#remapIds ? this.#remap(messages) : messages;
    const ids: RequestId[] = [];
    for (const message of delivered) {
      if (!isRequest(message)) continue;
      if (this.#exchanges.has(message.id) || ids.includes(message.id)) {
        return 'duplicate-request-id';
      }
      ids.push(message.id);
    }
    const headers = this.#withSession(options.headers);
    if (ids.length === 0) {
      res.writeHead(202, { ...headers, 'content-length': '0' });
      res.end();
    } else {
      const exchange: Exchange = {
        res,
        open: new Set(ids),
        collected: [],
        batch: options.batch,
        headers,
        originals: this.#remapIds ? this.#originals(messages, delivered) : undefined,
        mode: 'pending',
        collectedBytes: 0,
      };
      for (const id of ids) this.#exchanges.set(id, exchange);
      res.once('close', () => this.#abandon(exchange));
    }
    for (const message of delivered) this.onmessage?.(message, extra);
    return undefined;
  }

  /**
   * Opens the session's standalone stream (GET) for messages not related to a request. Returns
   * `false`, and writes nothing, when one is already open (the endpoint answers 409).
   */
  openStandaloneStream(res: ServerResponse, headers: Record<string, string>): boolean {
    if (!this.isOpen || this.#standalone !== undefined) return false;
    this.#standalone = res;
    res.once('close', () => {
      if (this.#standalone === res) this.#standalone = undefined;
    });
    res.writeHead(200, { ...this.#withSession(headers), ...SSE_HEADERS });
    res.socket?.setNoDelay(true);
    res.flushHeaders();
    return true;
  }

  /** Ends the standalone stream, if one is open (the token that opened it expired, say). */
  closeStandaloneStream(): void {
    const res = this.#standalone;
    this.#standalone = undefined;
    if (res !== undefined && !res.writableEnded) res.end();
  }

  /**
   * Sends one message from the MCP server: a response completes its request's exchange; a request
   * or notification goes to the exchange of `relatedRequestId` (turning its answer into a stream),
   * else to the standalone stream, else nowhere (the client did not open one).
   */
  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#closed) throw new Error('Not connected');
    if (isResponse(message)) {
      this.#respond(message);
      return;
    }
    const related = options?.relatedRequestId;
    const exchange = related === undefined ? undefined : this.#exchanges.get(related);
    if (exchange !== undefined) {
      this.#stream(exchange, message);
    } else if (this.#standalone !== undefined) {
      this.#writeFrame(this.#standalone, message);
    }
  }

  /** Writes an SSE comment on every open stream, so proxies and clients see traffic. */
  keepAlive(): void {
    if (this.#standalone !== undefined) this.#writeRaw(this.#standalone, KEEP_ALIVE_FRAME);
    for (const exchange of new Set(this.#exchanges.values())) {
      if (exchange.mode === 'sse') this.#writeRaw(exchange.res, KEEP_ALIVE_FRAME);
    }
  }

  /** Ends every open answer and stream; `onclose` fires once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const exchange of new Set(this.#exchanges.values())) {
      this.#end(exchange, 503);
    }
    this.#exchanges.clear();
    this.closeStandaloneStream();
    this.onclose?.();
  }

  /** Requests get ids unique to this transport; cancellations (of ids we renamed) are dropped. */
  #remap(messages: readonly JSONRPCMessage[]): JSONRPCMessage[] {
    const out: JSONRPCMessage[] = [];
    for (const message of messages) {
      if (isRequest(message)) out.push({ ...message, id: this.#nextId++ });
      else if (!('method' in message) || message.method !== 'notifications/cancelled')
        out.push(message);
    }
    return out;
  }

  #originals(
    messages: readonly JSONRPCMessage[],
    delivered: readonly JSONRPCMessage[],
  ): Map<RequestId, RequestId> {
    const originals = new Map<RequestId, RequestId>();
    const requests = messages.filter(isRequest);
    let i = 0;
    for (const message of delivered) {
      if (isRequest(message)) originals.set(message.id, requests[i++]!.id);
    }
    return originals;
  }

  #respond(response: JSONRPCMessage & { id: RequestId }): void {
    const exchange = this.#exchanges.get(response.id);
    // Unknown: the client went away (or the id was never ours); the answer has nowhere to go.
    if (exchange === undefined) return;
    this.#exchanges.delete(response.id);
    exchange.open.delete(response.id);
    const original = exchange.originals?.get(response.id);
    const message = original === undefined ? response : { ...response, id: original };
    if (exchange.mode === 'sse') {
      this.#writeFrame(exchange.res, message);
    } else if (exchange.mode === 'pending') {
      const json = JSON.stringify(message);
      exchange.collected.push(json);
      exchange.collectedBytes += json.length;
      if (exchange.collectedBytes > this.#maxBufferedBytes) {
        this.#overflow(exchange);
        return;
      }
    }
    if (exchange.open.size === 0) this.#end(exchange, 200);
  }

  #stream(exchange: Exchange, message: JSONRPCMessage): void {
    if (exchange.mode === 'pending') {
      exchange.mode = 'sse';
      exchange.res.writeHead(200, { ...exchange.headers, ...SSE_HEADERS });
      exchange.res.socket?.setNoDelay(true);
      for (const earlier of exchange.collected) {
        this.#writeRaw(exchange.res, `event: message\ndata: ${earlier}\n\n`);
      }
      exchange.collected.length = 0;
    }
    if (exchange.mode === 'sse') this.#writeFrame(exchange.res, message);
  }

  /** Finishes an exchange: the JSON answer, or the end of its stream. */
  #end(exchange: Exchange, status: 200 | 503): void {
    const { res } = exchange;
    const mode = exchange.mode;
    exchange.mode = 'done';
    for (const id of exchange.open) this.#exchanges.delete(id);
    exchange.open.clear();
    if (res.writableEnded) return;
    if (mode === 'sse') {
      res.end();
      return;
    }
    if (mode !== 'pending' || res.headersSent) return;
    if (status === 503) {
      res.writeHead(503, { ...exchange.headers, 'retry-after': '5', 'content-length': '0' });
      res.end();
      return;
    }
    const body = exchange.batch ? `[${exchange.collected.join(',')}]` : exchange.collected[0]!;
    res.writeHead(200, {
      ...exchange.headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(body);
  }

  /** The client closed the connection before the answer: forget its requests. */
  #abandon(exchange: Exchange): void {
    if (exchange.mode === 'done') return;
    exchange.mode = 'done';
    for (const id of exchange.open) this.#exchanges.delete(id);
    exchange.open.clear();
  }

  #overflow(exchange: Exchange): void {
    this.#abandon(exchange);
    this.onerror?.(new Error('Response larger than maxBufferedBytes: exchange dropped'));
    exchange.res.destroy();
  }

  #writeFrame(res: ServerResponse, message: JSONRPCMessage): void {
    // JSON.stringify escapes CR and LF inside strings, so the data is one line.
    this.#writeRaw(res, `event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  #writeRaw(res: ServerResponse, frame: string): void {
    if (res.writableEnded || res.destroyed) return;
    res.write(frame);
    // A client that does not read lets the buffer grow without bound: drop it instead.
    if (res.writableLength > this.#maxBufferedBytes) {
      for (const [id, exchange] of this.#exchanges) {
        if (exchange.res === res) {
          this.#exchanges.delete(id);
          exchange.mode = 'done';
        }
      }
      if (this.#standalone === res) this.#standalone = undefined;
      this.onerror?.(new Error('Stream buffer over maxBufferedBytes: stream dropped'));
      res.destroy();
    }
  }
}
