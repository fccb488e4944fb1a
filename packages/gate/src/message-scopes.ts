import { isScopeToken as scopeToken, unionScopes } from '@mcp-auth/internal';
import type { JsonRpcMessage } from './jsonrpc.js';

/** Scopes some tools need on top of the server's required scopes, by tool name. */
export type ToolScopes = Readonly<Record<string, readonly string[]>>;

/**
 * Extra scopes one JSON-RPC message needs (`undefined` or `[]`: none). Receives every message of
 * the body, batches included, one at a time. Declared as a method so a function typed with the
 * MCP SDK's own `JSONRPCMessage` fits (parameter bivariance).
 */
export type ScopesFor = {
  scopesFor(message: JsonRpcMessage): readonly string[] | undefined;
}['scopesFor'];

/**
 * The extra scopes a parsed body (one message or a batch) needs: the union over its messages.
 * Throws a plain `Error` when `scopesFor` throws or returns something that is not a list of scope
 * tokens: callers fail closed (500, nothing delivered).
 */
export type MessageScopeResolver = (messages: readonly JsonRpcMessage[]) => string[];

/**
 * Whether `value` is an RFC 6749 scope token (printable ASCII without space, `"` and `\`).
 *
 * @example
 * ```ts
 * isScopeToken('mcp:read'); // true
 * isScopeToken('a b');      // false
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
// A constant typed here (not a re-export): the published .d.ts must not refer to the private
// @mcp-auth/internal, whose code tsup bundles.
export const isScopeToken: (value: unknown) => value is string = scopeToken;

function checkScopeList(value: unknown, option: string): void {
  if (!Array.isArray(value) || !value.every(isScopeToken)) {
    throw new TypeError(`"${option}" must map tool names to arrays of scope strings`);
  }
  if (value.includes('offline_access')) {
    throw new TypeError(
      `"${option}" must not contain offline_access (a refresh-token scope, never required by a resource)`,
    );
  }
}

function toolByName(toolScopes: unknown, option: string): Map<string, string[]> | undefined {
  if (toolScopes === undefined) return undefined;
  if (toolScopes === null || typeof toolScopes !== 'object' || Array.isArray(toolScopes)) {
    throw new TypeError(`"${option}" must map tool names to arrays of scope strings`);
  }
  const byTool = new Map<string, string[]>();
  for (const [name, scopes] of Object.entries(toolScopes)) {
    checkScopeList(scopes, option);
    if ((scopes as string[]).length > 0) byTool.set(name, unionScopes(scopes as string[]));
  }
  return byTool.size === 0 ? undefined : byTool;
}

/**
 * Validates `toolScopes` and `scopesFor` (a `TypeError` naming the option) and returns the
 * resolver of the scopes a body needs, or `undefined` when neither is set (no work per request).
 * `toolScopes` reads the tool name of every `tools/call` (batches included: the union); it is a
 * `Map`, so a tool named `constructor` or `__proto__` never finds an inherited value. `scopesFor`
 * adds scopes for any rule `toolScopes` cannot express (by method, by argument).
 *
 * @example
 * ```ts
 * const resolve = createMessageScopeResolver({ delete_all: ['mcp:admin'] }, undefined)!;
 * resolve([{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'delete_all' } }]);
 * // ['mcp:admin']
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization#scope-challenge-handling
 */
export function createMessageScopeResolver(
  toolScopes: unknown,
  scopesFor: unknown,
  optionNames: { toolScopes: string; scopesFor: string } = {
    toolScopes: 'toolScopes',
    scopesFor: 'scopesFor',
  },
): MessageScopeResolver | undefined {
  const byTool = toolByName(toolScopes, optionNames.toolScopes);
  if (scopesFor !== undefined && typeof scopesFor !== 'function') {
    throw new TypeError(
      `"${optionNames.scopesFor}" must be a function (message) => string[] | undefined`,
    );
  }
  const custom = scopesFor as ScopesFor | undefined;
  if (byTool === undefined && custom === undefined) return undefined;

  return (messages) => {
    const needed = new Set<string>();
    for (const message of messages) {
      if (byTool !== undefined && message.method === 'tools/call') {
        const params = message.params;
        const name =
          params !== null && typeof params === 'object'
            ? (params as { name?: unknown }).name
            : undefined;
        if (typeof name === 'string') for (const s of byTool.get(name) ?? []) needed.add(s);
      }
      if (custom !== undefined) {
        const extra = custom(message);
        if (extra === undefined) continue;
        if (
          !Array.isArray(extra) ||
          !extra.every(isScopeToken) ||
          extra.includes('offline_access')
        ) {
          throw new Error(
            `"${optionNames.scopesFor}" returned something else than an array of scope strings`,
          );
        }
        for (const s of extra) needed.add(s);
      }
    }
    return [...needed];
  };
}
