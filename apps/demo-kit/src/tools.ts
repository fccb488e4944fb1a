import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** The tool that needs the step-up scope on top of the required ones. */
export const STEP_UP_TOOL = 'server_stats';

export interface DemoServerOptions {
  /** Server name announced in `initialize`, e.g. `cognito-demo`. */
  name: string;
  /** The provider's display name, echoed by `whoami`. */
  providerName: string;
  /** The scope `server_stats` needs. */
  stepUpScope: string;
  /** Claims `whoami` lifts to the top of its answer (the provider-shaped ones). */
  highlightClaims?: string[];
  /** Live numbers for `server_stats` (sessions, for instance). */
  stats?: () => Record<string, unknown>;
  version?: string;
}

/** What `whoami` returns (also as `structuredContent`). */
export interface WhoAmI {
  provider: string;
  subject: string | null;
  clientId: string;
  scopes: string[];
  issuer: string | null;
  resource: string | null;
  tokenType: string | null;
  expiresAt: string | null;
  /** The provider-shaped claims (e.g. Cognito `token_use`, Okta `scp`/`cid`, Auth0 `permissions`). */
  providerClaims: Record<string, unknown>;
  /** Every claim of the access token (or of the introspection answer). Never the token itself. */
  claims: Record<string, unknown>;
}

/**
 * Builds the demo MCP server: `whoami` (the caller as the token says: subject, client, scopes,
 * the provider-shaped claims), `echo`, and `server_stats`, which needs an extra scope so the
 * 403 + step-up path can be seen. The transport calls this once per session (Streamable HTTP or SSE).
 *
 * @example
 * const server = createDemoServer({ name: 'okta-demo', providerName: 'Okta', stepUpScope: 'mcp.admin' });
 * @see https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization
 */
export function createDemoServer(options: DemoServerOptions): McpServer {
  const server = new McpServer(
    { name: options.name, version: options.version ?? '0.0.0' },
    {
      instructions: `A demo MCP server protected by OAuth 2.1 (${options.providerName}). Call whoami to see who you are.`,
    },
  );

  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description:
        'The caller as the access token describes it: subject, client, granted scopes, issuer and the provider-specific claims.',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (extra) => {
      const who = describeCaller(extra.authInfo, options);
      return {
        content: [{ type: 'text', text: JSON.stringify(who, null, 2) }],
        structuredContent: who as unknown as Record<string, unknown>,
      };
    },
  );

  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Returns the text it is given.',
      inputSchema: { text: z.string().max(10_000).describe('The text to send back') },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );

  server.registerTool(
    STEP_UP_TOOL,
    {
      title: 'Server statistics',
      description: `Process statistics of this server (uptime, memory, sessions). Needs the scope "${options.stepUpScope}": without it the request is refused with 403 insufficient_scope and the client steps up.`,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (extra) => {
      // The HTTP layer already answered 403 for callers without the scope; this check is the
      // second line of defence, in case the server is mounted without that layer.
      const scopes = extra.authInfo?.scopes ?? [];
      if (!scopes.includes(options.stepUpScope)) {
        return {
          isError: true,
          content: [
            {
              type: 'text',
              text: `insufficient_scope: this tool needs the scope "${options.stepUpScope}"`,
            },
          ],
        };
      }
      const mem = process.memoryUsage();
      const stats = {
        uptimeSeconds: Math.round(process.uptime()),
        node: process.version,
        rssMegabytes: Math.round((mem.rss / 1_048_576) * 10) / 10,
        heapUsedMegabytes: Math.round((mem.heapUsed / 1_048_576) * 10) / 10,
        ...(options.stats ? options.stats() : {}),
      };
      return {
        content: [{ type: 'text', text: JSON.stringify(stats, null, 2) }],
        structuredContent: stats,
      };
    },
  );

  return server;
}

/**
 * The caller as `whoami` reports it, from the SDK's `AuthInfo` (filled by the transport from the
 * validated token). Exported for tests.
 *
 * @example
 * describeCaller(extra.authInfo, { name: 'x', providerName: 'Auth0', stepUpScope: 'read:admin' });
 */
export function describeCaller(authInfo: AuthInfo | undefined, options: DemoServerOptions): WhoAmI {
  const extra = (authInfo?.extra ?? {}) as {
    subject?: unknown;
    issuer?: unknown;
    tokenType?: unknown;
    claims?: unknown;
  };
  const claims =
    extra.claims && typeof extra.claims === 'object'
      ? (extra.claims as Record<string, unknown>)
      : {};
  const providerClaims: Record<string, unknown> = {};
  for (const name of options.highlightClaims ?? []) {
    if (name in claims) providerClaims[name] = claims[name];
  }
  const subject = typeof extra.subject === 'string' ? extra.subject : strOrNull(claims['sub']);
  return {
    provider: options.providerName,
    subject,
    clientId: authInfo?.clientId ?? '',
    scopes: authInfo?.scopes ?? [],
    issuer: typeof extra.issuer === 'string' ? extra.issuer : strOrNull(claims['iss']),
    resource: authInfo?.resource ? String(authInfo.resource) : null,
    tokenType: typeof extra.tokenType === 'string' ? extra.tokenType : null,
    expiresAt:
      typeof authInfo?.expiresAt === 'number'
        ? new Date(authInfo.expiresAt * 1000).toISOString()
        : null,
    providerClaims,
    claims,
  };
}

function strOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
