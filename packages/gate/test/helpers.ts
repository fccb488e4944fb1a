import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { type DevAuthServer, start } from '@mcp-auth/dev-auth-server';
import { startHttpServer, type TestHttpServer } from '@mcp-auth/test-utils';
import { createTokenValidator, type TokenValidatorOptions } from '@mcp-auth/validator';
import { createGate } from '../src/gate.js';
import type { Gate, GateOptions } from '../src/types.js';

export const SCOPES = ['mcp:read', 'mcp:write', 'mcp:admin'];

/** The real local authorization server with two users. */
export function startAuthServer(): Promise<DevAuthServer> {
  return start({
    users: [
      { sub: 'user-1', email: 'user1@example.com', password: 'password' },
      { sub: 'user-2', email: 'user2@example.com', password: 'password' },
    ],
  });
}

/** A loopback HTTP server whose handler is set later (the resource URI needs its port first). */
export interface LateServer extends TestHttpServer {
  resource: string;
  handle: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export async function startLateServer(path = '/mcp'): Promise<LateServer> {
  const holder: { handle: LateServer['handle'] } = {
    handle: (_req, res) => {
      res.writeHead(503).end();
    },
  };
  const server = await startHttpServer((req, res) => holder.handle(req, res));
  return Object.defineProperties(server, {
    resource: { value: `${server.url}${path}` },
    handle: {
      get: () => holder.handle,
      set: (h: LateServer['handle']) => {
        holder.handle = h;
      },
    },
  }) as LateServer;
}

/** A gate for `resource` on the local AS (loopback http allowed). */
export function gateFor(
  as: DevAuthServer,
  resource: string,
  o: Partial<GateOptions> = {},
  v: Partial<TokenValidatorOptions> = {},
): Gate {
  return createGate({
    validator: createTokenValidator({
      issuer: as.issuer,
      resource,
      allowInsecureHttpForLoopback: true,
      ...v,
    }),
    allowInsecureHttpForLoopback: true,
    ...o,
  });
}

/** An access token for a user (real authorization code flow with PKCE). */
export async function userToken(
  as: DevAuthServer,
  resource: string,
  user: string,
  scope = 'mcp:read',
): Promise<string> {
  const tokens = await as.authorizationCodeFlow({ resource, scope, user });
  return tokens.access_token;
}

export interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * One request with node:http, so `Host` and every other header can be set exactly as a hostile
 * client would (Fetch forbids `Host`).
 */
export function send(
  url: string,
  o: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: o.method ?? 'GET', headers: o.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

export const jsonHeaders = (
  token?: string,
  extra: Record<string, string> = {},
): Record<string, string> => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  ...extra,
});

export const toolCall = (name: string, id = 1) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });

/** Sends raw HTTP/1.1 bytes (for what node:http refuses to send, such as two Host headers). */
export function sendRaw(
  port: number,
  text: string,
  o: { keepOpen?: boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      // keepOpen: a slow client that never finishes its body (the server must end it).
      if (o.keepOpen === true) socket.write(text);
      else socket.end(text);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

/** Serves a Fetch handler on 127.0.0.1 through node:http (streaming bodies both ways). */
export async function serveFetch(
  fetchHandler: (request: Request) => Promise<Response>,
): Promise<LateServer> {
  const server = await startLateServer();
  server.handle = async (req, res) => {
    const method = req.method ?? 'GET';
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    }
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const request = new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`, {
      method,
      headers,
      ...(hasBody
        ? { body: Readable.toWeb(req) as unknown as ReadableStream, duplex: 'half' }
        : {}),
    } as RequestInit);
    const response = await fetchHandler(request);
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      out[name] = value;
    });
    res.writeHead(response.status, out);
    if (response.body === null) {
      res.end();
      return;
    }
    const reader = response.body.getReader();
    res.on('close', () => void reader.cancel().catch(() => {}));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
    res.end();
  };
  return server;
}
