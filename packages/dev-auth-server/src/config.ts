import { positiveInteger } from '@mcp-auth/internal';
import { isSigningAlg, SIGNING_ALGS } from './keys.js';
import { PROFILES, type Profile } from './profiles/index.js';
import type {
  DevAuthServerOptions,
  Logger,
  ResourceConfig,
  TrustedIssuer,
  TrustedWorkloadIssuer,
  UserConfig,
} from './types.js';

/**
 * The server's configuration: checks the options (a TypeError naming the option, before anything
 * listens) and resolves them with the profile's defaults into one {@link ServerConfig}.
 */

/** The user every server has unless `users` says otherwise. */
export const DEFAULT_USER: UserConfig = {
  sub: 'user-1',
  email: 'user1@example.com',
  password: 'password',
  name: 'User One',
};

/** oidc-provider's own (OpenID Connect) scopes. */
export const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email'];
/** Non-standard token request parameter that picks the access token format (see `getToken`). */
export const FORMAT_PARAM = 'x_dev_token_format';

/** The options, checked and completed with their defaults. */
export interface ServerConfig {
  options: DevAuthServerOptions;
  profile: Profile;
  host: string;
  /** Also where oidc-provider is mounted. */
  issuerPath: string;
  interactive: boolean;
  logger: Logger;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  registration: boolean;
  /** Mutable: `addResource` appends. */
  resources: ResourceConfig[];
  users: UserConfig[];
  defaultUser: UserConfig;
}

/** Checks one resource; returns its normalised URI. `at` names it in messages (`"resources[0]`). */
export function validateResource(r: ResourceConfig, at: string): string {
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
  if (r.accessTokenTtlSeconds !== undefined) {
    positiveInteger(r.accessTokenTtlSeconds, `${at.slice(1)}.accessTokenTtlSeconds`);
  }
  return url.href;
}

export function validateOptions(o: DevAuthServerOptions): void {
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
    if (o[name] !== undefined) positiveInteger(o[name], name);
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
  if (o.entraAppIdUri !== undefined) {
    if (typeof o.entraAppIdUri !== 'string' || !URL.parse(o.entraAppIdUri)) {
      throw new TypeError('"entraAppIdUri" must be an absolute URI such as "api://my-api"');
    }
    if (o.profile !== 'entra')
      throw new TypeError('"entraAppIdUri" applies to profile "entra" only');
  }
  if (o.keycloakAudienceMapper !== undefined && o.profile !== 'keycloak') {
    throw new TypeError('"keycloakAudienceMapper" applies to profile "keycloak" only');
  }
  if (o.auth0Rfc9068Profile !== undefined && o.profile !== 'auth0') {
    throw new TypeError('"auth0Rfc9068Profile" applies to profile "auth0" only');
  }
  if (o.requireDpopNonce !== undefined && typeof o.requireDpopNonce !== 'boolean') {
    throw new TypeError('"requireDpopNonce" must be a boolean');
  }
  validateTrustedIssuers(o.trustedIdJagIssuers, 'trustedIdJagIssuers');
  validateTrustedIssuers(o.trustedWorkloadIssuers, 'trustedWorkloadIssuers');
  validateEnterpriseIdp(o.enterpriseIdp);
}

function validateTrustedIssuers(list: readonly TrustedIssuer[] | undefined, name: string): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new TypeError(`"${name}" must be an array`);
  for (const [i, t] of list.entries()) {
    const at = `"${name}[${i}]`;
    if (t === null || typeof t !== 'object') throw new TypeError(`${at}" must be an object`);
    if (typeof t.issuer !== 'string' || !URL.parse(t.issuer)) {
      throw new TypeError(`${at}.issuer" must be an absolute URL`);
    }
    const hasJwks = t.jwks !== undefined;
    const hasUri = t.jwksUri !== undefined;
    if (hasJwks === hasUri) throw new TypeError(`${at}" needs exactly one of "jwks" and "jwksUri"`);
    if (hasJwks && !Array.isArray(t.jwks?.keys)) {
      throw new TypeError(`${at}.jwks" must be { keys: JWK[] }`);
    }
    if (hasUri && (typeof t.jwksUri !== 'string' || !URL.parse(t.jwksUri))) {
      throw new TypeError(`${at}.jwksUri" must be an absolute URL`);
    }
    for (const list of ['clientIds', 'subjects'] as const) {
      const v = (t as TrustedWorkloadIssuer)[list];
      if (v !== undefined && (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))) {
        throw new TypeError(`${at}.${list}" must be an array of strings`);
      }
    }
  }
}

function validateEnterpriseIdp(v: DevAuthServerOptions['enterpriseIdp']): void {
  if (v === undefined || typeof v === 'boolean') return;
  if (v === null || typeof v !== 'object') {
    throw new TypeError('"enterpriseIdp" must be a boolean or an object');
  }
  if (v.idJagTtlSeconds !== undefined) {
    positiveInteger(v.idJagTtlSeconds, 'enterpriseIdp.idJagTtlSeconds');
  }
  if (
    v.clientIdAt !== undefined &&
    (v.clientIdAt === null ||
      typeof v.clientIdAt !== 'object' ||
      !Object.values(v.clientIdAt).every((x) => typeof x === 'string' && x))
  ) {
    throw new TypeError('"enterpriseIdp.clientIdAt" must map issuers to client ids');
  }
}

/** Checks the options and resolves them into the server's configuration. */
export function resolveConfig(options: DevAuthServerOptions): ServerConfig {
  validateOptions(options);
  const profile: Profile = PROFILES[options.profile ?? 'generic'];
  const users: UserConfig[] = (options.users ?? [DEFAULT_USER]).map((u) => ({ ...u }));
  return {
    options,
    profile,
    host: options.host ?? '127.0.0.1',
    issuerPath: options.issuerPath ?? profile.defaultIssuerPath,
    interactive: options.interactive === true,
    logger: options.logger ?? {},
    accessTokenTtl: options.accessTokenTtlSeconds ?? 3600,
    refreshTokenTtl: options.refreshTokenTtlSeconds ?? 14 * 24 * 3600,
    registration: options.registration ?? profile.registrationByDefault,
    resources: (options.resources ?? []).map((r) => withResourceDefaults(r)),
    users,
    defaultUser: users[0] as UserConfig,
  };
}

/** A resource with its `format` and `alg` defaults, and its own copy of `scopes`. */
export function withResourceDefaults(r: ResourceConfig): ResourceConfig {
  return { format: 'jwt', alg: 'RS256', ...r, scopes: [...r.scopes] };
}

/** The configured resource a resource indicator names (compared as URLs), if any. */
export function findResource(
  resources: readonly ResourceConfig[],
  indicator: string,
): ResourceConfig | undefined {
  const href = URL.parse(indicator)?.href;
  return resources.find((r) => r.uri === indicator || URL.parse(r.uri)?.href === href);
}

/** The user a login names: by `sub` first, then by username or email. */
export function findUser(users: readonly UserConfig[], login: unknown): UserConfig | undefined {
  return typeof login === 'string'
    ? (users.find((u) => u.sub === login) ??
        users.find((u) => u.username === login || u.email === login))
    : undefined;
}
