import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** Scopes some tools need on top of the server's required scopes, by tool name. */
export type ToolScopes = Readonly<Record<string, readonly string[]>>;

/** Extra scopes one JSON-RPC message needs (`undefined` or `[]`: none). */
export type ScopesFor = (message: JSONRPCMessage) => readonly string[] | undefined;

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}

/**
 * Computes the extra scopes of a validated message list (a single message or a batch). Throws a
 * plain `Error` when `scopesFor` throws or returns something that is not a list of scope tokens:
 * the caller fails closed (500, nothing delivered).
 */
export type MessageScopeResolver = (messages: readonly JSONRPCMessage[]) => string[];

/**
 * Validates `auth.toolScopes` and `auth.scopesFor` at construction (TypeError naming the option)
 * and returns the resolver, or `undefined` when neither is set (no work per message).
 */
export function createMessageScopeResolver(
  toolScopes: unknown,
  scopesFor: unknown,
): MessageScopeResolver | undefined {
  let byTool: Map<string, readonly string[]> | undefined;
  if (toolScopes !== undefined) {
    if (
      toolScopes === null ||
      typeof toolScopes !== 'object' ||
      Array.isArray(toolScopes) ||
      Object.entries(toolScopes).some(
        ([, scopes]) => !Array.isArray(scopes) || !scopes.every(isScopeToken),
      )
    ) {
      throw new TypeError('"auth.toolScopes" must map tool names to arrays of scope strings');
    }
    // A Map: a tool named "constructor" or "__proto__" never finds an inherited value.
    byTool = new Map(
      Object.entries(toolScopes as Record<string, string[]>)
        .filter(([, scopes]) => scopes.length > 0)
        .map(([name, scopes]) => [name, [...scopes]]),
    );
    if (byTool.size === 0) byTool = undefined;
  }
  if (scopesFor !== undefined && typeof scopesFor !== 'function') {
    throw new TypeError('"auth.scopesFor" must be a function (message) => string[] | undefined');
  }
  const custom = scopesFor as ScopesFor | undefined;
  if (byTool === undefined && custom === undefined) return undefined;

  return (messages) => {
    const needed = new Set<string>();
    for (const message of messages) {
      if (byTool !== undefined && 'method' in message && message.method === 'tools/call') {
        const name = (message.params as { name?: unknown } | undefined)?.name;
        if (typeof name === 'string') for (const s of byTool.get(name) ?? []) needed.add(s);
      }
      if (custom !== undefined) {
        const extra = custom(message);
        if (extra === undefined) continue;
        if (!Array.isArray(extra) || !extra.every(isScopeToken)) {
          throw new Error(
            '"auth.scopesFor" returned something else than an array of scope strings',
          );
        }
        for (const s of extra) needed.add(s);
      }
    }
    return [...needed];
  };
}
