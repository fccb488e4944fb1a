import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { positiveInteger } from '@mcp-auth/internal';
import { createHandler, type SseHandler } from './handler.js';
import type { SseServerOptions } from './options.js';

/** The standalone server of {@link createServer}. */
export interface SseServer {
  readonly handler: SseHandler;
  readonly httpServer: HttpServer;
  /** Starts listening (on `options.port` and `options.host` unless given); resolves with the URL. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Ends the streams, then the HTTP server and its connections. */
  close(): Promise<void>;
}

/**
 * Creates a standalone `node:http` server with the endpoints of {@link createHandler}, listening on
 * `127.0.0.1` unless told otherwise.
 *
 * @example
 * ```ts
 * const server = createServer({ port: 3000, auth: { provider }, createMcpServer });
 * const { url } = await server.listen();
 * // …
 * await server.close();
 * ```
 * @see https://modelcontextprotocol.io/specification/2024-11-05/basic/transports#http-with-sse
 */
export function createServer(options: SseServerOptions): SseServer {
  const handler = createHandler(options);
  if (options.port !== undefined) positiveInteger(options.port, 'port', { allowZero: true });
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) {
    throw new TypeError('"host" must be a non-empty string');
  }
  const httpServer = createHttpServer(handler);
  // Streams are long-lived; the default request timeout (5 min) would cut them.
  httpServer.requestTimeout = 0;
  httpServer.headersTimeout = 30_000;
  let closed: Promise<void> | undefined;
  return {
    handler,
    httpServer,
    listen(port = options.port ?? 0, host = options.host ?? '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        httpServer.once('error', onError);
        httpServer.listen(port, host, () => {
          httpServer.off('error', onError);
          const address = httpServer.address() as AddressInfo;
          const h = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ url: `http://${h}:${address.port}`, port: address.port });
        });
      });
    },
    close() {
      closed ??= (async () => {
        await handler.close();
        await new Promise<void>((resolve) => {
          if (!httpServer.listening) {
            resolve();
            return;
          }
          httpServer.close(() => resolve());
          httpServer.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}
