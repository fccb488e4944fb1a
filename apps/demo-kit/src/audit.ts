import type { AuthEvent, AuthEventPrincipal } from '@mcp-auth/sse-transport';

/**
 * One line for an `onAuthEvent` event, as `--verbose` prints it:
 * `auth accepted GET /mcp sub=user-1 client=mcp-public`,
 * `auth refused POST /mcp code=ERR_MISSING_TOKEN status=401`. Events never carry a token; values
 * taken from a token's claims or a header are cut to 80 characters with control characters
 * replaced, so a hostile claim cannot forge a second line.
 *
 * @example
 * createHandler({ …, onAuthEvent: (e) => console.error(formatAuthEvent(e)) });
 * @see ../../packages/sse-transport/README.md (Telemetry and audit)
 */
export function formatAuthEvent(event: AuthEvent): string {
  const parts = ['auth', event.type, event.method, clean(event.path)];
  switch (event.type) {
    case 'accepted':
      parts.push(...who(event.principal), `scope=${quoted(event.scopes.join(' '))}`);
      break;
    case 'refused':
      parts.push(`code=${event.code}`, `status=${event.status}`);
      break;
    case 'step-up':
      parts.push(
        ...who(event.principal),
        `code=${event.code}`,
        `status=${event.status}`,
        `needs=${quoted(event.requiredScopes.join(' '))}`,
      );
      break;
    case 'session-hijack-refused':
      parts.push(...who(event.principal), `status=${event.status}`);
      break;
    case 'origin-refused':
      parts.push(`reason=${event.reason}`, `status=${event.status}`);
      if (event.origin !== undefined) parts.push(`origin=${quoted(event.origin)}`);
      break;
    case 'rate-limited':
      parts.push(...who(event.principal), `reason=${event.reason}`, `status=${event.status}`);
      break;
  }
  return parts.join(' ');
}

function who(principal: AuthEventPrincipal | undefined): string[] {
  if (principal === undefined) return [];
  return [`sub=${quoted(principal.subject ?? '-')}`, `client=${quoted(principal.clientId)}`];
}

/** Control characters (CR/LF included) and anything past 80 characters never reach the log. */
function clean(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing them is the point
  const safe = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return safe.length > 80 ? `${safe.slice(0, 80)}…` : safe;
}

/** Bare when it is a plain word, else JSON-quoted (spaces, quotes). */
function quoted(value: string): string {
  const safe = clean(value);
  return /^[\w.:/@+-]+$/.test(safe) ? safe : JSON.stringify(safe);
}
