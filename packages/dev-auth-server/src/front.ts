/// <reference path="./internal/oidc-provider.d.ts" />
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Provider } from 'oidc-provider';
import type { ServerContext } from './context.js';
import { interaction } from './interactions.js';
import { pathOnly, sendJson } from './internal/http.js';
import { createJwtTokenEndpoints } from './internal/jwt-introspection.js';

/**
 * The HTTP front: request-target and `Host` checks, the discovery documents, the interaction pages,
 * then oidc-provider mounted under the issuer path (and, with `endpointsOnSeparateOrigin`, a second
 * front serving the endpoints clients call at its root).
 */

type JwtTokenEndpoints = ReturnType<typeof createJwtTokenEndpoints>;

/** The listening parts of a server: its fronts and their open connections. */
export interface Fronts {
  server: Server;
  endpointsServer: Server | undefined;
  sockets: Set<Socket>;
}

export function createFronts(s: ServerContext): Fronts {
  const sockets = new Set<Socket>();
  const jwt = createJwtTokenEndpoints({
    get issuer() {
      return s.issuer;
    },
    jwks: () => s.keys.publicJwks(),
    findClient: (clientId) => (s.provider as Provider).Client.find(clientId),
    isIssuedAccessToken: (jti) => s.store.get(`IssuedJwt:${jti}`) === true,
    forgetAccessToken: (jti) => s.store.delete(`IssuedJwt:${jti}`),
    passThrough: (r, res) => (s.callback as NonNullable<ServerContext['callback']>)(r, res),
  });
  const make = (handler: typeof handleIssuer) => {
    const srv = createServer((req, res) => {
      // The query (and so the whole URL) can carry a code, a token or a secret: log the path only.
      const path = pathOnly(req.url);
      handler(s, jwt, req, res).catch((err: unknown) => {
        s.config.logger.error?.('dev-auth-server: request failed', { err: String(err), path });
        if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
        else res.destroy();
      });
    });
    srv.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return srv;
  };
  return {
    server: make(handleIssuer),
    endpointsServer: s.config.options.endpointsOnSeparateOrigin ? make(handleEndpoints) : undefined,
    sockets,
  };
}

/** Origin-form request targets only, and (on loopback) only loopback Host headers. */
function checkRequest(
  req: IncomingMessage,
  res: ServerResponse,
  base: string,
  hosts: Set<string> | undefined,
): URL | undefined {
  const raw = req.url ?? '/';
  // No absolute-form, and no '//host' that URL parsing would take as a host.
  if (!raw.startsWith('/') || raw.startsWith('//')) {
    sendJson(res, 400, { error: 'invalid_request' });
    return undefined;
  }
  // DNS rebinding: a web page whose name resolves to 127.0.0.1 must not drive this server.
  const hostHeader = req.headers.host?.toLowerCase();
  if (hosts && hostHeader !== undefined && !hosts.has(hostHeader)) {
    sendJson(res, 421, { error: 'invalid_request', error_description: 'unexpected Host header' });
    return undefined;
  }
  const url = URL.parse(raw, base);
  if (!url) sendJson(res, 400, { error: 'invalid_request' });
  return url ?? undefined;
}

/**
 * The second origin (`endpointsOnSeparateOrigin`), like Cognito's hosted UI domain: oidc-provider's
 * routes at its root, the login pages, no discovery.
 */
async function handleEndpoints(
  s: ServerContext,
  jwt: JwtTokenEndpoints,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = checkRequest(req, res, s.endpointsOrigin as string, s.endpointsAllowedHosts);
  if (!url) return;
  const mountPath = s.config.issuerPath;
  const path = url.pathname;
  if (path.includes('/.well-known/')) return sendJson(res, 404, { error: 'not_found' });
  if (path.startsWith(`${mountPath}/interaction/`)) {
    return interaction(s, req, res, path.slice(mountPath.length));
  }
  return toProvider(s, jwt, req, res, { path, route: path, search: url.search });
}

/** The issuer's origin: discovery, interactions, oidc-provider under the issuer path. */
async function handleIssuer(
  s: ServerContext,
  jwt: JwtTokenEndpoints,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = checkRequest(req, res, s.origin, s.allowedHosts);
  if (!url) return;
  const mountPath = s.config.issuerPath;
  const path = url.pathname;
  const jwksPath = `${mountPath}${s.config.profile.routes.jwks}`;
  if (s.documentsReady && path.includes('/.well-known/') && path !== jwksPath) {
    return serveDocument(s, req, res, path);
  }
  if (mountPath && path !== mountPath && !path.startsWith(`${mountPath}/`)) {
    return sendJson(res, 404, { error: 'not_found' });
  }
  const rest = path.slice(mountPath.length) || '/';
  if (rest.startsWith('/interaction/')) return interaction(s, req, res, rest);
  return toProvider(s, jwt, req, res, { path, route: rest, search: url.search });
}

/** A discovery document: public, CORS `*`, GET and HEAD only. */
function serveDocument(
  s: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): void {
  const doc = s.documents.get(path);
  if (!doc) {
    sendJson(res, 404, { error: 'not_found' });
    return;
  }
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  };
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { ...cors, 'access-control-max-age': '600' });
    res.end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, HEAD, OPTIONS' });
    return;
  }
  const text = JSON.stringify(doc);
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'public, max-age=60',
    ...cors,
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/**
 * Hands a request to oidc-provider, mounted the way Express's app.use() mounts it (oidc-provider
 * derives its mount path from originalUrl minus url); JWTs at introspection and revocation are
 * answered by the front (see jwt-introspection).
 */
async function toProvider(
  s: ServerContext,
  jwt: JwtTokenEndpoints,
  req: IncomingMessage,
  res: ServerResponse,
  at: { path: string; route: string; search: string },
): Promise<void> {
  if (!s.callback) return sendJson(res, 503, { error: 'temporarily_unavailable' });
  (req as IncomingMessage & { originalUrl?: string }).originalUrl = at.path + at.search;
  req.url = at.route + at.search;
  const { routes } = s.config.profile;
  if (at.route === routes.introspection) return jwt('introspection', req, res);
  if (at.route === routes.revocation) return jwt('revocation', req, res);
  s.callback(req, res);
}
