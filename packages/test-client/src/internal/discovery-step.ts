import {
  canonicalizeResourceUri,
  discoverAuthorizationServer,
  fetchProtectedResourceMetadata,
  isDiscoveryError,
} from '@mcp-auth/discovery';
import { isTestClientError, TestClientError } from '../errors.js';
import type { StepContext } from '../report.js';
import { assertUrlAllowed } from '../url-policy.js';
import type { BearerChallenge } from './http.js';
import type { SessionState } from './session-state.js';
import type { DiscoveredMetadata } from './types.js';

/** Steps 2 and 3: protected resource metadata, then authorization server metadata. */
export async function discover(
  session: SessionState,
  challenge: BearerChallenge | undefined,
): Promise<DiscoveredMetadata> {
  if (session.metadata) return session.metadata;
  const allowLoopback = { allowInsecureHttpForLoopback: true } as const;
  const prm = await session.report.step(
    'resource_metadata',
    'Protected resource metadata',
    async (s) => {
      const fromChallenge = challenge?.params.resource_metadata;
      if (fromChallenge) {
        assertUrlAllowed(fromChallenge, 'resource_metadata URL', {
          allowHttp: session.options.allowHttp,
        });
      }
      try {
        const result = await fetchProtectedResourceMetadata(session.serverUrl, {
          ...(fromChallenge ? { resourceMetadataUrl: fromChallenge } : {}),
          fetch: session.fetchImpl,
          timeoutMs: session.timeoutMs,
          ...allowLoopback,
        });
        for (const url of result.tried) s.sent(`GET ${url}`);
        const m = result.metadata;
        s.received(
          `resource=${m.resource}, authorization_servers=${JSON.stringify(m.authorization_servers)}${
            m.scopes_supported ? `, scopes_supported=${JSON.stringify(m.scopes_supported)}` : ''
          }`,
        );
        return result;
      } catch (err) {
        throw wrapDiscoveryError(err, s);
      }
    },
  );

  const servers = prm.metadata.authorization_servers;
  const issuer = servers[0];
  if (!issuer) {
    throw new TestClientError(
      'ERR_RESOURCE_METADATA',
      'The protected resource metadata lists no authorization server',
      { url: prm.url },
    );
  }
  const as = await session.report.step(
    'authorization_server',
    'Authorization server metadata',
    async (s) => {
      if (servers.length > 1) s.note(`using the first of ${servers.length} authorization servers`);
      assertUrlAllowed(issuer, 'authorization server issuer', {
        allowHttp: session.options.allowHttp,
      });
      const allowList = toList(session.options.allowMissingPkceMetadata);
      const override = allowList.includes(issuer);
      let result: Awaited<ReturnType<typeof discoverAuthorizationServer>>;
      try {
        result = await discoverAuthorizationServer(issuer, {
          fetch: session.fetchImpl,
          timeoutMs: session.timeoutMs,
          requirePkceS256: true,
          // A test run reports what the server serves now: no process-wide cache.
          cache: false,
          ...(override ? { allowMissingPkceMetadata: true } : {}),
          ...allowLoopback,
        });
      } catch (err) {
        for (const url of (err as { tried?: string[] }).tried ?? []) s.sent(`GET ${url}`);
        throw wrapDiscoveryError(err, s, issuer);
      }
      for (const url of result.tried) s.sent(`GET ${url}`);
      const m = result.metadata;
      s.received(
        `issuer=${m.issuer} (${result.flavour}), code_challenge_methods_supported=${JSON.stringify(
          m.code_challenge_methods_supported ?? null,
        )}${m.registration_endpoint ? ', registration_endpoint' : ''}${
          m.client_id_metadata_document_supported ? ', client_id_metadata_document_supported' : ''
        }`,
      );
      if (!m.code_challenge_methods_supported) {
        s.note(
          `metadata lacks code_challenge_methods_supported: S256 assumed for ${issuer} (explicit override)`,
        );
      }
      for (const field of ['authorization_endpoint', 'token_endpoint'] as const) {
        const value = m[field];
        if (typeof value !== 'string') {
          throw new TestClientError(
            'ERR_AUTHORIZATION_SERVER_METADATA',
            `The authorization server metadata has no ${field}`,
            { url: result.url },
          );
        }
        assertUrlAllowed(value, field, { allowHttp: session.options.allowHttp });
      }
      if (typeof m.registration_endpoint === 'string') {
        assertUrlAllowed(m.registration_endpoint, 'registration_endpoint', {
          allowHttp: session.options.allowHttp,
        });
      }
      return result;
    },
  );

  const resource = canonicalizeResourceUri(session.options.resource ?? prm.metadata.resource);
  session.metadata = {
    resource,
    protectedResource: prm.metadata,
    protectedResourceMetadataUrl: prm.url,
    authorizationServer: as.metadata,
    authorizationServerMetadataUrl: as.url,
  };
  return session.metadata;
}

function toList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function wrapDiscoveryError(err: unknown, s: StepContext, issuer?: string): unknown {
  if (isTestClientError(err)) return err;
  if (!isDiscoveryError(err)) return err;
  const code = err.code;
  const mapped =
    code === 'ERR_METADATA_RESOURCE_MISMATCH'
      ? 'ERR_RESOURCE_MISMATCH'
      : code === 'ERR_PKCE_METADATA_MISSING' || code === 'ERR_PKCE_S256_UNSUPPORTED'
        ? 'ERR_PKCE_NOT_SUPPORTED'
        : code === 'ERR_INSECURE_URL'
          ? 'ERR_HTTP_URL_REFUSED'
          : issuer
            ? 'ERR_AUTHORIZATION_SERVER_METADATA'
            : 'ERR_RESOURCE_METADATA';
  let message = err.message;
  if (mapped === 'ERR_PKCE_NOT_SUPPORTED' && issuer) {
    message = `${err.message}. PKCE S256 is required; if this provider is known to support S256 without advertising it, pass --allow-missing-pkce-metadata ${issuer}`;
  }
  if (mapped === 'ERR_RESOURCE_MISMATCH') {
    s.note('stopped before any authorization request');
  }
  return new TestClientError(mapped, message, {
    discoveryCode: code,
    ...(err.url ? { url: err.url } : {}),
    ...(err.status !== undefined ? { status: err.status } : {}),
    cause: err,
  });
}
