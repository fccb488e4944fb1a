import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { type DevAuthServer, type DevAuthServerOptions, start } from '@mcp-auth/dev-auth-server';
import {
  createTokenValidator,
  type TokenValidator,
  type TokenValidatorOptions,
} from '../src/index.js';

export const RESOURCE = 'http://127.0.0.1:3000/mcp';
export const OTHER_RESOURCE = 'http://127.0.0.1:3000/other';
export const OPAQUE_RESOURCE = 'http://127.0.0.1:3000/opaque';
export const SCOPES = ['mcp:read', 'mcp:write', 'mcp:admin'];

/** Starts the real local authorization server with our resources. */
export async function startAuthServer(o: DevAuthServerOptions = {}): Promise<DevAuthServer> {
  return start({
    resources: [
      { uri: RESOURCE, scopes: SCOPES },
      { uri: OTHER_RESOURCE, scopes: SCOPES },
      { uri: OPAQUE_RESOURCE, scopes: SCOPES, format: 'opaque' },
    ],
    ...o,
  });
}

/** A validator for the local AS (loopback http allowed). */
export function validatorFor(
  as: DevAuthServer,
  o: Partial<TokenValidatorOptions> = {},
): TokenValidator {
  return createTokenValidator({
    issuer: as.issuer,
    resource: RESOURCE,
    allowInsecureHttpForLoopback: true,
    ...o,
  });
}

/** A client_credentials token from the local AS. */
export function serviceToken(
  as: DevAuthServer,
  resource = RESOURCE,
  scope = 'mcp:read mcp:write',
): Promise<string> {
  return as.getToken({
    resource,
    scope,
    clientId: as.clients.service.clientId,
    clientSecret: as.clients.service.clientSecret,
  });
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  );
}

export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: string;
} {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString()),
    signature: s!,
  };
}

/** Expects a promise to reject with a TokenValidationError of this code; returns the error. */
export async function rejectsWith(
  p: Promise<unknown>,
  code: string,
): Promise<Record<string, unknown>> {
  let error: unknown;
  try {
    await p;
  } catch (err) {
    error = err;
  }
  if (error === undefined) throw new Error(`expected rejection with ${code}, but it resolved`);
  const e = error as Record<string, unknown>;
  if (e.code !== code) {
    throw new Error(
      `expected ${code}, got ${String(e.code)}: ${String(e.message)} (${String(e.reason)})`,
    );
  }
  return e;
}

/** `execFile` as a promise. */
export const run = promisify(execFile);

/** The workspace root. */
export const WORKSPACE_ROOT = resolve(import.meta.dirname, '../../..');

/**
 * Builds the validator and its workspace dependencies (turbo answers from its cache when nothing
 * changed), for the tests that use the built `dist`: never a stale one.
 */
export async function buildValidatorPackages(): Promise<void> {
  await run(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=@mcp-auth/validator...',
      '--output-logs=errors-only',
    ],
    { cwd: WORKSPACE_ROOT, timeout: 180_000 },
  );
}
