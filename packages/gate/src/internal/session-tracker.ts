import type { Logger } from '@mcp-auth/validator';
import { isValidSessionId, type SessionStore } from '../session-binding.js';
import type { GateProceed, ObservedResponse } from '../types.js';
import { getHeader } from './headers.js';

/** Session bindings of one gate: who owns a session id, and what a response changes. */
export interface SessionTracker {
  owner(sessionId: string): Promise<string | undefined>;
  observe(decision: GateProceed, response: ObservedResponse): Promise<void>;
}

export function createSessionTracker(
  sessions: { store: SessionStore; ttlSeconds: number },
  logger: Logger,
): SessionTracker {
  const { store, ttlSeconds } = sessions;
  /** Bindings being written to the store: a request racing the write still finds its owner. */
  const pending = new Map<string, string>();

  /** A handler that hands one session id to two principals: keep the first owner. */
  const conflicts = (owner: string | undefined, principal: string): boolean => {
    if (owner === undefined || owner === principal) return false;
    logger.error?.('gate: the handler issued a session id already bound to another principal');
    return true;
  };

  return {
    async owner(sessionId) {
      return pending.get(sessionId) ?? (await store.get(sessionId));
    },

    async observe(decision, response) {
      const ok = response.status >= 200 && response.status < 300;
      const current = decision.sessionId;
      if (
        current !== undefined &&
        ((decision.method === 'DELETE' && ok) || response.status === 404)
      ) {
        await store.delete(current);
        return;
      }
      const issued = getHeader(response.headers, 'mcp-session-id');
      if (!ok || issued === undefined || issued === current || !isValidSessionId(issued)) return;
      const principal = decision.principal;
      if (conflicts(pending.get(issued), principal)) return;
      // Visible synchronously: the client may send its next request before the store write ends.
      // (With a synchronous store, such as the default, the owner check is synchronous too.)
      const existing = store.get(issued);
      if (!(existing instanceof Promise) && conflicts(existing, principal)) return;
      pending.set(issued, principal);
      try {
        if (existing instanceof Promise && conflicts(await existing, principal)) return;
        await store.set(issued, principal, ttlSeconds);
      } finally {
        if (pending.get(issued) === principal) pending.delete(issued);
      }
    },
  };
}
