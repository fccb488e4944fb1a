/// <reference path="./internal/oidc-provider.d.ts" />
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { InteractionDetails, Provider } from 'oidc-provider';
import { DevAuthServerError } from './errors';
import {
  assertOk,
  assertTokenResponse,
  type ClientCredentials,
  postForm,
  request,
  runAuthorization,
} from './flows';
import { createAdapter, MemoryStore } from './internal/adapter';
import { createJwtTokenEndpoints } from './internal/jwt-introspection';
import { registrationScope } from './internal/registration-scope';
import { consentPage, escapeHtml, loginPage, messagePage } from './internal/views';
import { generateSigningKey, isSigningAlg, KeyRing, SIGNING_ALGS } from './keys';
import { PROFILES, type Profile, type StructuredToken } from './profiles/index';
import type {
  AuthorizationCodeFlowOptions,
  ClientConfig,
  DevAuthServer,
  DevAuthServerOptions,
  ExchangeCodeOptions,
  GetTokenOptions,
  Logger,
  ResourceConfig,
  TokenResponse,
  UserConfig,
} from './types';

type OidcProviderModule = typeof import('oidc-provider');
let oidcProviderModule: Promise<OidcProviderModule> | undefined;

/**
 * Loads oidc-provider once. It warns "Unsupported runtime" on Node 20 at import; this repository
 * supports Node 20 and tests this server on it, so that one line is dropped instead of printed by
 * every test file of every package. Every other warning passes.
 */
function loadOidcProvider(): Promise<OidcProviderModule> {
  oidcProviderModule ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (
        typeof args[0] === 'string' &&
        args[0].includes('oidc-provider WARNING: Unsupported runtime')
      ) {
        return;
      }
      warn(...args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return oidcProviderModule;
}

/** The user every server has unless `users` says otherwise. */
export const DEFAULT_USER: UserConfig = {
  sub: 'user-1',
  email: 'user1@example.com',
  password: 'password',
  name: 'User One',
};

/** Loopback redirect URIs of the built-in clients; any port is accepted on them (RFC 8252 §7.3). */
export const LOOPBACK_REDIRECT_URIS: readonly string[] = [
  '127.0.0.1',
  'localhost',
  '[::1]',
].flatMap((host) =>
  ['/callback', '/oauth/callback', '/oauth2/callback', '/auth/callback', '/cb', '/'].map(
    (path) => `http://${host}${path}`,
  ),
);

const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email'];
/** Non-standard token request parameter that picks the access token format (see `getToken`). */
export const FORMAT_PARAM = 'x_dev_token_format';
const MAX_FORM_BYTES = 8 * 1024;

// Deliberately loose shapes: oidc-provider's objects, typed only as far as this file reads them.
// biome-ignore lint/suspicious/noExplicitAny: oidc-provider ships no types
type Ctx = any;
// biome-ignore lint/suspicious/noExplicitAny: oidc-provider ships no types
type Token = any;

/** Checks one resource; returns its normalised URI. `at` names it in messages (`"resources[0]`). */
function validateResource(r: ResourceConfig, at: string): string {
  if (r === null || typeof r !== 'object') throw new TypeError(`${at}" must be an object`);
  const url = typeof r.uri === 'string' ? URL.parse(r.uri) : null;
  if (!url || url.hash || r.uri.includes('#')) {
    throw new TypeError(`${at}.uri" must be an absolute URI without a fragment`);
  }
  if (
    !Array.isArray(r.scopes) ||
    !r.scopes.every((s) => typeof s === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s))
  ) {
    throw new TypeError(`${at}.scopes" must be an array of scope tokens (RFC 6749 §3.3)`);
  }
  if (r.format !== undefined && r.format !== 'jwt' && r.format !== 'opaque') {
    throw new TypeError(`${at}.format" must be "jwt" or "opaque"`);
  }
  if (r.alg !== undefined && !isSigningAlg(r.alg)) {
    throw new TypeError(`${at}.alg" must be one of ${SIGNING_ALGS.join(', ')}`);
  }
  if (
    r.accessTokenTtlSeconds !== undefined &&
    (!Number.isInteger(r.accessTokenTtlSeconds) || r.accessTokenTtlSeconds <= 0)
  ) {
    throw new TypeError(`${at}.accessTokenTtlSeconds" must be a positive integer`);
  }
  return url.href;
}

function validateOptions(o: DevAuthServerOptions): void {
  if (o === null || typeof o !== 'object') throw new TypeError('options must be an object');
  if (
    o.port !== undefined &&
    (!Number.isInteger(o.port) || (o.port as number) < 0 || (o.port as number) > 65535)
  ) {
    throw new TypeError('"port" must be an integer from 0 to 65535');
  }
  if (o.host !== undefined && (typeof o.host !== 'string' || !o.host)) {
    throw new TypeError('"host" must be a non-empty string');
  }
  if (o.profile !== undefined && !Object.hasOwn(PROFILES, o.profile)) {
    throw new TypeError(`"profile" must be one of ${Object.keys(PROFILES).join(', ')}`);
  }
  if (
    o.issuerPath !== undefined &&
    (typeof o.issuerPath !== 'string' ||
      (o.issuerPath !== '' && !/^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/.test(o.issuerPath)))
  ) {
    throw new TypeError(
      '"issuerPath" must be "" or a path like "/tenant1" (no trailing slash, no query)',
    );
  }
  for (const name of ['accessTokenTtlSeconds', 'refreshTokenTtlSeconds'] as const) {
    const v = o[name];
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) {
      throw new TypeError(`"${name}" must be a positive integer`);
    }
  }
  if (o.resources !== undefined && !Array.isArray(o.resources)) {
    throw new TypeError('"resources" must be an array');
  }
  const seen = new Set<string>();
  for (const [i, r] of (o.resources ?? []).entries()) {
    const href = validateResource(r, `"resources[${i}]`);
    if (seen.has(href)) throw new TypeError(`"resources[${i}].uri" is listed twice`);
    seen.add(href);
  }
  if (o.clients !== undefined && !Array.isArray(o.clients)) {
    throw new TypeError('"clients" must be an array');
  }
  for (const [i, c] of (o.clients ?? []).entries()) {
    if (c === null || typeof c !== 'object' || typeof c.client_id !== 'string' || !c.client_id) {
      throw new TypeError(`"clients[${i}].client_id" must be a non-empty string`);
    }
    if (c.client_id.startsWith('mcp-')) {
      throw new TypeError(`"clients[${i}].client_id" must not use the reserved "mcp-" prefix`);
    }
  }
  if (o.users !== undefined && (!Array.isArray(o.users) || o.users.length === 0)) {
    throw new TypeError('"users" must be a non-empty array');
  }
  for (const [i, u] of (o.users ?? []).entries()) {
    if (u === null || typeof u !== 'object' || typeof u.sub !== 'string' || !u.sub) {
      throw new TypeError(`"users[${i}].sub" must be a non-empty string`);
    }
    if (typeof u.password !== 'string') {
      throw new TypeError(`"users[${i}].password" must be a string`);
    }
  }
  const subs = new Set<string>();
  for (const [i, u] of (o.users ?? []).entries()) {
    if (subs.has(u.sub)) throw new TypeError(`"users[${i}].sub" is listed twice`);
    subs.add(u.sub);
  }
  const ids = new Set<string>();
  for (const [i, c] of (o.clients ?? []).entries()) {
    if (ids.has(c.client_id)) throw new TypeError(`"clients[${i}].client_id" is listed twice`);
    ids.add(c.client_id);
  }
  if (o.oktaAudience !== undefined) {
    if (typeof o.oktaAudience !== 'string' || !o.oktaAudience) {
      throw new TypeError('"oktaAudience" must be a non-empty string');
    }
    if (o.profile !== 'okta') throw new TypeError('"oktaAudience" applies to profile "okta" only');
  }
  if (o.entraAudience !== undefined) {
    if (typeof o.entraAudience !== 'string' || !o.entraAudience) {
      throw new TypeError('"entraAudience" must be a non-empty string');
    }
    if (o.profile !== 'entra')
      throw new TypeError('"entraAudience" applies to profile "entra" only');
  }
  if (o.keycloakAudienceMapper !== undefined && o.profile !== 'keycloak') {
    throw new TypeError('"keycloakAudienceMapper" applies to profile "keycloak" only');
  }
  if (o.auth0Rfc9068Profile !== undefined && o.profile !== 'auth0') {
    throw new TypeError('"auth0Rfc9068Profile" applies to profile "auth0" only');
  }
}

/** The path of a request target, without its query; what a log line may show of a URL. */
export function pathOnly(target: string | undefined): string {
  const raw = target ?? '/';
  const end = raw.search(/[?#]/);
  return (end < 0 ? raw : raw.slice(0, end)).slice(0, 200);
}

function secret(): string {
  return randomBytes(32).toString('base64url');
}

function equalStrings(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_FORM_BYTES) {
      req.resume();
      reject(new Error('form too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        // Stop buffering but drain the rest, so the 413 reaches the browser.
        req.removeAllListeners('data');
        req.resume();
        reject(new Error('form too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy':
      // No form-action: browsers apply it to the redirects after a form post, which end at the
      // client's redirect URI (any origin).
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  });
  res.end(html);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Starts a real OAuth 2.1 authorization server (oidc-provider) on the loopback interface.
 *
 * Every token comes from its real endpoints; the helpers on the returned object
 * (`getToken`, `authorizationCodeFlow`, `introspect`, ...) are HTTP clients of those endpoints.
 *
 * @example
 * ```ts
 * const as = await start({ resources: [{ uri: 'http://127.0.0.1:3000/mcp', scopes: ['mcp:tools'] }] });
 * const token = await as.getToken({ resource: 'http://127.0.0.1:3000/mcp' });
 * await as.stop();
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8707 (resource indicators), RFC 8414, RFC 9068, RFC 7662
 */
export async function start(options: DevAuthServerOptions = {}): Promise<DevAuthServer> {
  validateOptions(options);
  const { default: OidcProvider, errors } = await loadOidcProvider();
  const profile: Profile = PROFILES[options.profile ?? 'generic'];
  const host = options.host ?? '127.0.0.1';
  const issuerPath = options.issuerPath ?? profile.defaultIssuerPath;
  const interactive = options.interactive === true;
  const logger: Logger = options.logger ?? {};
  const accessTokenTtl = options.accessTokenTtlSeconds ?? 3600;
  const refreshTokenTtl = options.refreshTokenTtlSeconds ?? 14 * 24 * 3600;
  const registration = options.registration ?? profile.registrationByDefault;
  const resources: ResourceConfig[] = (options.resources ?? []).map((r) => ({
    format: 'jwt',
    alg: 'RS256',
    ...r,
    scopes: [...r.scopes],
  }));
  const users: UserConfig[] = (options.users ?? [DEFAULT_USER]).map((u) => ({ ...u }));
  const defaultUser = users[0] as UserConfig;

  const secrets = {
    confidential: secret(),
    service: secret(),
    introspector: secret(),
  };
  const builtinClients: ClientConfig[] = [
    {
      client_id: 'mcp-public',
      client_name: 'MCP public client (PKCE, loopback redirect)',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [...LOOPBACK_REDIRECT_URIS],
    },
    {
      client_id: 'mcp-confidential',
      client_name: 'MCP confidential client',
      application_type: 'native',
      client_secret: secrets.confidential,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [...LOOPBACK_REDIRECT_URIS],
    },
    {
      client_id: 'mcp-service',
      client_name: 'MCP service (client credentials)',
      client_secret: secrets.service,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'mcp-introspector',
      client_name: 'Resource server (introspection)',
      client_secret: secrets.introspector,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ];
  const clientSecrets = new Map<string, string>([
    ['mcp-confidential', secrets.confidential],
    ['mcp-service', secrets.service],
    ['mcp-introspector', secrets.introspector],
  ]);
  for (const c of options.clients ?? []) {
    if (typeof c.client_secret === 'string') clientSecrets.set(c.client_id, c.client_secret);
  }

  const findResource = (indicator: string): ResourceConfig | undefined => {
    const href = URL.parse(indicator)?.href;
    return resources.find((r) => r.uri === indicator || URL.parse(r.uri)?.href === href);
  };
  const findUser = (login: unknown): UserConfig | undefined =>
    typeof login === 'string'
      ? (users.find((u) => u.sub === login) ??
        users.find((u) => u.username === login || u.email === login))
      : undefined;

  const keys = new KeyRing(() => rebuild());
  for (const key of await Promise.all(SIGNING_ALGS.map((alg) => generateSigningKey(alg)))) {
    keys.push(key);
  }
  const store = new MemoryStore();
  const Adapter = createAdapter(store);
  const cookieKeys = [secret()];

  // --- the HTTP front: discovery documents, interactions, then oidc-provider under the issuer path
  const sockets = new Set<Socket>();
  let provider: Provider | undefined;
  let callback: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const documents = new Map<string, Record<string, unknown>>();
  let documentsReady = false;
  const mountPath = issuerPath;

  const createFront = (front: 'issuer' | 'endpoints') => {
    const srv = createServer((req, res) => {
      // The query (and so the whole URL) can carry a code, a token or a secret: log the path only.
      const path = pathOnly(req.url);
      (front === 'issuer' ? handle(req, res) : handleEndpoints(req, res)).catch((err: unknown) => {
        logger.error?.('dev-auth-server: request failed', { err: String(err), path });
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
  const server = createFront('issuer');
  const endpointsServer = options.endpointsOnSeparateOrigin ? createFront('endpoints') : undefined;

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
  async function handleEndpoints(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = checkRequest(req, res, endpointsOrigin as string, endpointsAllowedHosts);
    if (!url) return;
    const path = url.pathname;
    if (path.includes('/.well-known/')) return sendJson(res, 404, { error: 'not_found' });
    if (path.startsWith(`${mountPath}/interaction/`)) {
      return interaction(req, res, path.slice(mountPath.length));
    }
    if (!callback) return sendJson(res, 503, { error: 'temporarily_unavailable' });
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = path + url.search;
    req.url = path + url.search;
    if (path === profile.routes.introspection) return jwtTokenEndpoints('introspection', req, res);
    if (path === profile.routes.revocation) return jwtTokenEndpoints('revocation', req, res);
    callback(req, res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = checkRequest(req, res, origin, allowedHosts);
    if (!url) return;
    const path = url.pathname;

    if (documentsReady && path.includes('/.well-known/') && path !== jwksPath) {
      const doc = documents.get(path);
      if (!doc) return sendJson(res, 404, { error: 'not_found' });
      const cors = {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
      };
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { ...cors, 'access-control-max-age': '600' });
        return void res.end();
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, HEAD, OPTIONS' });
      }
      const text = JSON.stringify(doc);
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        'cache-control': 'public, max-age=60',
        ...cors,
      });
      return void res.end(req.method === 'HEAD' ? undefined : text);
    }

    if (mountPath && path !== mountPath && !path.startsWith(`${mountPath}/`)) {
      return sendJson(res, 404, { error: 'not_found' });
    }
    const rest = path.slice(mountPath.length) || '/';
    if (rest.startsWith('/interaction/')) return interaction(req, res, rest);
    if (!callback) return sendJson(res, 503, { error: 'temporarily_unavailable' });
    // Mounted the way Express's app.use() mounts it: oidc-provider derives its mount path from
    // originalUrl minus url.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = path + url.search;
    req.url = rest + url.search;
    if (rest === profile.routes.introspection) return jwtTokenEndpoints('introspection', req, res);
    if (rest === profile.routes.revocation) return jwtTokenEndpoints('revocation', req, res);
    callback(req, res);
  }

  const jwtTokenEndpoints = createJwtTokenEndpoints({
    get issuer() {
      return issuer;
    },
    jwks: () => keys.publicJwks(),
    findClient: (clientId) => (provider as Provider).Client.find(clientId),
    isIssuedAccessToken: (jti) => store.get(`IssuedJwt:${jti}`) === true,
    forgetAccessToken: (jti) => store.delete(`IssuedJwt:${jti}`),
    passThrough: (r, res) => (callback as NonNullable<typeof callback>)(r, res),
  });

  // --- login and consent
  async function interaction(req: IncomingMessage, res: ServerResponse, rest: string) {
    const p = provider as Provider;
    const match = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|confirm|abort))?$/.exec(rest);
    if (!match) return sendHtml(res, 404, messagePage('Not found', 'No such page.'));
    let details: InteractionDetails;
    try {
      details = await p.interactionDetails(req, res);
    } catch {
      return sendHtml(
        res,
        400,
        messagePage(
          'Sign-in expired',
          'This sign-in request is unknown or expired. Start again from the application.',
        ),
      );
    }
    if (details.uid !== match[1]) {
      return sendHtml(
        res,
        400,
        messagePage('Sign-in mismatch', 'This page belongs to another sign-in request.'),
      );
    }
    const action = match[2];
    const base = `${mountPath}/interaction/${details.uid}`;
    const clientId = String(details.params.client_id ?? '');
    const promptName = details.prompt.name;

    if (action === 'abort') {
      return p.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false },
      );
    }

    if (!interactive) {
      if (promptName === 'login') {
        const hint = details.params.login_hint;
        const user = hint === undefined ? defaultUser : findUser(hint);
        if (!user) {
          return p.interactionFinished(
            req,
            res,
            { error: 'access_denied', error_description: 'unknown login_hint' },
            { mergeWithLastSubmission: false },
          );
        }
        return p.interactionFinished(req, res, { login: { accountId: user.sub } });
      }
      return p.interactionFinished(req, res, { consent: { grantId: await grantAll(p, details) } });
    }

    if (req.method === 'POST' && action === 'login' && promptName === 'login') {
      let form: URLSearchParams;
      try {
        form = await readForm(req);
      } catch {
        res.setHeader('connection', 'close');
        return sendHtml(res, 413, messagePage('Too large', 'The form was too large.'));
      }
      const login = form.get('login') ?? '';
      const password = form.get('password') ?? '';
      const user = findUser(login);
      if (!user || !equalStrings(password, user.password)) {
        // Not the login typed: a password pasted into the wrong field would end up in the log.
        logger.info?.('dev-auth-server: failed login', { knownUser: user !== undefined });
        return sendHtml(
          res,
          401,
          loginPage({
            action: `${base}/login`,
            abortAction: `${base}/abort`,
            clientId,
            issuer,
            login,
            error: 'Wrong username or password.',
          }),
        );
      }
      return p.interactionFinished(req, res, { login: { accountId: user.sub } });
    }
    if (req.method === 'POST' && action === 'confirm' && promptName === 'consent') {
      await readForm(req).catch(() => undefined);
      return p.interactionFinished(req, res, { consent: { grantId: await grantAll(p, details) } });
    }
    if (req.method !== 'GET' || action !== undefined) {
      return sendHtml(res, 400, messagePage('Unexpected request', 'Go back and try again.'));
    }
    if (promptName === 'login') {
      const hint = details.params.login_hint;
      return sendHtml(
        res,
        200,
        loginPage({
          action: `${base}/login`,
          abortAction: `${base}/abort`,
          clientId,
          issuer,
          ...(typeof hint === 'string' ? { login: hint } : {}),
          hint: `Local users: ${users.map((u) => u.email ?? u.sub).join(', ')}`,
        }),
      );
    }
    const d = details.prompt.details as {
      missingOIDCScope?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const accountId = details.session?.accountId ?? '';
    const user = findUser(accountId);
    return sendHtml(
      res,
      200,
      consentPage({
        action: `${base}/confirm`,
        abortAction: `${base}/abort`,
        clientId,
        user: user?.email ?? accountId,
        scopes: d.missingOIDCScope ?? [],
        resources: Object.entries(d.missingResourceScopes ?? {}).map(([uri, scopes]) => ({
          uri,
          scopes,
        })),
      }),
    );
  }

  /** Grants everything the consent prompt asks for (the approve button, or non-interactive mode). */
  async function grantAll(p: Provider, details: InteractionDetails): Promise<string> {
    const d = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const existing = details.grantId ? await p.Grant.find(details.grantId) : undefined;
    const grant =
      existing ??
      new p.Grant({
        accountId: String(details.session?.accountId),
        clientId: String(details.params.client_id),
      });
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    return grant.save();
  }

  // --- oidc-provider configuration
  function requestedScopes(ctx: Ctx, token: Token): string[] {
    const e = ctx?.oidc?.entities ?? {};
    const scope =
      e.AuthorizationCode?.scope ??
      e.RefreshToken?.scope ??
      ctx?.oidc?.params?.scope ??
      token.scope ??
      '';
    return String(scope).split(' ').filter(Boolean);
  }

  function customizeJwt(ctx: Ctx, token: Token, jwt: StructuredToken): void {
    const resource: string | undefined = token.resourceServer?.identifier();
    if (!resource) return;
    // oidc-provider does not store JWT access tokens; remembering their ids lets the introspection
    // endpoint answer for them (and for no other JWT signed with the same keys, like ID tokens).
    const { jti, exp } = jwt.payload;
    if (typeof jti === 'string' && typeof exp === 'number') {
      store.set(`IssuedJwt:${jti}`, true, Math.max(1, exp - Math.floor(Date.now() / 1000)));
    }
    const user = token.accountId ? findUser(token.accountId) : undefined;
    profile.shapeAccessToken(jwt, {
      issuer,
      clientId: token.clientId,
      user,
      scopes: String(token.scope ?? '')
        .split(' ')
        .filter(Boolean),
      requestedScopes: requestedScopes(ctx, token),
      resource,
      grantType: token.kind === 'ClientCredentials' ? 'client_credentials' : 'user',
      options,
    });
  }

  const registrationScopes = registrationScope({
    advertised: () => new Set([...OIDC_SCOPES, ...resources.flatMap((r) => r.scopes)]),
    openidScopes: new Set(OIDC_SCOPES),
    InvalidClientMetadata: errors.InvalidClientMetadata,
  });

  function configuration(): Record<string, unknown> {
    return {
      adapter: Adapter,
      clients: [...builtinClients, ...(options.clients ?? [])],
      jwks: keys.jwks(),
      cookies: { keys: cookieKeys },
      claims: {
        openid: ['sub', ...Object.keys(profile.idTokenMarkers ?? {})],
        email: ['email', 'email_verified'],
        // users' extra claims are released with the profile scope
        profile: [
          ...new Set([
            'name',
            'preferred_username',
            ...users.flatMap((u) => Object.keys(u.claims ?? {})),
          ]),
        ],
      },
      scopes: OIDC_SCOPES,
      responseTypes: ['code'],
      conformIdTokenClaims: false,
      extraParams: profile.extraAuthorizationParams,
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: {
          enabled: true,
          // Resource servers (any confidential client, `mcp-introspector` above all) may introspect
          // every token; a public client only its own.
          allowedPolicy: async (_ctx: Ctx, client: Token, token: Token) =>
            client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
        },
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx: Ctx, client: Token, token: Token) => {
            if (token.clientId === client.clientId || client.clientId === 'mcp-introspector') {
              return true;
            }
            if (client.clientAuthMethod === 'none') return false;
            throw new errors.InvalidRequest(
              'client is not authorized to revoke the presented token',
            );
          },
        },
        registration: {
          enabled: registration,
          initialAccessToken: false,
          idFactory: registrationScopes.idFactory,
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: async (ctx: Ctx, _client: Token, oneOf?: string[]) => {
            if (oneOf) return oneOf;
            return profile.defaultResource(
              resources.map((r) => r.uri),
              { audience: ctx?.oidc?.params?.audience ?? ctx?.oidc?.body?.audience },
            );
          },
          useGrantedResource: async () => true,
          getResourceServerInfo: async (ctx: Ctx, indicator: string) => {
            const r = findResource(indicator);
            if (!r) throw new errors.InvalidTarget();
            const params = ctx?.oidc?.params;
            if (
              profile.clientCredentialsGetsAllScopes &&
              params?.grant_type === 'client_credentials' &&
              !params.scope
            ) {
              // oidc-provider reads the requested scopes after resolving the resource.
              params.scope = r.scopes.join(' ');
            }
            const alg = r.alg ?? 'RS256';
            // Dev-only token request extension (the helpers' `format`): the same resource as JWT or
            // opaque, so a resource server can be tested with both kinds of token for its own URI.
            const asked = ctx?.oidc?.route === 'token' ? ctx.oidc.body?.[FORMAT_PARAM] : undefined;
            const format = asked === 'jwt' || asked === 'opaque' ? asked : (r.format ?? 'jwt');
            return {
              scope: r.scopes.join(' '),
              audience: profile.audience(r.uri, options),
              accessTokenTTL: r.accessTokenTtlSeconds ?? accessTokenTtl,
              accessTokenFormat: format,
              ...(format === 'opaque' ? {} : { jwt: { sign: { alg, kid: keys.currentKid(alg) } } }),
            };
          },
        },
        userinfo: { enabled: true },
        rpInitiatedLogout: { enabled: true },
      },
      findAccount: async (_ctx: Ctx, sub: string) => {
        const user = findUser(sub);
        if (!user || user.sub !== sub) return undefined;
        return {
          accountId: user.sub,
          claims: async (use: string) => ({
            ...user.claims,
            ...(use === 'id_token' ? profile.idTokenMarkers : {}),
            sub: user.sub,
            ...(user.email ? { email: user.email, email_verified: true } : {}),
            ...(user.name ? { name: user.name } : {}),
            preferred_username: user.username ?? user.email ?? user.sub,
          }),
        };
      },
      formats: { customizers: { jwt: customizeJwt } },
      interactions: {
        url: async (_ctx: Ctx, i: { uid: string }) => `${mountPath}/interaction/${i.uid}`,
      },
      pkce: { required: () => true },
      routes: profile.routes,
      ttl: {
        AccessToken: (_ctx: Ctx, token: Token) =>
          token.resourceServer?.accessTokenTTL ?? accessTokenTtl,
        ClientCredentials: (_ctx: Ctx, token: Token) =>
          token.resourceServer?.accessTokenTTL ?? accessTokenTtl,
        AuthorizationCode: 60,
        IdToken: 3600,
        Interaction: 3600,
        Grant: Math.max(refreshTokenTtl, accessTokenTtl),
        Session: 24 * 3600,
        RefreshToken: refreshTokenTtl,
      },
      // OAuth 2.1 clients get refresh tokens without the OpenID `offline_access` ceremony.
      issueRefreshToken: async (_ctx: Ctx, client: Token) =>
        client.grantTypeAllowed('refresh_token'),
      expiresWithSession: async () => false,
      clientBasedCORS: (_ctx: Ctx, origin: string, client: Token) => {
        if (origin === 'null') return false;
        const parsed = URL.parse(origin);
        if (parsed && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) return true;
        return client.redirectUris.some((u: string) => URL.parse(u)?.origin === origin);
      },
      renderError: async (ctx: Ctx, out: Record<string, string>) => {
        ctx.type = 'html';
        ctx.body = messagePage(
          'Authorization error',
          `${out.error ?? 'error'}: ${out.error_description ?? ''}`,
        ).replace(
          '</main>',
          `<pre><strong>error</strong>: ${escapeHtml(out.error ?? '')}</pre></main>`,
        );
      },
      logoutSource: async (ctx: Ctx, form: string) => {
        ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign out</title></head><body>${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button></body></html>`;
      },
      postLogoutSuccessSource: async (ctx: Ctx) => {
        ctx.body = messagePage('Signed out', 'You are signed out.');
      },
    };
  }

  function rebuild(): void {
    const next = new OidcProvider(issuer, configuration());
    next.proxy = false;
    next.on('server_error', (_ctx: unknown, err: Error) =>
      logger.error?.('dev-auth-server: server_error', { err: String(err), stack: err.stack }),
    );
    for (const event of [
      'grant.error',
      'introspection.error',
      'revocation.error',
      'registration_create.error',
    ]) {
      next.on(event, (_ctx: unknown, err: Error) =>
        logger.debug?.(`dev-auth-server: ${event}`, { err: String(err) }),
      );
    }
    next.on('registration_create.success', registrationScopes.onRegistered);
    provider = next;
    callback = next.callback();
  }

  const listen = (srv: typeof server, port: number) =>
    new Promise<number>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => {
        srv.off('error', reject);
        resolve((srv.address() as AddressInfo).port);
      });
    });
  const close = (srv: typeof server) =>
    new Promise<void>((resolve) => {
      srv.close(() => resolve());
    });
  const port = await listen(server, options.port ?? 0);
  let endpointsPort: number | undefined;
  if (endpointsServer) {
    try {
      endpointsPort = await listen(endpointsServer, 0);
    } catch (err) {
      await close(server);
      throw err;
    }
  }
  // Listening on every interface (only when asked): the issuer still names loopback.
  const issuerHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const urlHost = issuerHost.includes(':') ? `[${issuerHost}]` : issuerHost;
  const origin = `http://${urlHost}:${port}`;
  const issuer = `${origin}${issuerPath}${profile.issuerTrailingSlash ? '/' : ''}`;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'];
  const allowedHosts = loopback.includes(urlHost)
    ? new Set(loopback.map((h) => `${h}:${port}`))
    : undefined;
  const jwksPath = `${mountPath}${profile.routes.jwks}`;
  const endpointsOrigin =
    endpointsPort === undefined ? undefined : `http://${urlHost}:${endpointsPort}`;
  const endpointsAllowedHosts =
    endpointsPort !== undefined && loopback.includes(urlHost)
      ? new Set(loopback.map((h) => `${h}:${endpointsPort}`))
      : undefined;

  try {
    rebuild();
    const res = await fetch(`${origin}${mountPath}/.well-known/openid-configuration`);
    if (!res.ok) throw new Error(`discovery returned HTTP ${res.status}`);
    const raw = (await res.json()) as Record<string, unknown>;
    const resourceScopes = resources.flatMap((r) => r.scopes);
    const metadata = profile.transformMetadata({
      ...raw,
      scopes_supported: [...new Set([...(raw.scopes_supported as string[]), ...resourceScopes])],
    });
    if (endpointsOrigin) {
      // Everything a client talks to moves to the other origin; the issuer keeps discovery and keys.
      for (const [name, value] of Object.entries(metadata)) {
        if (
          name.endsWith('_endpoint') &&
          name !== 'registration_endpoint' &&
          typeof value === 'string' &&
          value.startsWith(`${origin}${mountPath}/`)
        ) {
          metadata[name] = endpointsOrigin + value.slice(origin.length + mountPath.length);
        }
      }
    }
    const paths = profile.discoveryPaths(issuerPath);
    for (const p of [...paths.openid, ...paths.oauth]) documents.set(p, metadata);
    documentsReady = true;

    const endpoint = (name: string) => String(metadata[name]);
    const clientFor = (o: { clientId?: string; clientSecret?: string }, fallback: string) => {
      const clientId = o.clientId ?? fallback;
      return { clientId, clientSecret: o.clientSecret ?? clientSecrets.get(clientId) };
    };
    const defaultScope = (resource: string | null): string | undefined => {
      if (resource === null) return undefined;
      const r = findResource(resource);
      return r?.scopes.length ? r.scopes.join(' ') : undefined;
    };

    const clientCredentials = async (o: GetTokenOptions): Promise<TokenResponse> => {
      const client = clientFor(o, 'mcp-service');
      const r = await postForm(
        endpoint('token_endpoint'),
        {
          grant_type: 'client_credentials',
          resource: o.resource,
          scope: o.scope ?? defaultScope(o.resource),
          [FORMAT_PARAM]: o.format,
        },
        client,
      );
      return assertTokenResponse('client_credentials grant', r);
    };

    const exchangeCode = async (o: ExchangeCodeOptions): Promise<TokenResponse> => {
      const client = clientFor(o, 'mcp-public');
      const r = await postForm(
        endpoint('token_endpoint'),
        {
          grant_type: 'authorization_code',
          code: o.code,
          code_verifier: o.codeVerifier,
          redirect_uri: o.redirectUri,
          resource: o.resource ?? undefined,
          [FORMAT_PARAM]: o.format,
          ...o.extraTokenParams,
        },
        client,
      );
      return assertTokenResponse('authorization_code grant', r);
    };

    const authorize = async (o: AuthorizationCodeFlowOptions) => {
      const clientId = o.clientId ?? (o.clientSecret ? 'mcp-confidential' : 'mcp-public');
      let user: UserConfig | undefined;
      if (o.user !== undefined) {
        user = findUser(o.user);
        if (!user) throw new DevAuthServerError('ERR_INTERACTION', `unknown user "${o.user}"`);
      } else if (interactive) {
        user = defaultUser;
      }
      return runAuthorization({
        authorizationEndpoint: endpoint('authorization_endpoint'),
        issuer,
        clientId,
        redirectUri: o.redirectUri ?? `http://127.0.0.1:${randomInt(20000, 60000)}/callback`,
        scope: o.scope ?? defaultScope(o.resource),
        resource: o.resource,
        user,
        extraParams: o.extraParams,
      });
    };

    const dev: DevAuthServer = {
      issuer,
      origin,
      jwksUri: endpoint('jwks_uri'),
      metadata,
      authorizationServerMetadata: paths.oauth.length ? metadata : undefined,
      discoveryUrls: {
        openidConfiguration: paths.openid.map((p) => origin + p),
        oauthAuthorizationServer: paths.oauth.map((p) => origin + p),
      },
      profile: profile.name,
      interactive,
      resources,
      users,
      clients: {
        public: { clientId: 'mcp-public', redirectUris: [...LOOPBACK_REDIRECT_URIS] },
        confidential: {
          clientId: 'mcp-confidential',
          clientSecret: secrets.confidential,
          redirectUris: [...LOOPBACK_REDIRECT_URIS],
        },
        service: { clientId: 'mcp-service', clientSecret: secrets.service },
        introspector: { clientId: 'mcp-introspector', clientSecret: secrets.introspector },
      },
      endpoints: {
        authorization: endpoint('authorization_endpoint'),
        token: endpoint('token_endpoint'),
        introspection: endpoint('introspection_endpoint'),
        revocation: endpoint('revocation_endpoint'),
        registration: registration ? endpoint('registration_endpoint') : undefined,
        userinfo: endpoint('userinfo_endpoint'),
        jwks: endpoint('jwks_uri'),
      },
      keys: {
        add: (alg) => keys.add(alg),
        rotate: async (alg) => {
          const kid = await keys.add(alg);
          keys.setCurrent(kid);
          return kid;
        },
        setCurrent: (kid) => keys.setCurrent(kid),
        remove: (kid) => keys.remove(kid),
        list: () => keys.list(),
      },
      addResource: (r) => {
        const href = validateResource(r, '"resource');
        if (findResource(href))
          throw new TypeError(`"resource.uri" ${r.uri} is already configured`);
        const added: ResourceConfig = { format: 'jwt', alg: 'RS256', ...r, scopes: [...r.scopes] };
        resources.push(added);
        // the served documents are this same object
        metadata.scopes_supported = [
          ...new Set([...(metadata.scopes_supported as string[]), ...added.scopes]),
        ];
        return added;
      },
      clientCredentials,
      getToken: async (o) => (await clientCredentials(o)).access_token,
      authorize,
      exchangeCode,
      authorizationCodeFlow: async (o) => {
        const a = await authorize(o);
        const clientId = o.clientId ?? (o.clientSecret ? 'mcp-confidential' : 'mcp-public');
        return exchangeCode({
          code: a.code,
          codeVerifier: a.codeVerifier,
          redirectUri: a.redirectUri,
          resource: o.resource,
          clientId,
          ...(o.clientSecret ? { clientSecret: o.clientSecret } : {}),
          ...(o.extraTokenParams ? { extraTokenParams: o.extraTokenParams } : {}),
          ...(o.format ? { format: o.format } : {}),
        });
      },
      refresh: async (o) => {
        const client = clientFor(o, 'mcp-public');
        const r = await postForm(
          endpoint('token_endpoint'),
          {
            grant_type: 'refresh_token',
            refresh_token: o.refreshToken,
            resource: o.resource,
            scope: o.scope,
            [FORMAT_PARAM]: o.format,
          },
          client,
        );
        return assertTokenResponse('refresh_token grant', r);
      },
      introspect: async (token, o = {}) => {
        const r = await postForm(
          endpoint('introspection_endpoint'),
          { token, token_type_hint: o.tokenTypeHint },
          { clientId: 'mcp-introspector', clientSecret: secrets.introspector },
        );
        return assertOk('introspection', r);
      },
      revoke: async (token, o = {}) => {
        const client: ClientCredentials = o.clientId
          ? clientFor(o, o.clientId)
          : { clientId: 'mcp-introspector', clientSecret: secrets.introspector };
        const r = await postForm(
          endpoint('revocation_endpoint'),
          { token, token_type_hint: o.tokenTypeHint },
          client,
        );
        if (r.status !== 200) assertOk('revocation', r);
      },
      registerClient: async (metadata) => {
        if (!registration) {
          throw new DevAuthServerError(
            'ERR_UNEXPECTED_RESPONSE',
            'dynamic registration is disabled',
          );
        }
        const res = await request(endpoint('registration_endpoint'), {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(metadata),
        });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // kept as text
        }
        const out = assertOk('registration', { status: res.status, body });
        if (typeof out.client_secret === 'string' && typeof out.client_id === 'string') {
          clientSecrets.set(out.client_id, out.client_secret);
        }
        return out;
      },
      endpointsOrigin,
      stop: async () => {
        for (const socket of sockets) socket.destroy();
        await Promise.all([close(server), endpointsServer ? close(endpointsServer) : undefined]);
        store.clear();
      },
    };
    logger.info?.('dev-auth-server: listening', { issuer, profile: profile.name });
    return dev;
  } catch (err) {
    for (const socket of sockets) socket.destroy();
    await Promise.all([close(server), endpointsServer ? close(endpointsServer) : undefined]);
    throw err;
  }
}
