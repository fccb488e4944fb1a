import { obtainTokens } from '../authorize.js';
import type { AuthorizeOptions } from '../options.js';
import { describeError, Report } from '../report.js';
import { parseScope } from '../scope.js';
import { bearerChallenge, type FetchLike, type ProbeKind, probe } from './http.js';
import { AuthSession } from './session.js';

/** The checks of the server rules of revision 2026-07-28 that `checkServer` runs last. */
export const CHECKS_2026: readonly { id: string; title: string }[] = [
  { id: 'origin_validation', title: 'a foreign Origin gets 403' },
  { id: 'scope_challenge_complete', title: 'one scope challenge names every needed scope' },
  { id: 'no_offline_access', title: 'offline_access not advertised' },
];

/** An origin no MCP server allows: the DNS-rebinding probe. */
export const FOREIGN_ORIGIN = 'https://dns-rebinding.invalid';

export interface CheckOutcome {
  status: 'pass' | 'fail' | 'warn' | 'skip';
  detail: string;
}

/** Where and how a check sends its request. */
export interface Probe {
  serverUrl: string;
  kind: ProbeKind;
  fetch: FetchLike;
  timeoutMs: number;
}

/**
 * Servers MUST validate `Origin` on every incoming connection and answer 403 when it is present and
 * not allowed (DNS rebinding). Sent with a valid token when there is one, so that the request would
 * otherwise succeed.
 *
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/transports#security-warning
 */
export async function checkOriginValidation(
  p: Probe,
  token: string | undefined,
): Promise<CheckOutcome> {
  const res = await probe(p.serverUrl, p.kind, {
    fetch: p.fetch,
    timeoutMs: p.timeoutMs,
    origin: FOREIGN_ORIGIN,
    ...(token ? { token } : {}),
  });
  const what = `Origin: ${FOREIGN_ORIGIN}${token ? ' with a valid token' : ''} → ${res.status}`;
  return res.status === 403
    ? { status: 'pass', detail: what }
    : { status: 'fail', detail: `${what}, expected 403 (Origin not validated: DNS rebinding)` };
}

/**
 * `offline_access` is the authorization server's business: neither the challenge nor the protected
 * resource metadata should advertise it.
 *
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization (scope selection strategy)
 */
export function checkNoOfflineAccess(
  challengeScope: string | undefined,
  scopesSupported: readonly unknown[] | undefined,
): CheckOutcome {
  const where = [
    ...(parseScope(challengeScope).includes('offline_access') ? ['the challenge scope'] : []),
    ...(Array.isArray(scopesSupported) && scopesSupported.includes('offline_access')
      ? ['scopes_supported of the resource metadata']
      : []),
  ];
  return where.length === 0
    ? { status: 'pass', detail: 'neither the challenge nor the metadata lists offline_access' }
    : { status: 'fail', detail: `offline_access advertised in ${where.join(' and ')}` };
}

/**
 * One 403 `insufficient_scope` names every scope the request still needs (a client steps up once,
 * not once per scope). Obtains a token with only the first of the challenge's scopes and checks that
 * the 403's `scope` plus the scope granted covers every scope of the 401 challenge. Needs two or more
 * scopes in the challenge and an authorization that involves no person.
 *
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization#scope-challenge-handling
 */
export async function checkScopeChallenge(
  p: Probe,
  challengeScope: string | undefined,
  options: AuthorizeOptions,
  report: Report,
): Promise<CheckOutcome> {
  const needed = parseScope(challengeScope);
  if (needed.length < 2) {
    return { status: 'skip', detail: 'the challenge names fewer than two scopes' };
  }
  const machine = (options.grant ?? 'authorization_code') !== 'authorization_code';
  if (!options.nonInteractive && !machine) {
    return { status: 'skip', detail: 'needs a second authorization: run with --non-interactive' };
  }
  const first = needed[0]!;
  const sub = new Report();
  sub.onStep((step) =>
    report.record({ ...step, id: `scope_subset.${step.id}`, title: `${step.title} [${first}]` }),
  );
  const session = new AuthSession(p.serverUrl, {
    ...options,
    scope: first,
    tokenStore: undefined,
    refresh: false,
    report: sub,
  });
  try {
    await obtainTokens(session, { lazy: false });
    const token = session.tokens!.accessToken;
    report.secret(token);
    const res = await probe(p.serverUrl, p.kind, { fetch: p.fetch, timeoutMs: p.timeoutMs, token });
    const challenge = bearerChallenge(res.headers.get('www-authenticate'));
    if (res.status !== 403 || challenge?.params.error !== 'insufficient_scope') {
      return {
        status: 'skip',
        detail: `a token with ${first} only → ${res.status}: this request needs no more`,
      };
    }
    const named = parseScope(challenge.params.scope);
    const granted = parseScope(session.tokens!.scope ?? first);
    const missing = needed.filter((s) => !named.includes(s) && !granted.includes(s));
    return missing.length === 0
      ? { status: 'pass', detail: `403 scope="${named.join(' ')}" with ${first} granted` }
      : {
          status: 'fail',
          detail: `403 scope="${named.join(' ')}" with ${first} granted: ${missing.join(' ')} also needed (one challenge per scope)`,
        };
  } catch (err) {
    return {
      status: 'fail',
      detail: `could not get a token for ${first}: ${describeError(err).message}`,
    };
  } finally {
    await session.close().catch(() => {});
  }
}
