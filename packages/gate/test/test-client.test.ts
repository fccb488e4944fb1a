import type { Server } from 'node:http';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { checkServer, run } from '@mcp-auth/test-client';
import { getFreePort } from '@mcp-auth/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../examples/express-sdk-v1.js';
import { SCOPES, startAuthServer } from './helpers.js';

/*
 * `@mcp-auth/test-client` is deliberately not a declared devDependency: it devDepends on
 * `@mcp-auth/sse-transport`, which depends on this package, and turbo would see a cycle. Vitest
 * resolves it to its sources like every workspace package (vitest.shared.ts), so no build is needed.
 */

/**
 * Our test client (discovery from the challenge, PKCE, resource indicators, step-up) against the
 * gate around the SDK v1 transport: the flow a real MCP client runs, start to finish.
 */
let as: DevAuthServer;
let http: Server;
let url: string;

beforeAll(async () => {
  as = await startAuthServer();
  const port = await getFreePort();
  url = `http://127.0.0.1:${port}/mcp`;
  as.addResource({ uri: url, scopes: SCOPES });
  as.addResource({ uri: `http://127.0.0.1:${port}/other`, scopes: SCOPES });
  const app = createApp({ issuer: as.issuer, resource: url, allowInsecureHttpForLoopback: true });
  http = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
});

afterAll(async () => {
  http?.closeAllConnections();
  await new Promise((resolve) => http?.close(resolve));
  await as?.stop();
});

describe('the test client against the gate', () => {
  it('per-tool 403 then step-up: re-authorizes with the union of scopes and the call succeeds', async () => {
    const result = await run(url, {
      nonInteractive: true,
      clientId: 'mcp-public',
      transport: 'streamable-http',
      call: { name: 'admin_stats' },
    });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.authorizationAttempts).toBe(2);
    const scopes = result.report.steps.filter((s) => s.id === 'scope').map((s) => s.notes[0]);
    expect(scopes).toEqual([
      "mcp:read (from the challenge's scope)",
      'mcp:read mcp:admin (from the union of the scopes asked before and the scopes the 403 requires)',
    ]);
    expect((result.callResult as { content: { text: string }[] }).content[0]!.text).toBe(
      'all good',
    );
  });

  it('passes the conformance checks', async () => {
    const report = await checkServer(url, {
      nonInteractive: true,
      clientId: 'mcp-public',
      otherResource: url.replace(/\/mcp$/, '/other'),
      origin: 'http://localhost:5173',
    });
    const statuses = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    // Skipped: the challenge of a plain request names one scope, so there is no partial grant to test.
    expect(statuses).toEqual({
      unauthenticated_401: 'pass',
      challenge_resource_metadata: 'pass',
      challenge_scope: 'pass',
      challenge_no_error: 'pass',
      metadata_path_suffixed: 'pass',
      authorization_server: 'pass',
      valid_token_accepted: 'pass',
      other_resource_refused: 'pass',
      garbage_token_invalid_token: 'pass',
      query_token_refused: 'pass',
      cors_expose_www_authenticate: 'pass',
      origin_validation: 'pass',
      scope_challenge_complete: 'skip',
      no_offline_access: 'pass',
    });
    expect(report.ok).toBe(true);
  });
});
