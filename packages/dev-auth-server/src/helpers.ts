import { randomInt } from 'node:crypto';
import { FORMAT_PARAM, findResource, findUser } from './config.js';
import type { ServerContext } from './context.js';
import { DevAuthServerError } from './errors.js';
import {
  assertOk,
  assertTokenResponse,
  type ClientCredentials,
  postForm,
  request,
  runAuthorization,
} from './flows.js';
import { tokenRequest } from './token-request.js';
import type {
  AuthorizationCodeFlowOptions,
  DevAuthServer,
  ExchangeCodeOptions,
  GetTokenOptions,
  TokenResponse,
  UserConfig,
} from './types.js';

/**
 * The helper API of a running server (`getToken`, `authorizationCodeFlow`, `introspect`, ...): HTTP
 * clients of its real endpoints, as discovery names them. No token is made outside the server.
 */
export type Helpers = Pick<
  DevAuthServer,
  | 'clientCredentials'
  | 'getToken'
  | 'authorize'
  | 'exchangeCode'
  | 'authorizationCodeFlow'
  | 'refresh'
  | 'introspect'
  | 'revoke'
  | 'registerClient'
>;

/** The endpoint URLs the helpers call, read from the served metadata. */
export function endpointOf(metadata: Record<string, unknown>, name: string): string {
  return String(metadata[name]);
}

/** The client a helper authenticates as: the one asked for (secret looked up when not given). */
export function clientFor(
  s: ServerContext,
  o: { clientId?: string; clientSecret?: string },
  fallback: string,
): ClientCredentials {
  const clientId = o.clientId ?? fallback;
  return { clientId, clientSecret: o.clientSecret ?? s.clients.secrets.get(clientId) };
}

/**
 * Every scope of the resource, space-separated (or what the profile asks for instead: Entra's
 * `api://<app>/...` scopes); undefined for none or no resource.
 */
export function defaultScope(
  s: ServerContext,
  resource: string | null,
  grant: 'client_credentials' | 'user' = 'user',
): string | undefined {
  if (resource === null) return undefined;
  const r = findResource(s.config.resources, resource);
  if (!r?.scopes.length) return undefined;
  const { profile, options } = s.config;
  return profile.helperScope?.(r.scopes, grant, options) ?? r.scopes.join(' ');
}

/**
 * The `resource` parameter the helpers send: none where the profile refuses it (Entra names the API
 * by its scopes).
 */
export function resourceParam<T extends string | null | undefined>(
  s: ServerContext,
  resource: T,
): T | undefined {
  return s.config.profile.rejectsResourceParameter ? undefined : resource;
}

export function createHelpers(s: ServerContext, metadata: Record<string, unknown>): Helpers {
  const token = endpointOf(metadata, 'token_endpoint');
  const clientCredentials = (o: GetTokenOptions) => clientCredentialsGrant(s, token, o);
  const exchangeCode = (o: ExchangeCodeOptions) => exchangeCodeGrant(s, token, o);
  const authorize = (o: AuthorizationCodeFlowOptions) =>
    authorizeFrontChannel(s, endpointOf(metadata, 'authorization_endpoint'), o);
  const introspector = (): ClientCredentials => ({
    clientId: 'mcp-introspector',
    clientSecret: s.clients.info.introspector.clientSecret,
  });
  return {
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
        ...(o.dpop ? { dpop: o.dpop } : {}),
      });
    },
    refresh: async (o) => {
      const r = await tokenRequest(
        s,
        token,
        {
          grant_type: 'refresh_token',
          refresh_token: o.refreshToken,
          resource: resourceParam(s, o.resource),
          scope: o.scope,
          [FORMAT_PARAM]: o.format,
        },
        o,
        'mcp-public',
        o.dpop,
      );
      return assertTokenResponse('refresh_token grant', r);
    },
    introspect: async (t, o = {}) => {
      const r = await postForm(
        endpointOf(metadata, 'introspection_endpoint'),
        { token: t, token_type_hint: o.tokenTypeHint },
        introspector(),
      );
      return assertOk('introspection', r);
    },
    revoke: async (t, o = {}) => {
      const client = o.clientId ? clientFor(s, o, o.clientId) : introspector();
      const r = await postForm(
        endpointOf(metadata, 'revocation_endpoint'),
        { token: t, token_type_hint: o.tokenTypeHint },
        client,
      );
      if (r.status !== 200) assertOk('revocation', r);
    },
    registerClient: (m) => registerClient(s, metadata, m),
  };
}

async function clientCredentialsGrant(
  s: ServerContext,
  tokenEndpoint: string,
  o: GetTokenOptions,
): Promise<TokenResponse> {
  const r = await tokenRequest(
    s,
    tokenEndpoint,
    {
      grant_type: 'client_credentials',
      resource: resourceParam(s, o.resource),
      scope: o.scope ?? defaultScope(s, o.resource, 'client_credentials'),
      [FORMAT_PARAM]: o.format,
    },
    o,
    'mcp-service',
    o.dpop,
  );
  return assertTokenResponse('client_credentials grant', r);
}

async function exchangeCodeGrant(
  s: ServerContext,
  tokenEndpoint: string,
  o: ExchangeCodeOptions,
): Promise<TokenResponse> {
  const r = await tokenRequest(
    s,
    tokenEndpoint,
    {
      grant_type: 'authorization_code',
      code: o.code,
      code_verifier: o.codeVerifier,
      redirect_uri: o.redirectUri,
      resource: resourceParam(s, o.resource) ?? undefined,
      [FORMAT_PARAM]: o.format,
      ...o.extraTokenParams,
    },
    o,
    'mcp-public',
    o.dpop,
  );
  return assertTokenResponse('authorization_code grant', r);
}

async function authorizeFrontChannel(
  s: ServerContext,
  authorizationEndpoint: string,
  o: AuthorizationCodeFlowOptions,
) {
  const clientId = o.clientId ?? (o.clientSecret ? 'mcp-confidential' : 'mcp-public');
  let user: UserConfig | undefined;
  if (o.user !== undefined) {
    user = findUser(s.config.users, o.user);
    if (!user) throw new DevAuthServerError('ERR_INTERACTION', `unknown user "${o.user}"`);
  } else if (s.config.interactive) {
    user = s.config.defaultUser;
  }
  return runAuthorization({
    authorizationEndpoint,
    issuer: s.issuer,
    clientId,
    redirectUri: o.redirectUri ?? `http://127.0.0.1:${randomInt(20000, 60000)}/callback`,
    scope: o.scope ?? defaultScope(s, o.resource),
    resource: resourceParam(s, o.resource) ?? null,
    user,
    extraParams: o.extraParams,
  });
}

async function registerClient(
  s: ServerContext,
  metadata: Record<string, unknown>,
  client: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  if (!s.config.registration) {
    throw new DevAuthServerError('ERR_UNEXPECTED_RESPONSE', 'dynamic registration is disabled');
  }
  const res = await request(endpointOf(metadata, 'registration_endpoint'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(client),
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
    s.clients.secrets.set(out.client_id, out.client_secret);
  }
  return out;
}
