import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** What a relayed response sends back to the instance that holds the client's connection. */
export type RelayFrame =
  | { k: 'head'; st: number; h: Record<string, string> }
  | { k: 'data'; d: string }
  | { k: 'end' }
  | { k: 'abort' };

/**
 * The part of `ServerResponse` the transports and `sendJson` use, writing to another instance
 * instead of a socket: each call becomes a frame sent over Redis pub/sub, in order. The instance
 * that holds the client's connection writes the frames to it. `close` fires when the answer ended,
 * was aborted, or the other instance reported that its client went away ({@link RelayResponse.abandon}).
 */
export class RelayResponse extends EventEmitter {
  headersSent = false;
  writableEnded = false;
  destroyed = false;
  readonly writableLength = 0;
  readonly socket = undefined;
  statusCode = 200;
  readonly #send: (frame: RelayFrame) => void;
  #closed = false;

  constructor(send: (frame: RelayFrame) => void) {
    super();
    this.#send = send;
  }

  writeHead(status: number, headers: OutgoingHttpHeaders = {}): this {
    if (this.headersSent) return this;
    this.headersSent = true;
    this.statusCode = status;
    const h: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) h[name.toLowerCase()] = String(value);
    }
    this.#send({ k: 'head', st: status, h });
    return this;
  }

  flushHeaders(): void {}
  cork(): void {}
  uncork(): void {}

  write(chunk: string | Buffer): boolean {
    if (this.writableEnded || this.destroyed) return false;
    if (!this.headersSent) this.writeHead(200);
    this.#send({ k: 'data', d: typeof chunk === 'string' ? chunk : chunk.toString('utf8') });
    return true;
  }

  end(chunk?: string | Buffer): this {
    if (this.writableEnded || this.destroyed) return this;
    if (chunk !== undefined) this.write(chunk);
    else if (!this.headersSent) this.writeHead(200);
    this.writableEnded = true;
    this.#send({ k: 'end' });
    this.#close();
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (!this.writableEnded) this.#send({ k: 'abort' });
    this.#close();
    return this;
  }

  /** The client (or the instance holding it) went away: nothing more is sent. */
  abandon(): void {
    this.destroyed = true;
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('finish');
    this.emit('close');
  }

  /** Typed as the `ServerResponse` the transports take (they use only the members above). */
  asServerResponse(): ServerResponse {
    return this as unknown as ServerResponse;
  }
}
