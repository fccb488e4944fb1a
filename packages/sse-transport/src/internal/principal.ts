import { createHash } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

/** Who a session belongs to, and who its resources count against. */
export interface Principal {
  /**
   * Issuer + subject + client: a session is bound to this exact triple, so neither another user nor
   * the same user through another client can use it. '' when unauthenticated.
   */
  readonly owner: string;
  /**
   * Issuer + subject: caps count here, so one user cannot multiply them by registering clients.
   * '' when unauthenticated.
   */
  readonly account: string;
}

const ANONYMOUS: Principal = { owner: '', account: '' };

function subjectOf(authInfo: AuthInfo): string {
  const subject = authInfo.extra?.['subject'];
  // Without a subject (a custom validator may not report one) the session is bound to the exact
  // token instead: stricter (a refreshed token cannot continue the session), never looser.
  return typeof subject === 'string' && subject !== ''
    ? subject
    : `token:${createHash('sha256').update(authInfo.token).digest('base64url')}`;
}

/** The principal of a request's `authInfo` (NUL cannot occur in any part, so keys are unambiguous). */
export function principalOf(authInfo: AuthInfo | undefined): Principal {
  if (authInfo === undefined) return ANONYMOUS;
  const issuer = authInfo.extra?.['issuer'];
  const account = `${typeof issuer === 'string' ? issuer : ''}\u0000${subjectOf(authInfo)}`;
  return { owner: `${account}\u0000${authInfo.clientId}`, account };
}
