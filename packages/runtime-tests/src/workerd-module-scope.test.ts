import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevAuthServer, start } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleApp } from './bundle.js';
import { type RunningRuntime, startRuntime, workerdModuleScope } from './runtimes.js';

/**
 * Workers refuse timers outside a handler ("Disallowed operation called within global scope ...
 * setting a timeout"). A validator created at module scope must therefore set none: the cache
 * arms its sweep timer on its first write, inside a request (packages/cache/src/cache.ts,
 * armSweeps). This test serves such a worker and fails if construction sets a timer again.
 */
let as: DevAuthServer;
let scratch: string;
let server: RunningRuntime | undefined;

beforeAll(async () => {
  as = await start();
  scratch = await mkdtemp(join(tmpdir(), 'mcp-auth-workerd-scope-'));
  await bundleApp(join(scratch, 'app.mjs'));
});

afterAll(async () => {
  await server?.stop();
  await as?.stop();
  await rm(scratch, { recursive: true, force: true });
});

it('workerd serves a validator created at module scope (the cache arms no timer at construction)', async () => {
  const port = await getFreePort();
  const resource = `http://127.0.0.1:${port}/mcp`;
  as.addResource({ uri: resource, scopes: ['mcp:tools'] });
  const { access_token: token } = await as.authorizationCodeFlow({ resource, scope: 'mcp:tools' });
  server = await startRuntime(workerdModuleScope, {
    dir: scratch,
    port,
    issuer: as.issuer,
    resource,
    introspectionClient: as.clients.introspector,
  });
  const res = await fetch(`${server.origin}/mcp`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({
    runtime: 'workerd',
    subject: 'user-1',
    scopes: ['mcp:tools'],
  });
});
