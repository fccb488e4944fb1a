import { fetchProtectedResourceMetadata, isDiscoveryError } from '@mcp-auth/discovery';
import { obtainTokens } from './authorize.js';
import { isTestClientError } from './errors.js';
import { checkOtherResource } from './internal/check-other-resource.js';
import {
  CHECKS_2026,
  type CheckOutcome,
  checkNoOfflineAccess,
  checkOriginValidation,
  checkScopeChallenge,
} from './internal/checks-2026.js';
import {
  checkCorsExposeHeaders,
  checkGarbageToken,
  checkQueryToken,
} from './internal/checks-token-probes.js';
import { type ProbeKind, type ProbeResponse, probe } from './internal/http.js';
import { parseOrigin } from './internal/origin.js';
import { AuthSession } from './internal/session.js';
import type { AuthorizeOptions } from './options.js';
import { describeError, Report } from './report.js';

/** The result of one conformance check. `warn` is a SHOULD not met; only `fail` fails the report. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  /** Stable identifier, e.g. `challenge_resource_metadata`. */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was observed (tokens redacted). */
  detail: string;
}

/** Options of {@link checkServer}. */
export interface CheckOptions extends AuthorizeOptions {
  /**
   * Another resource of the same authorization server: the check obtains a token for it and proves
   * the server refuses it with 401 (audience binding, RFC 8707).
   */
  otherResource?: string;
  /** Scope to ask for with the other resource's token. Default: the scope of the server's challenge. */
  otherResourceScope?: string;
  /**
   * Run only the checks that need no token (no authorization flow). The checks that need one are
   * reported as `skip`.
   */
  unauthenticatedOnly?: boolean;
  /**
   * `Origin` sent to check CORS: a serialized origin (`https://app.example.com`,
   * `http://localhost:5173`). Default `https://mcp-client.example`. A trailing `/` is dropped.
   */
  origin?: string;
}

/** What {@link checkServer} returns. */
export interface CheckReport {
  ok: boolean;
  serverUrl: string;
  checks: CheckResult[];
  /** The steps of the authorization flows the checks ran (tokens redacted). */
  report: Report;
}

/** The checks, in report order (ids and titles are API). */
export const CHECKS: readonly { id: string; title: string }[] = [
  { id: 'unauthenticated_401', title: '401 without a token' },
  { id: 'challenge_resource_metadata', title: 'resource_metadata in the challenge' },
  { id: 'challenge_scope', title: 'scope in the challenge' },
  { id: 'challenge_no_error', title: 'no error parameter when no token was sent' },
  {
    id: 'metadata_path_suffixed',
    title: 'metadata at the path-suffixed URL, consistent with the server',
  },
  { id: 'authorization_server', title: 'authorization server discoverable, with S256' },
  { id: 'valid_token_accepted', title: 'a token for this server is accepted' },
  { id: 'other_resource_refused', title: "another resource's token refused with 401" },
  { id: 'garbage_token_invalid_token', title: 'a garbage token gets invalid_token' },
  { id: 'query_token_refused', title: 'a token in the query string is not accepted' },
  { id: 'cors_expose_www_authenticate', title: 'WWW-Authenticate exposed to CORS' },
  ...CHECKS_2026,
];

const DEFAULT_ORIGIN = 'https://mcp-client.example';

/**
 * A conformance report on an MCP server's authorization (what server authors put in CI): 401 without
 * a token; `resource_metadata` and `scope` in the challenge; no `error` when no token was sent;
 * protected resource metadata at the path-suffixed URL, consistent with the server; a discoverable
 * authorization server with S256; a token for another resource of the same authorization server
 * refused with 401; a garbage token answered with `invalid_token`; a token in the query string not
 * accepted; `WWW-Authenticate` exposed to CORS; and the server rules of revision 2026-07-28: a
 * foreign `Origin` answered with 403, one 403 scope challenge naming every needed scope, no
 * `offline_access` advertised. Never throws for a failing server: `ok` is false.
 *
 * @example
 * ```ts
 * import { checkServer, formatCheckTable } from '@mcp-auth/test-client';
 *
 * const result = await checkServer('http://127.0.0.1:3000/mcp', {
 *   nonInteractive: true,
 *   otherResource: 'http://127.0.0.1:3001/mcp',
 * });
 * console.log(formatCheckTable(result));
 * process.exitCode = result.ok ? 0 : 1;
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 */
export async function checkServer(
  serverUrl: string | URL,
  options: CheckOptions = {},
): Promise<CheckReport> {
  if (options.otherResource !== undefined) {
    try {
      new URL(options.otherResource);
    } catch {
      throw new TypeError('"otherResource" must be an absolute URL');
    }
  }
  let origin = DEFAULT_ORIGIN;
  if (options.origin !== undefined) {
    const parsed = typeof options.origin === 'string' ? parseOrigin(options.origin) : undefined;
    if (parsed === undefined) {
      throw new TypeError(
        '"origin" must be an origin such as https://app.example.com (scheme, host, optional port)',
      );
    }
    origin = parsed;
  }
  const report = options.report ?? new Report(options.now ? { now: options.now } : {});
  let session: AuthSession;
  try {
    session = new AuthSession(serverUrl, { ...options, refresh: false, report });
  } catch (err) {
    if (!isTestClientError(err)) throw err;
    const message = describeError(err).message;
    const checks = CHECKS.map((c, i) =>
      i === 0
        ? { ...c, status: 'fail' as const, detail: message }
        : { ...c, status: 'skip' as const, detail: 'not reached' },
    );
    return { ok: false, serverUrl: String(serverUrl), checks, report };
  }
  const results = new Map<string, CheckResult>();
  const set = (id: string, status: CheckStatus, detail: string): void => {
    const title = CHECKS.find((c) => c.id === id)?.title ?? id;
    results.set(id, { id, title, status, detail: report.redact(detail) });
  };
  /** Runs one check; a check that throws fails with the error's message. */
  const outcome = async (id: string, run: () => Promise<CheckOutcome>): Promise<void> => {
    try {
      const o = await run();
      set(id, o.status, o.detail);
    } catch (err) {
      set(id, 'fail', describeError(err).message);
    }
  };
  const fetchImpl = session.fetchImpl;
  const timeoutMs = session.timeoutMs;

  try {
    // 1-4, 10: the unauthenticated request and its challenge.
    let first: ProbeResponse | undefined;
    try {
      first = await session.probe({ requireChallenge: true });
    } catch (err) {
      set('unauthenticated_401', 'fail', describeError(err).message);
    }
    const kind: ProbeKind = first?.method === 'GET' ? 'get' : 'post';
    if (first) {
      const header = first.headers.get('www-authenticate');
      if (first.status === 401) set('unauthenticated_401', 'pass', `${first.method} → 401`);
      else set('unauthenticated_401', 'fail', `${first.method} → ${first.status}, expected 401`);
      const params = first.challenge?.params;
      if (!header) {
        for (const id of ['challenge_resource_metadata', 'challenge_scope', 'challenge_no_error']) {
          set(id, 'fail', 'no WWW-Authenticate header');
        }
      } else if (!params) {
        for (const id of ['challenge_resource_metadata', 'challenge_scope', 'challenge_no_error']) {
          set(id, 'fail', `no Bearer challenge in WWW-Authenticate: ${header}`);
        }
      } else {
        if (params.resource_metadata) {
          await checkChallengeMetadata(params.resource_metadata);
        } else {
          set('challenge_resource_metadata', 'fail', `missing: WWW-Authenticate: ${header}`);
        }
        if (params.scope) set('challenge_scope', 'pass', `scope="${params.scope}"`);
        else set('challenge_scope', 'warn', 'no scope parameter (SHOULD be present, RFC 6750 §3)');
        if (params.error) {
          set(
            'challenge_no_error',
            'fail',
            `error="${params.error}" although no token was sent (RFC 6750 §3.1)`,
          );
        } else set('challenge_no_error', 'pass', 'no error parameter');
      }
    }

    // 5: the path-suffixed well-known URL.
    try {
      const found = await fetchProtectedResourceMetadata(session.serverUrl, {
        fetch: fetchImpl,
        timeoutMs,
        allowInsecureHttpForLoopback: true,
      });
      const expected = found.tried[0];
      if (found.url === expected) {
        set('metadata_path_suffixed', 'pass', `${found.url} → resource=${found.metadata.resource}`);
      } else {
        set('metadata_path_suffixed', 'fail', `not at ${expected}; found at ${found.url} instead`);
      }
    } catch (err) {
      set('metadata_path_suffixed', 'fail', describeError(err).message);
    }

    // 6: discovery of the authorization server (through the session: the flow needs it anyway).
    let discovered = false;
    try {
      await session.discover(first?.challenge);
      const as = session.metadata!.authorizationServer;
      set(
        'authorization_server',
        'pass',
        `${session.metadata!.authorizationServerMetadataUrl}; code_challenge_methods_supported=${JSON.stringify(
          as.code_challenge_methods_supported ?? null,
        )}`,
      );
      discovered = true;
    } catch (err) {
      set('authorization_server', 'fail', describeError(err).message);
    }

    // 7, 8: tokens.
    let token: string | undefined;
    if (options.unauthenticatedOnly) {
      set('valid_token_accepted', 'skip', 'unauthenticated-only');
      set('other_resource_refused', 'skip', 'unauthenticated-only');
    } else if (!discovered) {
      set('valid_token_accepted', 'fail', 'no authorization server to get a token from');
      set('other_resource_refused', 'skip', 'no authorization server to get a token from');
    } else {
      try {
        await obtainTokens(session, { lazy: false, probe: first });
        token = session.tokens!.accessToken;
        const res = await probe(session.serverUrl, kind, { fetch: fetchImpl, timeoutMs, token });
        if (res.status >= 200 && res.status < 300) {
          set('valid_token_accepted', 'pass', `${res.method} with the token → ${res.status}`);
        } else {
          set(
            'valid_token_accepted',
            'fail',
            `${res.method} with the token → ${res.status} ${res.headers.get('www-authenticate') ?? ''}`.trim(),
          );
        }
      } catch (err) {
        set('valid_token_accepted', 'fail', `could not get a token: ${describeError(err).message}`);
      }
      if (options.otherResource) {
        const o = await checkOtherResource(
          { serverUrl: session.serverUrl, kind, fetch: fetchImpl, timeoutMs },
          options.otherResource,
          first?.challenge?.params.scope,
          options,
          report,
        );
        set('other_resource_refused', o.status, o.detail);
      } else {
        set(
          'other_resource_refused',
          'skip',
          'pass --other-resource <uri> (another resource of the same authorization server)',
        );
      }
    }

    // 9-11: a garbage token, the token in the query string, CORS.
    const p = { serverUrl: session.serverUrl, kind, fetch: fetchImpl, timeoutMs };
    await outcome('garbage_token_invalid_token', () => checkGarbageToken(p));
    await outcome('query_token_refused', () => checkQueryToken(p, token));
    await outcome('cors_expose_www_authenticate', () => checkCorsExposeHeaders(p, origin));

    // 12-14: the server rules of revision 2026-07-28.
    await checks2026(kind, token, first?.challenge?.params.scope);
  } finally {
    await session.close().catch(() => {});
  }

  const checks = CHECKS.map(
    (c) => results.get(c.id) ?? { ...c, status: 'skip' as const, detail: 'not reached' },
  );
  return {
    ok: checks.every((c) => c.status !== 'fail'),
    serverUrl: session.serverUrl,
    checks,
    report,
  };

  async function checks2026(
    kind: ProbeKind,
    token: string | undefined,
    challengeScope: string | undefined,
  ): Promise<void> {
    const p = { serverUrl: session.serverUrl, kind, fetch: fetchImpl, timeoutMs };
    await outcome('origin_validation', () => checkOriginValidation(p, token));
    if (options.unauthenticatedOnly)
      set('scope_challenge_complete', 'skip', 'unauthenticated-only');
    else {
      await outcome('scope_challenge_complete', () =>
        checkScopeChallenge(p, challengeScope, options, report),
      );
    }
    const o = checkNoOfflineAccess(
      challengeScope,
      session.metadata?.protectedResource.scopes_supported,
    );
    set('no_offline_access', o.status, o.detail);
  }

  async function checkChallengeMetadata(url: string): Promise<void> {
    try {
      const found = await fetchProtectedResourceMetadata(session.serverUrl, {
        resourceMetadataUrl: url,
        fetch: fetchImpl,
        timeoutMs,
        allowInsecureHttpForLoopback: true,
      });
      set(
        'challenge_resource_metadata',
        'pass',
        `resource_metadata="${url}" → resource=${found.metadata.resource}`,
      );
    } catch (err) {
      const code = isDiscoveryError(err) ? ` (${err.code})` : '';
      set(
        'challenge_resource_metadata',
        'fail',
        `resource_metadata="${url}" is not usable${code}: ${describeError(err).message}`,
      );
    }
  }
}
