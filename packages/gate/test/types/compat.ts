/**
 * Type-level test (checked by `pnpm typecheck`, never run): `req.auth` is typed for Express under
 * `--strict`, and the gate's declaration agrees with the SDK's own (its bearerAuth middleware
 * declares `req.auth` on Express's Request too).
 */
import type { RequestAuthInfo } from '@mcp-auth/gate/node';
import type { AuthInfo as ValidatorAuthInfo } from '@mcp-auth/validator';
import '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { AuthInfo as SdkAuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Request } from 'express';

export function subjectOf(req: Request): unknown {
  return req.auth?.extra?.subject;
}

export function scopesOf(req: import('node:http').IncomingMessage): string[] | undefined {
  return req.auth?.scopes;
}

// The three AuthInfo shapes are interchangeable where it matters.
export const fromValidator: RequestAuthInfo = {} as ValidatorAuthInfo;
export const fromSdk: RequestAuthInfo = {} as SdkAuthInfo;
export const toSdk: SdkAuthInfo = {} as RequestAuthInfo;

// A scopesFor written against the SDK's JSONRPCMessage type is accepted by the gate.
import type { ScopesFor } from '@mcp-auth/gate';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

const sdkTyped = (message: JSONRPCMessage): string[] | undefined =>
  'method' in message && message.method === 'resources/read' ? ['res:read'] : undefined;
export const accepted: ScopesFor = sdkTyped;
