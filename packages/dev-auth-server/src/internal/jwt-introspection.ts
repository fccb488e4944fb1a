import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

/**
 * RFC 7662 introspection and RFC 7009 revocation of this server's own JWT access tokens.
 *
 * oidc-provider refuses both for structured tokens (`unsupported_token_type`), but real servers answer
 * them: Okta introspects and revokes its JWT access tokens, and a resource server configured to
 * introspect every token must get `active: true` for a good one. The front handles requests whose
 * `token` is a JWT here, with the same client authentication rules (client_secret_basic or _post,
 * checked against oidc-provider's own client records), and hands every other request to
 * oidc-provider unchanged. Only access tokens this server issued count (an ID token, signed with
 * the same keys, is not active); revoking one forgets it.
 */

/** What this module needs from the server. */
export interface JwtTokenEndpointsContext {
  issuer: string;
  /** The public JWKS the server publishes. */
  jwks(): { keys: Record<string, unknown>[] };
  /** oidc-provider's client record, or undefined. */
  findClient(
    clientId: string,
  ): Promise<{ clientSecret?: string; clientAuthMethod: string } | undefined>;
  /** Whether the server issued a JWT access token with this `jti` (and has not forgotten it). */
  isIssuedAccessToken(jti: string): boolean;
  /** Forgets an issued access token (revocation). */
  forgetAccessToken(jti: string): void;
  /** Called with the request rebuilt from the buffered body when oidc-provider should answer. */
  passThrough(req: IncomingMessage, res: ServerResponse): void;
}

const MAX_BODY = 56 * 1024; // oidc-provider's own limit

function looksLikeJwt(token: string): boolean {
  if (token.split('.').length !== 3) return false;
  try {
    decodeProtectedHeader(token);
    return true;
  } catch {
    return false;
  }
}

function isDpopBound(payload: Record<string, unknown>): boolean {
  const cnf = payload.cnf as { jkt?: unknown } | undefined;
  return typeof cnf === 'object' && cnf !== null && typeof cnf.jkt === 'string';
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A stand-in for `req` whose body is `body` again, for oidc-provider to read. */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const stream = new PassThrough();
  stream.end(body);
  return Object.assign(stream, {
    headers: { ...req.headers, 'content-length': String(body.length) },
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    originalUrl: (req as IncomingMessage & { originalUrl?: string }).originalUrl,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
    complete: true,
  }) as unknown as IncomingMessage;
}

export function createJwtTokenEndpoints(ctx: JwtTokenEndpointsContext) {
  /** Authenticates the calling client; undefined after answering 400/401 itself. */
  async function authenticate(
    req: IncomingMessage,
    form: URLSearchParams,
    res: ServerResponse,
  ): Promise<{ clientId: string; confidential: boolean } | undefined> {
    const invalidClient = () =>
      json(
        res,
        401,
        { error: 'invalid_client', error_description: 'client authentication failed' },
        req.headers.authorization ? { 'www-authenticate': 'Basic realm="token"' } : {},
      );
    let clientId: string | undefined;
    let secret: string | undefined;
    const auth = req.headers.authorization;
    if (auth?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) {
        invalidClient();
        return undefined;
      }
      try {
        clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
        secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
      } catch {
        invalidClient();
        return undefined;
      }
    } else {
      clientId = form.get('client_id') ?? undefined;
      secret = form.get('client_secret') ?? undefined;
    }
    if (!clientId) {
      json(res, 400, {
        error: 'invalid_request',
        error_description: 'no client authentication mechanism provided',
      });
      return undefined;
    }
    const client = await ctx.findClient(clientId);
    if (!client) {
      invalidClient();
      return undefined;
    }
    if (client.clientAuthMethod === 'none') {
      if (secret !== undefined) {
        invalidClient();
        return undefined;
      }
      return { clientId, confidential: false };
    }
    if (
      !['client_secret_basic', 'client_secret_post'].includes(client.clientAuthMethod) ||
      secret === undefined ||
      client.clientSecret === undefined ||
      !equal(secret, client.clientSecret)
    ) {
      invalidClient();
      return undefined;
    }
    return { clientId, confidential: true };
  }

  async function verify(token: string): Promise<Record<string, unknown> | undefined> {
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(ctx.jwks() as never), {
        issuer: ctx.issuer,
        clockTolerance: 0,
      });
      if (typeof payload.exp !== 'number') return undefined;
      if (typeof payload.jti !== 'string' || !ctx.isIssuedAccessToken(payload.jti))
        return undefined;
      return payload as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  const clientOf = (p: Record<string, unknown>): string | undefined => {
    for (const claim of ['client_id', 'cid', 'azp']) {
      if (typeof p[claim] === 'string') return p[claim] as string;
    }
    return undefined;
  };

  /**
   * Handles POST `introspection` / `revocation` when the token is a JWT; otherwise passes the request
   * (body replayed) to oidc-provider.
   */
  return async function handle(
    kind: 'introspection' | 'revocation',
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim()
      .toLowerCase();
    if (req.method !== 'POST' || type !== 'application/x-www-form-urlencoded') {
      return ctx.passThrough(req, res);
    }
    const body = await readBody(req);
    if (!body) {
      return json(res, 400, {
        error: 'invalid_request',
        error_description: 'request body too large',
      });
    }
    const form = new URLSearchParams(body.toString('utf8'));
    const token = form.getAll('token');
    if (token.length !== 1 || !looksLikeJwt(token[0] as string)) {
      return ctx.passThrough(replay(req, body), res);
    }
    const caller = await authenticate(req, form, res);
    if (!caller) return;
    const payload = await verify(token[0] as string);
    const owner = payload ? clientOf(payload) : undefined;
    if (kind === 'introspection') {
      // Same policy as for opaque tokens: confidential clients see every token, public ones their own.
      if (!payload || (!caller.confidential && owner !== caller.clientId)) {
        return json(res, 200, { active: false });
      }
      const scope =
        typeof payload.scope === 'string'
          ? payload.scope
          : Array.isArray(payload.scp)
            ? payload.scp.join(' ')
            : typeof payload.scp === 'string'
              ? payload.scp
              : undefined;
      return json(res, 200, {
        ...payload,
        active: true,
        ...(scope !== undefined ? { scope } : {}),
        ...(owner !== undefined ? { client_id: owner } : {}),
        // RFC 9449 §6.2: a DPoP-bound token (cnf.jkt) introspects as token_type DPoP
        token_type: isDpopBound(payload) ? 'DPoP' : 'Bearer',
      });
    }
    // revocation: the owner or the introspector (the resource servers' client) may revoke
    if (payload && typeof payload.jti === 'string') {
      if (owner === caller.clientId || caller.clientId === 'mcp-introspector') {
        ctx.forgetAccessToken(payload.jti);
      } else if (caller.confidential) {
        return json(res, 400, {
          error: 'invalid_request',
          error_description: 'client is not authorized to revoke the presented token',
        });
      }
    }
    // RFC 7009 §2.2: invalid tokens do not cause an error response
    res.writeHead(200, { 'content-length': '0', 'cache-control': 'no-store' });
    res.end();
  };
}
