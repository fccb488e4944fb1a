import { TestClientError } from '../errors.js';
import {
  type ProbeKind,
  type ProbeResponse,
  probe as probeRequest,
  WRONG_TRANSPORT_STATUSES,
} from './http.js';
import type { SessionState } from './session-state.js';

/** The kinds of first request to make, in order, for the configured transport. */
export function probeKinds(session: SessionState): ProbeKind[] {
  const transport = session.options.transport ?? 'auto';
  return transport === 'sse'
    ? ['get']
    : transport === 'streamable-http'
      ? ['post']
      : ['post', 'get'];
}

/** Step 1: a request without a token. Returns the response that ended the probing. */
export async function probe(
  session: SessionState,
  options: { requireChallenge: boolean },
): Promise<ProbeResponse> {
  const kinds = probeKinds(session);
  return session.report.step('probe', 'Request without a token', async (s) => {
    let last: ProbeResponse | undefined;
    for (const [i, kind] of kinds.entries()) {
      s.sent(
        `${kind === 'post' ? 'POST' : 'GET'} ${session.serverUrl}${kind === 'post' ? ' (initialize)' : ' (Accept: text/event-stream)'}`,
      );
      last = await probeRequest(session.serverUrl, kind, {
        fetch: session.fetchImpl,
        timeoutMs: session.timeoutMs,
        ...(session.options.signal ? { signal: session.options.signal } : {}),
      });
      const wwwAuth = last.headers.get('www-authenticate');
      s.received(`${last.status}${wwwAuth ? ` WWW-Authenticate: ${wwwAuth}` : ''}`);
      if (last.status === 401) break;
      if (i < kinds.length - 1 && WRONG_TRANSPORT_STATUSES.has(last.status)) {
        s.note(`${last.status} to ${last.method}: trying the SSE transport's GET`);
        continue;
      }
      break;
    }
    const result = last!;
    session.probeResult = result;
    if (result.status === 401) {
      if (result.challenge) {
        session.lastChallenge = result.challenge;
        if (!result.challenge.params.resource_metadata) {
          s.note('the challenge has no resource_metadata: falling back to the well-known URLs');
        }
      } else {
        s.note('401 without a Bearer challenge: falling back to the well-known URLs');
      }
      return result;
    }
    if (result.status >= 200 && result.status < 300 && !options.requireChallenge) {
      s.note(
        `${result.status}: the server lets this request through without a token; a 401 is handled when one comes`,
      );
      return result;
    }
    if (result.status >= 200 && result.status < 300) {
      s.note(
        `${result.status}: the server lets this request through without a token; discovering from the well-known URLs`,
      );
      return result;
    }
    throw new TestClientError(
      'ERR_UNEXPECTED_STATUS',
      `Expected 401 to a request without a token, got ${result.status}${
        WRONG_TRANSPORT_STATUSES.has(result.status) && kinds.length === 1
          ? ' (this endpoint may not speak this transport: try --transport auto)'
          : ''
      }`,
      { url: session.serverUrl, status: result.status },
    );
  });
}
