import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { redisStore } from '@mcp-auth/cache';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { unionScopes } from '@mcp-auth/internal';
import {
  type AuthEvent,
  createHandler,
  type Logger,
  OAuthProvider,
  type SseHandler,
} from '@mcp-auth/sse-transport';
import { type DemoConfig, loadConfig } from './config.js';
import { mergeEnv, readDotEnvFile } from './dotenv.js';
import { ConfigError } from './errors.js';
import { choosePort, hostForUrl, listen, portInUse } from './ports.js';
import type { ProviderDefinition } from './provider.js';
import { signedInPage } from './signed-in-page.js';
import {
  type DemoTelemetry,
  readTelemetryChoice,
  startTelemetry,
  type TelemetryMode,
} from './telemetry.js';
import { createDemoServer, describeCaller, STEP_UP_TOOL } from './tools.js';

/** Log sink, the shape every @mcp-auth package accepts. */
export type { Logger };

export interface StartDemoAppOptions {
  /** The environment; default: `process.env` over the `.env` file of `cwd`. */
  env?: Record<string, string | undefined>;
  /** Where `.env` is looked for. Default `process.cwd()`. */
  cwd?: string;
  /** Emulation only: real login and consent pages instead of automatic approval. Default false. */
  interactive?: boolean;
  /** Logger handed to the libraries. Default: silent. */
  logger?: Logger;
  /** Every authorization decision of the transport (`--verbose` prints them). */
  onAuthEvent?: (event: AuthEvent) => void;
  /**
   * `console`: export spans and metrics to the console (`--telemetry console`). Without it, OTLP/HTTP
   * export is on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, else there is no telemetry.
   */
  telemetry?: TelemetryMode;
}

/** The Streamable HTTP endpoint; the default resource URI is `<origin>/mcp`. */
export const MCP_PATH = '/mcp';
/**
 * The deprecated HTTP+SSE endpoints, under {@link MCP_PATH}: clients accept protected resource
 * metadata whose `resource` is their server URL or a path prefix of it, so `<origin>/mcp` covers
 * `/mcp/sse` (where it would not cover `/sse`) and both transports share one resource.
 */
export const SSE_PATH = '/mcp/sse';
/** Where SSE clients POST their messages. */
export const MESSAGES_PATH = '/mcp/messages';

/** The user the emulation signs in (automatically, unless interactive). */
export const DEMO_USER = { sub: 'user-1', email: 'user1@example.com', password: 'password' };

/** A running demo app: the protected MCP server, and the emulated provider when there is one. */
export interface DemoApp {
  definition: ProviderDefinition;
  config: DemoConfig;
  mode: 'provider' | 'emulation';
  /** The issuer tokens come from. */
  issuer: string;
  /** The canonical resource URI: the audience tokens must carry. */
  resourceUri: string;
  /** `http://127.0.0.1:3001` */
  origin: string;
  /** The Streamable HTTP endpoint (`/mcp`): the one current MCP clients connect to. */
  mcpUrl: string;
  /**
   * The Streamable HTTP endpoint as clients reach it: on the origin of the resource URI (behind a
   * proxy, the public address), which is what their tokens are for. Same as `mcpUrl` in emulation
   * mode.
   */
  publicMcpUrl: string;
  /** The deprecated HTTP+SSE endpoint (`/mcp/sse` + `/mcp/messages`), still served for old clients. */
  sseUrl: string;
  /** The SSE endpoint on the public origin (see `publicMcpUrl`). */
  publicSseUrl: string;
  /** The protected resource metadata URL (RFC 9728). */
  resourceMetadataUrl: string;
  /** Where a browser starts the server-side OAuth flow (only with a client id). */
  authorizeUrl?: string;
  requiredScopes: string[];
  stepUpScope: string;
  /** Audiences accepted besides the resource URI (exact). */
  acceptedAudiences: string[];
  /** Present in emulation mode. */
  emulation?: DevAuthServer;
  /** Options for `@mcp-auth/test-client` to run the flow against this app (emulation mode). */
  testClientOptions: {
    clientId?: string;
    allowMissingPkceMetadata?: string;
    authorizationParams?: Record<string, string>;
    scope?: string;
  };
  handler: SseHandler;
  /** The OpenTelemetry SDK this app registered (`OTEL_EXPORTER_OTLP_ENDPOINT`, `--telemetry`). */
  telemetry?: DemoTelemetry;
  /** Stops the MCP server (ends streams), then the emulation. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a demo app: reads and validates the configuration (throws {@link ConfigError}), starts the
 * provider emulation when no provider is configured, and serves the protected MCP server
 * (`@mcp-auth/sse-transport`: Streamable HTTP at `/mcp`, the deprecated HTTP+SSE at `/mcp/sse`)
 * with the demo tools, `server_stats` gated by the step-up scope. The resource URI `<origin>/mcp`
 * is a path prefix of both endpoints, so one protected resource metadata document serves both.
 *
 * @example
 * const app = await startDemoApp(cognito, { env: {} });   // emulation of Cognito
 * console.log(app.mcpUrl);
 * await app.close();
 * @see https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization
 */
export async function startDemoApp(
  definition: ProviderDefinition,
  options: StartDemoAppOptions = {},
): Promise<DemoApp> {
  const env =
    options.env ??
    mergeEnv(readDotEnvFile(join(options.cwd ?? process.cwd(), '.env')), process.env);
  const config = loadConfig(definition, env);
  const telemetryChoice = readTelemetryChoice(env, definition.appName, options.telemetry);
  const logger = options.logger ?? {};

  const port = await choosePort(config, definition);
  const urlHost = hostForUrl(config.host);
  const origin = `http://${urlHost}:${port}`;
  // `<origin>/mcp`: the Streamable HTTP endpoint itself, and a path prefix of the SSE endpoints
  // (SSE_PATH), so clients of both transports accept the same metadata, found at the path-suffixed
  // well-known URL of the primary endpoint (RFC 9728 §3.1).
  const resourceUri = config.resourceUri ?? `${origin}${MCP_PATH}`;
  const requiredScopes = config.requiredScopes;
  const stepUpScope = config.stepUpScope;
  const allScopes = unionScopes(requiredScopes, [stepUpScope]);
  const callbackPath = '/oauth/callback';

  let emulation: DevAuthServer | undefined;
  let issuer: string;
  let clientId = config.clientId;
  const acceptedAudiences = [...config.acceptedAudiences];
  let clientSecret = config.clientSecret;
  let allowedClientIds = config.allowedClientIds;
  const testClientOptions: DemoApp['testClientOptions'] = {};

  if (config.mode === 'emulation') {
    // The server-side flow (GET /oauth/authorize → callback) gets its own confidential client,
    // registered with exactly this server's callback URL.
    const serverClientId = `${definition.appName}-server`;
    const serverClientSecret = randomBytes(24).toString('base64url');
    // Loaded only when needed: a configuration error never pays for (or prints from) oidc-provider.
    const { start: startDevAuthServer } = await import('@mcp-auth/dev-auth-server');
    emulation = await startDevAuthServer({
      profile: definition.profile,
      ...(definition.emulation.issuerPath !== undefined
        ? { issuerPath: definition.emulation.issuerPath }
        : {}),
      interactive: options.interactive ?? false,
      resources: [
        { uri: resourceUri, scopes: allScopes },
        // Another MCP server on the same authorization server: its tokens must be refused here.
        { uri: otherResourceFor(origin), scopes: allScopes },
      ],
      clients: [
        {
          client_id: serverClientId,
          client_secret: serverClientSecret,
          redirect_uris: [`${origin}${callbackPath}`],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      // Okta: every token carries the authorization server's Audience (api://default by default).
      ...(definition.profile === 'okta'
        ? { oktaAudience: definition.emulation.audience ?? resourceUri }
        : {}),
      logger,
    });
    issuer = emulation.issuer;
    if (
      definition.emulation.audience &&
      !acceptedAudiences.includes(definition.emulation.audience)
    ) {
      acceptedAudiences.push(definition.emulation.audience);
    }
    clientId = serverClientId;
    clientSecret = serverClientSecret;
    if (definition.requiresAllowedClientIds) {
      allowedClientIds = [
        emulation.clients.public.clientId,
        emulation.clients.confidential.clientId,
        serverClientId,
      ];
    }
    testClientOptions.clientId = emulation.clients.public.clientId;
  } else {
    issuer = config.authorizationServer!;
    if (config.clientId !== undefined && config.clientSecret === undefined) {
      testClientOptions.clientId = config.clientId; // a public client: MCP clients may use it too
    }
  }
  if (definition.profile === 'cognito') testClientOptions.allowMissingPkceMetadata = issuer;
  // Auth0 selects the API with `audience` (and honours `resource` only with the compatibility profile).
  if (definition.profile === 'auth0') {
    testClientOptions.authorizationParams = { audience: resourceUri };
    // With `openid`, Auth0 makes `aud` an array [api, <issuer>userinfo]: the shape to cope with.
    testClientOptions.scope = ['openid', ...requiredScopes].join(' ');
  }

  // Several instances: the token cache and the pending browser-flow states live in Redis.
  const store: ReturnType<typeof redisStore> | undefined = config.redisUrl
    ? redisStore({ url: config.redisUrl, prefix: `mcp-auth:${definition.appName}:`, logger })
    : undefined;

  let provider: OAuthProvider;
  try {
    provider = new OAuthProvider({
      authorizationServer: issuer,
      resourceUri,
      requiredScopes,
      scopesSupported: allScopes,
      profile: definition.profile,
      resourceName: `${definition.appName} (MCP demo, ${definition.displayName})`,
      // The callback is callbackPath on the origin of resourceUri (the public address).
      ...(clientId !== undefined ? { clientId } : {}),
      ...(clientSecret !== undefined ? { clientSecret } : {}),
      ...(allowedClientIds.length > 0 ? { allowedClientIds } : {}),
      // Exact extra audiences (OAUTH_AUDIENCE; Okta's api://default in its emulation).
      ...(acceptedAudiences.length > 0 ? { validator: { acceptedAudiences } } : {}),
      // Cognito: no audience in access tokens, so the binding is the client id allowlist instead.
      ...(definition.requiresAllowedClientIds ? { strictAudienceValidation: false } : {}),
      // Auth0 picks the API with `audience` (server-side browser flow).
      ...(definition.profile === 'auth0'
        ? { additionalAuthorizationParameters: { audience: resourceUri } }
        : {}),
      // Loopback http is how local servers run; anything else must be https (checked above).
      allowInsecureHttpForLoopback: true,
      ...(store ? { cache: store } : {}),
      logger,
    });
  } catch (err) {
    await store?.close();
    await emulation?.stop();
    throw err;
  }

  // CORS: any origin by default, as the transport does: bearer tokens are not cookies, so a page
  // can only use this server with a token it obtained. ALLOWED_ORIGIN narrows it. The transport's
  // Origin check (DNS rebinding) is separate and never widened by CORS: by default it serves
  // loopback origins for a loopback resource, else the resource's origin; ALLOWED_ORIGIN adds to it.
  const allowOrigin = config.allowedOrigin ?? '*';
  const allowedOrigins = allowOrigin === '*' ? [] : allowOrigin;
  // The address it listens on is a Host it serves too (a load balancer's health check, a direct
  // request to one instance behind a proxy): an IP literal or the configured HOST, never a name an
  // attacker's page could rebind.
  const listenHost = new URL(origin).host;
  const allowedHosts = listenHost === new URL(resourceUri).host ? [] : [listenHost];
  // Registered before the handler is created: the transport takes its meter then.
  let telemetry: DemoTelemetry | undefined;
  try {
    telemetry = telemetryChoice ? await startTelemetry(telemetryChoice) : undefined;
  } catch (err) {
    await provider.close();
    await store?.close();
    await emulation?.stop();
    throw err;
  }
  let handler: SseHandler | undefined;
  const stats = () => ({ sessions: handler?.sessionCount ?? 0 });
  handler = createHandler({
    // server_stats needs the step-up scope on top of the required ones: without it the transport
    // answers 403 insufficient_scope (listing every scope the call needs) and clients step up.
    auth: { provider, toolScopes: { [STEP_UP_TOOL]: [stepUpScope] } },
    cors: { allowOrigin },
    streamableHttp: { endpoint: MCP_PATH },
    endpoint: SSE_PATH,
    messageEndpoint: MESSAGES_PATH,
    ...(allowedOrigins.length > 0 ? { allowedOrigins } : {}),
    ...(allowedHosts.length > 0 ? { allowedHosts } : {}),
    // The server-side browser flow (/oauth/authorize → callback): show who signed in; the tokens
    // stay on the server and are never written into the page.
    oauth: {
      onCallback: ({ authInfo }, _req, res) => {
        const who = describeCaller(authInfo, {
          name: definition.appName,
          providerName: definition.displayName,
          stepUpScope,
        });
        const body = signedInPage(definition.appName, who);
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-length': String(Buffer.byteLength(body)),
          'cache-control': 'no-store',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
        });
        res.end(body);
      },
    },
    createMcpServer: () =>
      createDemoServer({
        name: definition.appName,
        providerName: definition.displayName,
        stepUpScope,
        highlightClaims: definition.highlightClaims,
        stats,
      }),
    ...(options.onAuthEvent ? { onAuthEvent: options.onAuthEvent } : {}),
    logger,
  });
  const server = createHttpServer(handler);
  server.requestTimeout = 0; // SSE streams (GET /mcp, GET /sse) are long-lived
  server.headersTimeout = 30_000;
  try {
    await listen(server, port, config.host);
  } catch (err) {
    await handler.close();
    await provider.close();
    await store?.close();
    await emulation?.stop();
    await telemetry?.shutdown();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUse(port, config.host);
    if ((err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') {
      throw new ConfigError(
        'HOST',
        `HOST ${config.host} is not an address of this machine: use e.g. HOST=127.0.0.1`,
      );
    }
    throw err;
  }

  let closing: Promise<void> | undefined;
  const h = handler;
  return {
    definition,
    config,
    mode: config.mode,
    issuer,
    resourceUri,
    origin,
    mcpUrl: `${origin}${MCP_PATH}`,
    publicMcpUrl: `${new URL(resourceUri).origin}${MCP_PATH}`,
    sseUrl: `${origin}${SSE_PATH}`,
    publicSseUrl: `${new URL(resourceUri).origin}${SSE_PATH}`,
    resourceMetadataUrl: metadataUrlFor(resourceUri),
    ...(clientId !== undefined ? { authorizeUrl: `${origin}/oauth/authorize` } : {}),
    requiredScopes,
    stepUpScope,
    acceptedAudiences,
    ...(emulation ? { emulation } : {}),
    testClientOptions,
    handler: h,
    ...(telemetry ? { telemetry } : {}),
    close() {
      closing ??= (async () => {
        await h.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await provider.close();
        await store?.close();
        await emulation?.stop();
        await telemetry?.shutdown(); // last: flushes what the shutdown itself recorded
      })();
      return closing;
    },
  };
}

/** Another resource URI on the same origin, for "a token for another resource is refused". */
export function otherResourceFor(origin: string): string {
  return `${origin}/other-mcp-server`;
}

/** RFC 9728 §3.1: the path-suffixed well-known URL of a resource's metadata. */
function metadataUrlFor(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}
