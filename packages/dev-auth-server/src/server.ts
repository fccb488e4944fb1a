import { createClients } from './clients.js';
import { findResource, resolveConfig, validateResource, withResourceDefaults } from './config.js';
import type { ServerContext } from './context.js';
import { createExtensionHelpers } from './extension-helpers.js';
import { createFronts, type Fronts } from './front.js';
import { createHelpers, endpointOf } from './helpers.js';
import { MemoryStore } from './internal/adapter.js';
import { close, listen } from './internal/http.js';
import { loadOidcProvider } from './internal/load-oidc-provider.js';
import { generateSigningKey, KeyRing, keyManager, SIGNING_ALGS } from './keys.js';
import { entraAppIdUri } from './profiles/entra.js';
import { providerBuilder } from './provider.js';
import type { DevAuthServer, DevAuthServerOptions, ResourceConfig } from './types.js';

export { LOOPBACK_REDIRECT_URIS } from './clients.js';
export { DEFAULT_USER } from './config.js';

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
  const config = resolveConfig(options);
  const oidc = await loadOidcProvider();
  const s: ServerContext = {
    config,
    clients: await createClients(options),
    keys: new KeyRing(() => rebuild()),
    store: new MemoryStore(),
    oidc,
    issuer: '',
    origin: '',
    endpointsOrigin: undefined,
    allowedHosts: undefined,
    endpointsAllowedHosts: undefined,
    documents: new Map(),
    documentsReady: false,
    provider: undefined,
    callback: undefined,
    dpopNonce: undefined,
  };
  const rebuild = providerBuilder(s);
  for (const key of await Promise.all(SIGNING_ALGS.map((alg) => generateSigningKey(alg)))) {
    s.keys.push(key);
  }
  const fronts = createFronts(s);
  await listenAll(s, fronts);
  try {
    rebuild();
    const metadata = await loadMetadata(s);
    const dev = assemble(s, fronts, metadata);
    config.logger.info?.('dev-auth-server: listening', {
      issuer: s.issuer,
      profile: config.profile.name,
    });
    return dev;
  } catch (err) {
    await stopFronts(fronts);
    throw err;
  }
}

/** Listens (the second front on a random port), then fixes the issuer and the allowed hosts. */
async function listenAll(s: ServerContext, fronts: Fronts): Promise<void> {
  const { host, issuerPath, profile, options } = s.config;
  const port = await listen(fronts.server, options.port ?? 0, host);
  let endpointsPort: number | undefined;
  if (fronts.endpointsServer) {
    try {
      endpointsPort = await listen(fronts.endpointsServer, 0, host);
    } catch (err) {
      await close(fronts.server);
      throw err;
    }
  }
  // Listening on every interface (only when asked): the issuer still names loopback.
  const issuerHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const urlHost = issuerHost.includes(':') ? `[${issuerHost}]` : issuerHost;
  s.origin = `http://${urlHost}:${port}`;
  s.issuer = `${s.origin}${issuerPath}${profile.issuerTrailingSlash ? '/' : ''}`;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'];
  s.allowedHosts = loopback.includes(urlHost)
    ? new Set(loopback.map((h) => `${h}:${port}`))
    : undefined;
  s.endpointsOrigin =
    endpointsPort === undefined ? undefined : `http://${urlHost}:${endpointsPort}`;
  s.endpointsAllowedHosts =
    endpointsPort !== undefined && loopback.includes(urlHost)
      ? new Set(loopback.map((h) => `${h}:${endpointsPort}`))
      : undefined;
}

/**
 * Reads oidc-provider's discovery document through the front, completes it (resource scopes, the
 * profile's edits, the second origin) and publishes it at every path the profile serves.
 */
async function loadMetadata(s: ServerContext): Promise<Record<string, unknown>> {
  const { issuerPath: mountPath, profile, resources } = s.config;
  const { origin, endpointsOrigin } = s;
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
  const paths = profile.discoveryPaths(mountPath);
  for (const p of [...paths.openid, ...paths.oauth]) s.documents.set(p, metadata);
  s.documentsReady = true;
  return metadata;
}

/** The `DevAuthServer` object: what the server is, its helpers, its keys, `stop()`. */
function assemble(s: ServerContext, fronts: Fronts, metadata: Record<string, unknown>) {
  const { profile, issuerPath, registration, interactive, resources, users } = s.config;
  const paths = profile.discoveryPaths(issuerPath);
  const endpoint = (name: string) => endpointOf(metadata, name);
  const helpers = createHelpers(s, metadata);
  const dev: DevAuthServer = {
    issuer: s.issuer,
    origin: s.origin,
    jwksUri: endpoint('jwks_uri'),
    metadata,
    authorizationServerMetadata: paths.oauth.length ? metadata : undefined,
    discoveryUrls: {
      openidConfiguration: paths.openid.map((p) => s.origin + p),
      oauthAuthorizationServer: paths.oauth.map((p) => s.origin + p),
    },
    profile: profile.name,
    entraAppIdUri: profile.name === 'entra' ? entraAppIdUri(s.config.options) : undefined,
    interactive,
    resources,
    users,
    clients: s.clients.info,
    endpoints: {
      authorization: endpoint('authorization_endpoint'),
      token: endpoint('token_endpoint'),
      introspection: endpoint('introspection_endpoint'),
      revocation: endpoint('revocation_endpoint'),
      registration: registration ? endpoint('registration_endpoint') : undefined,
      userinfo: endpoint('userinfo_endpoint'),
      jwks: endpoint('jwks_uri'),
    },
    keys: keyManager(s.keys),
    addResource: (r) => addResource(s, metadata, r),
    ...helpers,
    ...createExtensionHelpers(s, metadata, helpers),
    endpointsOrigin: s.endpointsOrigin,
    stop: async () => {
      await stopFronts(fronts);
      s.store.clear();
    },
  };
  return dev;
}

/** `addResource`: a resource known only at run time; its scopes join `scopes_supported`. */
function addResource(
  s: ServerContext,
  metadata: Record<string, unknown>,
  r: ResourceConfig,
): ResourceConfig {
  const href = validateResource(r, '"resource');
  if (findResource(s.config.resources, href)) {
    throw new TypeError(`"resource.uri" ${r.uri} is already configured`);
  }
  const added = withResourceDefaults(r);
  s.config.resources.push(added);
  // the served documents are this same object
  metadata.scopes_supported = [
    ...new Set([...(metadata.scopes_supported as string[]), ...added.scopes]),
  ];
  return added;
}

async function stopFronts(fronts: Fronts): Promise<void> {
  for (const socket of fronts.sockets) socket.destroy();
  await Promise.all([
    close(fronts.server),
    fronts.endpointsServer ? close(fronts.endpointsServer) : undefined,
  ]);
}
