/**
 * Error codes are unique across the packages: the guide tells users to branch on `err.code`, so a
 * code must name one failure of one package. Every package's frozen list is compared with every
 * other's; every code the guide's troubleshooting tables name must exist in one of them; and, the
 * other way round, every code of every list has a row in its package's table (the section promises
 * "every error code").
 */
import { readFileSync } from 'node:fs';
import { CACHE_ERROR_CODES } from '@mcp-auth/cache';
import { DEV_AUTH_SERVER_ERROR_CODES } from '@mcp-auth/dev-auth-server';
import { DISCOVERY_ERROR_CODES } from '@mcp-auth/discovery';
import { BODY_READ_ERROR_CODES } from '@mcp-auth/gate';
import { SSE_TRANSPORT_ERROR_CODES } from '@mcp-auth/sse-transport';
import { TEST_CLIENT_ERROR_CODES } from '@mcp-auth/test-client';
import { TOKEN_VALIDATION_ERROR_CODES } from '@mcp-auth/validator';
import { describe, expect, it } from 'vitest';

const LISTS: Record<string, readonly string[]> = {
  '@mcp-auth/cache': CACHE_ERROR_CODES,
  '@mcp-auth/dev-auth-server': DEV_AUTH_SERVER_ERROR_CODES,
  '@mcp-auth/discovery': DISCOVERY_ERROR_CODES,
  '@mcp-auth/gate': BODY_READ_ERROR_CODES,
  '@mcp-auth/sse-transport': SSE_TRANSPORT_ERROR_CODES,
  '@mcp-auth/test-client': TEST_CLIENT_ERROR_CODES,
  '@mcp-auth/validator': TOKEN_VALIDATION_ERROR_CODES,
};

/** The heading that starts each package's table in the guide's troubleshooting section. */
const TABLES: Record<string, string> = {
  '@mcp-auth/cache': '### Cache (`CacheError`)',
  '@mcp-auth/dev-auth-server': '### Local authorization server (`DevAuthServerError`',
  '@mcp-auth/discovery': '### Discovery (`DiscoveryError`)',
  '@mcp-auth/gate': '### Gate (`BodyReadError`)',
  '@mcp-auth/sse-transport': '### Transport browser flow (`SseTransportError`)',
  '@mcp-auth/test-client': '### Test client (`TestClientError`',
  '@mcp-auth/validator': '### Validator (`TokenValidationError`)',
};

const guide = readFileSync(new URL('../../../docs/guide.md', import.meta.url), 'utf8');
const troubleshooting = guide.slice(
  guide.indexOf('## Troubleshooting: every error code'),
  guide.indexOf('### Symptoms without a code'),
);

/** The codes in the first column of the table rows of `markdown` (`| \`ERR_A\` / \`ERR_B\` | …`). */
function codesInTables(markdown: string): Set<string> {
  return new Set(
    markdown
      .split('\n')
      .filter((line) => line.startsWith('| `ERR_'))
      .flatMap((line) => [...(line.split(' | ')[0] ?? '').matchAll(/`(ERR_[A-Z0-9_]+)`/g)])
      .map((m) => m[1] ?? ''),
  );
}

/** The troubleshooting subsection whose heading starts with `heading`, up to the next heading. */
function subsection(heading: string): string {
  const start = troubleshooting.indexOf(`\n${heading}`);
  if (start === -1) throw new Error(`guide: no heading ${heading}`);
  const end = troubleshooting.indexOf('\n### ', start + 1);
  return troubleshooting.slice(start, end === -1 ? undefined : end);
}

/** `"<code>: <pkg>, <pkg>"` for every code more than one package defines. */
function collisions(lists: Record<string, readonly string[]>): string[] {
  const owners = new Map<string, string[]>();
  for (const [pkg, codes] of Object.entries(lists)) {
    for (const code of codes) owners.set(code, [...(owners.get(code) ?? []), pkg]);
  }
  return [...owners].filter(([, pkgs]) => pkgs.length > 1).map(([c, p]) => `${c}: ${p.join(', ')}`);
}

describe('error codes across packages', () => {
  it.each(Object.entries(LISTS))(
    '%s exports a frozen, non-empty list without repeats',
    (_, codes) => {
      expect(Object.isFrozen(codes)).toBe(true);
      expect(codes.length).toBeGreaterThan(0);
      expect(new Set(codes).size).toBe(codes.length);
      for (const code of codes) expect(code).toMatch(/^ERR_[A-Z0-9_]+$/);
    },
  );

  it('no code is defined by two packages', () => {
    expect(collisions(LISTS)).toEqual([]);
  });

  it('names the offenders when two packages share a code', () => {
    expect(collisions({ a: ['ERR_X', 'ERR_Y'], b: ['ERR_Y'], c: ['ERR_X'] })).toEqual([
      'ERR_X: a, c',
      'ERR_Y: a, b',
    ]);
  });

  it("every code in the guide's troubleshooting tables belongs to a package", () => {
    // The demo apps' ConfigError codes are the apps' own (apps/demo-kit/src/errors.ts).
    const named = codesInTables(troubleshooting.slice(troubleshooting.indexOf('### Validator')));
    expect(named.size).toBeGreaterThan(50);
    const known = new Set(Object.values(LISTS).flat());
    expect([...named].filter((code) => !known.has(code))).toEqual([]);
  });

  it.each(Object.entries(LISTS))(
    "every code of %s has a row in its table of the guide's troubleshooting section",
    (pkg, codes) => {
      const heading = TABLES[pkg];
      if (heading === undefined) throw new Error(`no guide table named for ${pkg}`);
      const named = codesInTables(subsection(heading));
      expect(codes.filter((code) => !named.has(code))).toEqual([]);
    },
  );

  it('reads the first column only, so a code merely mentioned in a cause does not count', () => {
    const table = [
      '| code | cause |',
      '|---|---|',
      '| `ERR_A` / `ERR_B` | like `ERR_C` |',
      'prose naming `ERR_D`',
    ].join('\n');
    expect([...codesInTables(table)]).toEqual(['ERR_A', 'ERR_B']);
  });
});
