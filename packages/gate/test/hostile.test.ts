import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gate } from '../src/types.js';
import { gateFor, SCOPES, startAuthServer, userToken } from './helpers.js';

/** Generated hostile bodies and headers straight into gate.check, with a real token. */
const RESOURCE = 'http://127.0.0.1:39999/mcp';
let as: DevAuthServer;
let gate: Gate;
let readToken: string;

beforeAll(async () => {
  as = await startAuthServer();
  as.addResource({ uri: RESOURCE, scopes: SCOPES });
  gate = gateFor(as, RESOURCE, {
    toolScopes: { admin_tool: ['mcp:admin'] },
    maxBatchLength: 20,
    maxBodyBytes: 4096,
  });
  readToken = await userToken(as, RESOURCE, 'user-1', 'mcp:read');
});

afterAll(async () => {
  await as?.stop();
});

const headers = () => ({
  host: '127.0.0.1:39999',
  authorization: `Bearer ${readToken}`,
  'content-type': 'application/json',
});

const message = fc.record(
  {
    jsonrpc: fc.constantFrom('2.0', '1.0', 2),
    id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
    method: fc.oneof(
      fc.constantFrom('tools/call', 'tools/list', 'ping', 'initialize'),
      fc.string(),
    ),
    params: fc.oneof(
      fc.record({
        name: fc.oneof(
          fc.constantFrom('admin_tool', 'whoami', '__proto__', 'constructor'),
          fc.string(),
        ),
      }),
      fc.jsonValue(),
    ),
  },
  { requiredKeys: ['jsonrpc'] },
);

describe('hostile bodies (fast-check)', () => {
  it('every body gets a JSON-RPC 4xx or goes through, and admin_tool never goes through without mcp:admin', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          message.map((m) => JSON.stringify(m)),
          fc.array(message, { maxLength: 30 }).map((m) => JSON.stringify(m)),
        ),
        async (body) => {
          const decision = await gate.check({
            method: 'POST',
            url: '/mcp',
            headers: headers(),
            body,
          });
          if (decision.kind === 'proceed') {
            const calls = decision.messages.filter(
              (m) =>
                m.method === 'tools/call' &&
                (m.params as { name?: unknown })?.name === 'admin_tool',
            );
            expect(calls).toEqual([]);
            expect(decision.messages.length).toBeLessThanOrEqual(20);
            return;
          }
          expect(decision.kind).toBe('respond');
          if (decision.kind !== 'respond') return;
          expect([400, 403, 413]).toContain(decision.status);
          if (decision.status === 403) {
            expect(decision.headers['www-authenticate']).toContain('scope="mcp:admin"');
          } else {
            expect([-32700, -32600, -32020]).toContain(JSON.parse(decision.body).error.code);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('any Mcp-Method / Mcp-Name / version header either matches the body or is refused with -32020', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'whoami' },
    });
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.oneof(fc.constant('tools/call'), fc.string({ maxLength: 12 }))),
        fc.option(fc.oneof(fc.constant('whoami'), fc.string({ maxLength: 12 }))),
        fc.constantFrom('2025-11-25', '2026-07-28'),
        async (method, name, version) => {
          const h: Record<string, string> = { ...headers(), 'mcp-protocol-version': version };
          if (method !== null) h['mcp-method'] = method;
          if (name !== null) h['mcp-name'] = name;
          const decision = await gate.check({ method: 'POST', url: '/mcp', headers: h, body });
          const matches =
            (method === null ? version !== '2026-07-28' : method === 'tools/call') &&
            (name === null ? version !== '2026-07-28' : name === 'whoami');
          if (matches) expect(decision.kind).toBe('proceed');
          else
            expect(decision).toMatchObject({
              kind: 'respond',
              status: 400,
              reason: 'header_mismatch',
            });
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['Host from a Fetch URL (no Host header)', 'http://127.0.0.1:39999/mcp', {}, 'proceed'],
    ['a hostile Fetch URL host', 'http://evil.example:39999/mcp', {}, 'respond'],
    ['no Host at all', '/mcp', { host: undefined }, 'respond'],
  ])('%s', async (_, url, extra, kind) => {
    const h: Record<string, string | undefined> = {
      ...(url.startsWith('/') ? headers() : { ...headers(), host: undefined }),
      ...extra,
    };
    const decision = await gate.check({
      method: 'POST',
      url,
      headers: new Headers(
        Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined),
      ),
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(decision.kind).toBe(kind);
  });
});

describe('the "." and "./fetch" entries are runtime-neutral', () => {
  const packagesDir = resolve(__dirname, '../..');
  /**
   * Every runtime import of a node built-in in the module graph of `entry`: relative imports and
   * `@mcp-auth/*` packages (their sources) followed; other packages (jose, oauth4webapi) are not.
   */
  function nodeImports(entry: string): { offenders: string[]; seen: Set<string> } {
    const seen = new Set<string>();
    const offenders: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g)) {
        const spec = m[1]!;
        const typeOnly = /^\s*(?:import|export)\s+type\s/.test(m[0].trim());
        if (typeOnly) continue;
        if (spec.startsWith('.')) {
          const base = resolve(dirname(file), spec.replace(/\.js$/, ''));
          visit(`${base}.ts`);
        } else if (spec.startsWith('@mcp-auth/')) {
          const [pkg, sub] = spec.slice('@mcp-auth/'.length).split('/');
          visit(join(packagesDir, pkg!, 'src', `${sub ?? 'index'}.ts`));
        } else if (
          spec.startsWith('node:') ||
          ['http', 'crypto', 'stream', 'buffer'].includes(spec)
        ) {
          offenders.push(`${file}: ${spec}`);
        }
      }
    };
    visit(entry);
    return { offenders, seen };
  }

  it.each([['index'], ['fetch']])(
    'no module reachable from src/%s.ts (dependencies included) imports node:*',
    (entry) => {
      const { offenders, seen } = nodeImports(join(__dirname, `../src/${entry}.ts`));
      if (entry === 'index') {
        expect([...seen].some((f) => f.includes('/validator/src/'))).toBe(true);
        expect([...seen].some((f) => f.includes('/cache/src/'))).toBe(true);
      }
      expect(offenders).toEqual([]);
    },
  );

  it('the scan does find a node import (this file and the node adapter import node:*)', () => {
    expect(nodeImports(__filename).offenders.length).toBeGreaterThan(0);
    expect(nodeImports(join(__dirname, '../src/internal/read-node-body.ts')).offenders).toEqual([]);
  });
});
