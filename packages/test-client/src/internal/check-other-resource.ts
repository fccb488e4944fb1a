import { obtainTokens } from '../authorize.js';
import type { AuthorizeOptions } from '../options.js';
import { describeError, Report } from '../report.js';
import type { CheckOutcome } from './checks-2026.js';
import { bearerChallenge, type FetchLike, type ProbeKind, probe } from './http.js';
import { AuthSession } from './session.js';

/**
 * Audience binding: a token for another resource of the same authorization server must get 401.
 * Its authorization runs in its own session; its steps are recorded as `other_resource.*`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 */
export async function checkOtherResource(
  p: { serverUrl: string; kind: ProbeKind; fetch: FetchLike; timeoutMs: number },
  otherResource: string,
  challengeScope: string | undefined,
  options: AuthorizeOptions & { otherResourceScope?: string },
  report: Report,
): Promise<CheckOutcome> {
  const sub = new Report();
  sub.onStep((step) =>
    report.record({
      ...step,
      id: `other_resource.${step.id}`,
      title: `${step.title} [other resource]`,
    }),
  );
  const other = new AuthSession(p.serverUrl, {
    ...options,
    resource: otherResource,
    scope: options.otherResourceScope ?? challengeScope ?? '',
    tokenStore: undefined,
    refresh: false,
    report: sub,
  });
  try {
    await obtainTokens(other, { lazy: false });
    const otherToken = other.tokens!.accessToken;
    report.secret(otherToken);
    const res = await probe(p.serverUrl, p.kind, {
      fetch: p.fetch,
      timeoutMs: p.timeoutMs,
      token: otherToken,
    });
    const challenge = bearerChallenge(res.headers.get('www-authenticate'));
    if (res.status === 401) {
      return {
        status: 'pass',
        detail: `token for ${otherResource} → 401${challenge?.params.error ? ` error="${challenge.params.error}"` : ''}`,
      };
    }
    return {
      status: 'fail',
      detail: `token for ${otherResource} → ${res.status}, expected 401 (audience not checked)`,
    };
  } catch (err) {
    return {
      status: 'fail',
      detail: `could not get a token for ${otherResource}: ${describeError(err).message}`,
    };
  } finally {
    await other.close().catch(() => {});
  }
}
